"""Adoption records in the admin: the moderation queue, decisions through the services, evidence,
history, moderation events and change requests on each record. Status is never a form field."""

import datetime

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from adoption import selectors
from adoption.choices import Action, Status
from adoption.models import Adoption, ChangeRequest, Evidence, ModerationEvent
from adoption.models.querysets import REVIEW_QUEUE
from adoption.roles import is_curator
from adoption.services import moderation, workflow
from adoption.services.errors import WorkflowError

from .base import CommentForm, HistoryAdmin, apply_to_each, decision_page, link_health, require_curator
from .catalogue import RegionListFilter

# The decisions a curator takes in the admin (submit and withdraw are the contributor's).
CURATOR_ACTIONS = (Action.CLAIM, Action.TAKE_OVER, Action.RELEASE, Action.APPROVE, Action.REJECT,
                   Action.REQUEST_CHANGES, Action.RETRACT)


class QueueAgeFilter(admin.SimpleListFilter):
    title = gettext_lazy("waiting since submission")
    parameter_name = "age"
    BANDS = {
        "day": (gettext_lazy("less than a day"), 0, 1), "week": (gettext_lazy("1 to 7 days"), 1, 7),
        "month": (gettext_lazy("7 to 30 days"), 7, 30), "older": (gettext_lazy("more than 30 days"), 30, None),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _newest, _oldest) in self.BANDS.items()]

    def queryset(self, request, queryset):
        if self.value() not in self.BANDS:
            return queryset
        _label, newest, oldest = self.BANDS[self.value()]
        now = timezone.now()
        queryset = queryset.filter(status__in=REVIEW_QUEUE, submitted_at__lte=now - datetime.timedelta(days=newest))
        if oldest is not None:
            queryset = queryset.filter(submitted_at__gt=now - datetime.timedelta(days=oldest))
        return queryset


class AssignedFilter(admin.SimpleListFilter):
    title = "assigned"
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", "assigned to me"), ("unassigned", "waiting, unassigned"), ("others", "assigned to others")]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(reviewer=request.user)
        if self.value() == "unassigned":
            return queryset.filter(status__in=REVIEW_QUEUE, reviewer__isnull=True)
        if self.value() == "others":
            return queryset.filter(reviewer__isnull=False).exclude(reviewer=request.user)
        return queryset


class AdopterRegionFilter(RegionListFilter):
    country_path = "adopter__country"


class EvidenceInline(admin.TabularInline):
    model = Evidence
    fields = ("source", "kind", "publisher", "published_on", "health", "quote")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("source"))
    def source(self, obj):
        return format_html(
            '<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', obj.url, obj.title or obj.url
        )

    @admin.display(description=gettext_lazy("link health"))
    def health(self, obj):
        return link_health(obj)


class EventInline(admin.TabularInline):
    model = ModerationEvent
    fk_name = "adoption"
    fields = ("created_at", "actor_username", "action", "from_status", "to_status", "comment", "notified_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = gettext_lazy("moderation log")

    def has_add_permission(self, request, obj=None):
        return False


class ChangeRequestInline(admin.TabularInline):
    model = ChangeRequest
    fields = ("link", "created_at", "created_by", "status", "changes", "comment")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("change request"))
    def link(self, obj):
        url = reverse("admin:adoption_changerequest_change", args=[obj.pk])
        return format_html('<a href="{}">#{}</a>', url, obj.pk)

    @admin.display(description=gettext_lazy("proposed"))
    def changes(self, obj):
        return diff_table(obj)


def diff_table(change_request) -> str:
    rows = selectors.change_request_diff(change_request)
    return format_html(
        '<table class="diff"><tr><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>',
        _("field"), _("now"), _("proposed"),
        format_html_join("", "<tr><td>{}</td><td><del>{}</del></td><td><ins>{}</ins></td></tr>",
                         ((row["label"], row["current"], row["proposed"]) for row in rows)),
    )


def _record_cells(adoption) -> list:
    sources = format_html_join(
        mark_safe("<br>"), '<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>',
        ((e.url, e.url) for e in adoption.evidence.all()),
    )
    return [
        adoption.adopter, adoption.family, adoption.checkpoint or adoption.checkpoint_note or "—",
        adoption.product_name or "—", adoption.get_relation_display(), adoption.get_stage_display(),
        adoption.started_display or "—", adoption.get_status_display(), sources,
    ]


def duplicates_table(adoption) -> str:
    """This record and its likely duplicates side by side, one column each, with the reasons."""
    found = selectors.adoption_duplicates(adoption)
    if not found:
        return _("No likely duplicates.")
    labels = [_("adopter"), _("family"), _("checkpoint"), _("product"), _("relation"),
              pgettext("adoption stage", "stage"),
              _("started"), _("status"), _("sources")]
    columns = [_record_cells(adoption)] + [_record_cells(row["adoption"]) for row in found]
    head = format_html_join(
        "", '<th><a href="{}">#{}</a></th>',
        ((reverse("admin:adoption_adoption_change", args=[row["adoption"].pk]), row["adoption"].pk) for row in found),
    )
    body = format_html_join(
        "", "<tr><th>{}</th>{}</tr>",
        (
            (label, format_html_join("", "<td>{}</td>", ((column[i],) for column in columns)))
            for i, label in enumerate(labels)
        ),
    )
    why = format_html_join("", "<td>{}</td>", (("; ".join(row["reasons"]),) for row in found))
    return format_html(
        '<table class="duplicates"><tr><th></th><th>{}</th>{}</tr>{}<tr><th>{}</th><td></td>{}</tr></table>',
        _("this record #%(number)s") % {"number": adoption.pk}, head, body, _("why"), why,
    )


def _explain_missing_decisions(request, adoption) -> None:
    """Say why decisions are missing: another curator holds the record, or this one wrote part of it."""
    if adoption.status not in REVIEW_QUEUE:
        return
    if adoption.status == Status.IN_REVIEW and adoption.reviewer_id not in (None, request.user.pk):
        messages.info(request, _("Claimed by %(username)s: only they decide on it while it is in review. Take it "
                                 "over first to decide (the take-over is logged).")
                      % {"username": adoption.reviewer.get_username()})
    if request.user.pk in selectors.adoption_content_authors(adoption):
        messages.warning(request, _("You changed this record's content since it was last published: another "
                                    "curator must decide on it (four eyes)."))


def _bulk_action(action: str):
    row = workflow.ALLOWED_TRANSITIONS[action]
    service = moderation.ACTION_SERVICES[action]
    label = Action(action).label

    def bulk(modeladmin, request, queryset):
        form = CommentForm(request.POST if "apply" in request.POST else None, needs_comment=row.needs_comment)
        if form.is_bound and form.is_valid():
            comment = form.cleaned_data["comment"]
            apply_to_each(request, queryset.order_by("pk"), str(label),
                          lambda obj: service(adoption=obj, user=request.user, comment=comment))
            return None
        count = queryset.count()
        title = ngettext("%(action)s: %(count)s selected record", "%(action)s: %(count)s selected records", count)
        return decision_page(request, modeladmin, title=title % {"action": label, "count": count},
                             objects=list(queryset.select_related("adopter", "family")), form=form,
                             action_name=f"{action}_selected")

    bulk.__name__ = f"{action}_selected"
    # Translators: an admin action on the records ticked in the list, e.g. "Approve selected records".
    description = lazy(lambda: _("%(action)s selected records") % {"action": label}, str)()
    return admin.action(description=description, permissions=["moderate"])(bulk)


@admin.register(Adoption)
class AdoptionAdmin(HistoryAdmin):
    """The moderation queue: submitted and in-review records first (yours in review first), oldest first."""

    list_display = (
        "id", "status", "waiting", "adopter", "family", "relation", "adopter_country", "stage", "reviewer",
        "created_by", "confidence_level",
    )
    list_display_links = ("id", "adopter")
    list_filter = (
        "status", QueueAgeFilter, AssignedFilter, ("adopter__country", admin.RelatedOnlyFieldListFilter),
        AdopterRegionFilter, "family", "adopter__kind", "relation", "stage", "confidence",
    )
    search_fields = ("product_name", "adopter__name", "adopter__aliases", "family__name", "summary",
                     "evidence__url", "reference_id")
    list_select_related = ("adopter__country", "family", "reviewer", "created_by")
    list_per_page = 50
    inlines = (EvidenceInline, ChangeRequestInline, EventInline)
    actions = [_bulk_action(action) for action in CURATOR_ACTIONS]
    change_form_template = "admin/adoption/adoption/change_form.html"
    fieldsets = (
        (None, {"fields": ("status", "adopter", "partners", "family", "checkpoint", "checkpoint_note", "relation",
                           "product_name", "product_url", "stage", "started_display", "ended_on", "sectors",
                           "languages", "summary")}),
        ("Likely duplicates", {"fields": ("duplicates",)}),
        ("Workflow", {"fields": ("confidence", "created_by", "reviewer", "submitted_at", "published_at", "version",
                                 "reference_id", "import_flags", "created_at", "updated_at")}),
    )

    def get_readonly_fields(self, request, obj=None):
        return [name for _, options in self.fieldsets for name in options["fields"]]

    def get_ordering(self, request):
        return selectors.review_queue_ordering(request.user)  # as the moderation page lists it

    def has_add_permission(self, request):
        return False  # records are proposed by contributors (pages and API), as drafts with evidence

    def has_change_permission(self, request, obj=None):
        return False  # content changes only as a draft (its contributor) or by an approved change request

    def has_delete_permission(self, request, obj=None):
        return False  # a published record is retracted, never deleted

    def has_moderate_permission(self, request):
        return is_curator(request.user)

    @admin.display(description=gettext_lazy("adopter country"), ordering="adopter__country__name")
    def adopter_country(self, obj):
        return obj.adopter.country or "—"

    @admin.display(description=gettext_lazy("waiting"), ordering="submitted_at")
    def waiting(self, obj):
        if obj.status not in REVIEW_QUEUE or not obj.submitted_at:
            return "—"
        return timesince(obj.submitted_at)

    @admin.display(description=gettext_lazy("confidence"), ordering="confidence")
    def confidence_level(self, obj):
        return obj.confidence  # the short value: the long labels would stretch every row

    @admin.display(description=gettext_lazy("started"))
    def started_display(self, obj):
        return obj.started_display or "—"

    @admin.display(description=gettext_lazy("side by side"))
    def duplicates(self, obj):
        return duplicates_table(obj)

    def get_urls(self):
        return [
            path("<path:object_id>/decide/<str:action>/", self.admin_site.admin_view(self.decide_view),
                 name="adoption_adoption_decide"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        buttons = []
        if obj is not None:
            buttons = [
                {"label": Action(action).label,
                 "url": reverse("admin:adoption_adoption_decide", args=[obj.pk, action]) + f"?version={obj.version}"}
                for action in workflow.allowed_actions(obj, request.user) if action in CURATOR_ACTIONS
            ]
            if request.method == "GET":
                _explain_missing_decisions(request, obj)
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "decisions": buttons})

    def decide_view(self, request, object_id, action):
        """One decision on one record: asks for the comment, then calls the service."""
        require_curator(request)
        if action not in CURATOR_ACTIONS:
            raise PermissionDenied(_("Unknown decision."))
        adoption = get_object_or_404(Adoption, pk=object_id)
        row = workflow.ALLOWED_TRANSITIONS[action]
        back = redirect("admin:adoption_adoption_change", adoption.pk)
        form = CommentForm(request.POST or None, needs_comment=row.needs_comment,
                           initial={"expected_version": request.GET.get("version") or adoption.version})
        if request.method == "POST" and form.is_valid():
            try:
                moderation.ACTION_SERVICES[action](
                    adoption=adoption, user=request.user, comment=form.cleaned_data["comment"],
                    expected_version=form.cleaned_data["expected_version"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            except (WorkflowError, PermissionDenied) as exc:
                messages.error(request, str(exc))
                return back
            else:
                adoption.refresh_from_db()
                messages.success(request, _("#%(number)s is now %(status)s.")
                                 % {"number": adoption.pk, "status": adoption.get_status_display().lower()})
                return back
        return decision_page(
            request, self, title=_("%(action)s #%(number)s: %(record)s")
            % {"action": Action(action).label, "number": adoption.pk, "record": adoption}, objects=[adoption],
            form=form, action_name=None, extra={"duplicates": duplicates_table(adoption) if action in (
                Action.CLAIM, Action.APPROVE) else None, "original": adoption},
        )


@admin.register(Evidence)
class EvidenceAdmin(HistoryAdmin):
    list_display = ("url", "adoption", "kind", "publisher", "published_on", "health", "link_checked_at")
    list_filter = ("link_status", "kind", "adoption__status")
    search_fields = ("url", "title", "publisher", "adoption__adopter__name")
    list_select_related = ("adoption__adopter", "adoption__family")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # a record's sources change with the record (draft edit or change request)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("link health"), ordering="link_status")
    def health(self, obj):
        return link_health(obj)
