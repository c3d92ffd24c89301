"""Change requests (with their diff, decided through the services) and the moderation log (read-only)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from adoption.choices import ChangeRequestStatus
from adoption.models import ChangeRequest, ModerationEvent
from adoption.roles import is_curator
from adoption.services import change_requests
from adoption.services.errors import WorkflowError

from .base import CommentForm, HistoryAdmin, ReadOnlyAdmin, apply_to_each, decision_page, require_curator
from .records import diff_table

DECISIONS = {"approve": change_requests.change_request_approve, "reject": change_requests.change_request_reject}
# The admin's words for each decision on change requests (one whole sentence each, for translators).
BULK_LABELS = {"approve": gettext_lazy("Approve change requests"), "reject": gettext_lazy("Reject change requests")}
ACTION_LABELS = {"approve": gettext_lazy("Approve selected change requests"),
                 "reject": gettext_lazy("Reject selected change requests")}


def _bulk(decision: str):
    service = DECISIONS[decision]
    needs_comment = decision == "reject"

    def bulk(modeladmin, request, queryset):
        form = CommentForm(request.POST if "apply" in request.POST else None, needs_comment=needs_comment)
        if form.is_bound and form.is_valid():
            comment = form.cleaned_data["comment"]
            apply_to_each(request, queryset.order_by("pk"), str(BULK_LABELS[decision]),
                          lambda obj: service(change_request=obj, user=request.user, comment=comment))
            return None
        count = queryset.count()
        title = (ngettext("Approve %(count)s change request", "Approve %(count)s change requests", count)
                 if decision == "approve" else
                 ngettext("Reject %(count)s change request", "Reject %(count)s change requests", count))
        return decision_page(request, modeladmin, title=title % {"count": count},
                             objects=list(queryset), form=form, action_name=f"{decision}_selected")

    bulk.__name__ = f"{decision}_selected"
    return admin.action(description=ACTION_LABELS[decision], permissions=["moderate"])(bulk)


@admin.register(ChangeRequest)
class ChangeRequestAdmin(HistoryAdmin):
    list_display = ("id", "adoption", "created_by", "status", "fields_changed", "created_at", "decided_by")
    list_filter = ("status", "adoption__family", ("adoption__adopter__country", admin.RelatedOnlyFieldListFilter))
    search_fields = ("adoption__product_name", "adoption__adopter__name", "comment", "created_by__username")
    list_select_related = ("adoption__adopter", "adoption__family", "created_by", "decided_by")
    actions = [_bulk("approve"), _bulk("reject")]
    change_form_template = "admin/adoption/changerequest/change_form.html"
    fields = ("record", "status", "created_by", "created_at", "comment", "base_version", "diff", "decided_by",
              "decided_at", "decision_comment")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # proposed by contributors on the record's page or through the API

    def has_change_permission(self, request, obj=None):
        return False  # decided with the approve / reject buttons, which call the services

    def has_delete_permission(self, request, obj=None):
        return False

    def has_moderate_permission(self, request):
        return is_curator(request.user)

    @admin.display(description=gettext_lazy("fields"))
    def fields_changed(self, obj):
        return ", ".join(sorted(obj.proposed))

    @admin.display(description=gettext_lazy("record"))
    def record(self, obj):
        return format_html('<a href="{}">#{} {}</a>', reverse("admin:adoption_adoption_change", args=[obj.adoption_id]),
                           obj.adoption_id, obj.adoption)

    @admin.display(description=gettext_lazy("field by field"))
    def diff(self, obj):
        return diff_table(obj)

    def get_urls(self):
        return [
            path("<path:object_id>/decide/<str:decision>/", self.admin_site.admin_view(self.decide_view),
                 name="adoption_changerequest_decide"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        buttons = []
        if obj is not None and obj.status == ChangeRequestStatus.PENDING and is_curator(request.user):
            buttons = [
                {"label": d.capitalize(), "url": reverse("admin:adoption_changerequest_decide", args=[obj.pk, d])}
                for d in DECISIONS
            ]
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "decisions": buttons})

    def decide_view(self, request, object_id, decision):
        require_curator(request)
        if decision not in DECISIONS:
            raise PermissionDenied(_("Unknown decision."))
        change_request = get_object_or_404(ChangeRequest.objects.select_related("adoption"), pk=object_id)
        back = redirect("admin:adoption_changerequest_change", change_request.pk)
        form = CommentForm(request.POST or None, needs_comment=decision == "reject")
        if request.method == "POST" and form.is_valid():
            try:
                DECISIONS[decision](change_request=change_request, user=request.user,
                                    comment=form.cleaned_data["comment"])
            except ValidationError as exc:
                form.add_error(None, exc)
            except (WorkflowError, PermissionDenied) as exc:
                messages.error(request, str(exc))
                return back
            else:
                done = (_("Change request #%(number)s: approved.") if decision == "approve"
                        else _("Change request #%(number)s: rejected."))
                messages.success(request, done % {"number": change_request.pk})
                return back
        return decision_page(
            request, self, title=(_("Approve change request #%(number)s") if decision == "approve"
                                  else _("Reject change request #%(number)s")) % {"number": change_request.pk},
            objects=[change_request], form=form, action_name=None,
            extra={"diff": diff_table(change_request), "original": change_request},
        )


@admin.register(ModerationEvent)
class ModerationEventAdmin(ReadOnlyAdmin):
    """The append-only log: who decided what and why."""

    list_display = ("created_at", "record", "actor_username", "action", "from_status", "to_status", "short_comment",
                    "notified_at")
    list_filter = ("action", "to_status", ("adoption__family", admin.RelatedOnlyFieldListFilter))
    search_fields = ("actor_username", "comment", "adoption__product_name", "adoption__adopter__name")
    list_select_related = ("adoption__adopter", "adoption__family")
    date_hierarchy = "created_at"

    @admin.display(description=gettext_lazy("record"))
    def record(self, obj):
        return format_html('<a href="{}">#{} {}</a>', reverse("admin:adoption_adoption_change", args=[obj.adoption_id]),
                           obj.adoption_id, obj.adoption)

    @admin.display(description=gettext_lazy("comment"))
    def short_comment(self, obj):
        return obj.comment if len(obj.comment) <= 80 else obj.comment[:79] + "…"
