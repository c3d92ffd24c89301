"""Who may call what. Object visibility is the querysets' job (`visible_to`); these guard the verbs."""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from adoption.roles import is_curator


class IsCurator(permissions.BasePermission):
    """Curators and superusers only (anonymous callers get 401 first: authentication is checked before)."""

    message = _("Only curators can do this.")

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and is_curator(request.user))


class IsCuratorOrReadOnly(IsCurator):
    """Anyone reads; curators write (the catalogue)."""

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or super().has_permission(request, view)
