"""Granting roles: a role is a Django group; curators also get into the admin (is_staff)."""

from django.contrib.auth.models import Group
from django.db import transaction

from adoption.roles import CONTRIBUTOR, CURATOR, ROLES


@transaction.atomic
def role_grant(*, user, role: str) -> bool:
    """Put `user` in the role's group (a curator is a contributor too); False when nothing changed."""
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}: choose {' or '.join(ROLES)}.")
    names = (CONTRIBUTOR, CURATOR) if role == CURATOR else (CONTRIBUTOR,)
    had = set(user.groups.filter(name__in=names).values_list("name", flat=True))
    user.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in names))
    changed = had != set(names)
    if role == CURATOR and not user.is_staff:
        # The moderation queue lives in the admin; the curator group's permissions say what they see there.
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        changed = True
    user._is_curator = None
    return changed
