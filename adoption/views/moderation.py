"""Curator pages: the review queue, a review page with evidence and duplicates, change requests as a diff.

Decisions call the same services as the admin and the API; the page only shows the buttons the
workflow allows (services check again) and turns service errors into messages.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from adoption import selectors
from adoption.choices import Action, ChangeRequestStatus, Status
from adoption.filtersets import SubmissionFilterSet
from adoption.forms import DecisionForm, OrganizationMergeForm, apply_service_errors
from adoption.models import Adoption, ChangeRequest, ModerationEvent, Organization
from adoption.roles import is_curator
from adoption.selectors.corroboration import contradicted_records, hub_check_shown
from adoption.services import change_requests, merges, moderation, workflow
from adoption.services.errors import StaleVersion, TransitionNotAllowed

# Buttons of the review page, in the order shown, with their labels and style.
DECISIONS = (
    (Action.CLAIM, gettext_lazy("Claim for review"), ""),
    (Action.TAKE_OVER, gettext_lazy("Take over"), ""),
    (Action.APPROVE, gettext_lazy("Approve and publish"), ""),
    (Action.REQUEST_CHANGES, gettext_lazy("Request changes"), "secondary"),
    (Action.REJECT, gettext_lazy("Reject"), "danger"),
    (Action.RELEASE, gettext_lazy("Release to the queue"), "secondary"),
    # Translators: a curator takes a published record off the maps (it stays readable with its history).
    (Action.RETRACT, gettext_lazy("Retract"), "danger"),
)
CURATOR_ACTIONS = {action for action, _label, _style in DECISIONS}
CONTRADICTIONS_PAGE_SIZE = 50


def curator_required(view):
    """Anonymous users are sent to log in; signed-in users who are not curators get a 403 page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_curator(request.user):
            raise PermissionDenied(_("Only curators can open the moderation pages."))
        return view(request, *args, **kwargs)

    return wrapper


@curator_required
def queue(request):
    """Submissions waiting for a curator, those in review (mine first), and pending change requests."""
    filterset = SubmissionFilterSet(
        request.GET or None, queryset=Adoption.objects.pending_review().with_related().select_related("reviewer")
        .annotate(sources=Count("evidence"))
    )
    valid = not filterset.is_bound or filterset.is_valid()
    pending = filterset.qs.order_by(*selectors.review_queue_ordering(request.user)) if valid else []
    waiting = [a for a in pending if a.status == Status.SUBMITTED]
    in_review = [a for a in pending if a.status == Status.IN_REVIEW]
    change_requests = (
        ChangeRequest.objects.filter(status=ChangeRequestStatus.PENDING)
        .select_related("adoption__adopter", "adoption__family", "created_by").order_by("created_at")
    )
    return render(request, "adoption/moderation/queue.html", {
        "filterset": filterset, "waiting": waiting, "in_review": in_review, "change_requests": change_requests,
    }, status=200 if valid else 400)


@curator_required
def hub_contradictions(request):
    """The published records whose product the latest Hub snapshot traces only to other families, with both
    claims: what a new snapshot asks the curators to look at again (the import's summary points here)."""
    snapshot, records = contradicted_records()
    page = Paginator(records, CONTRADICTIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "adoption/moderation/hub_contradictions.html", {"snapshot": snapshot, "page": page})


def _decision_buttons(adoption, user) -> list[dict]:
    allowed = set(workflow.allowed_actions(adoption, user))
    return [
        {"action": action, "label": label, "style": style}
        for action, label, style in DECISIONS if action in allowed
    ]


@curator_required
@require_http_methods(["GET", "POST"])
def review(request, pk):
    """One record with its evidence, duplicates and log, and the decisions the workflow allows."""
    adoption = get_object_or_404(
        Adoption.objects.with_related().select_related("reviewer", "checkpoint__derived_from")
        .prefetch_related("evidence", Prefetch("events", queryset=ModerationEvent.objects.order_by("created_at"))),
        pk=pk,
    )
    form = DecisionForm(request.POST or None, initial={"version": adoption.version})
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        service = moderation.ACTION_SERVICES.get(action)
        if action not in CURATOR_ACTIONS or service is None:
            raise Http404("No such decision.")
        if form.is_valid():
            try:
                service(adoption=adoption, user=request.user, comment=form.cleaned_data["comment"],
                        expected_version=form.cleaned_data["version"])
            except ValidationError as exc:
                apply_service_errors(form, exc)
                status = 400
            except (StaleVersion, TransitionNotAllowed) as exc:
                form.add_error(None, str(exc))
                status = 409
            else:
                done = {
                    Action.CLAIM: _("You claimed this submission; it is in review with you."),
                    Action.TAKE_OVER: _("You took this record over; it is in review with you (logged)."),
                    Action.RELEASE: _("Released: the record is back in the queue for any curator to claim."),
                    Action.APPROVE: _("Approved: the record is published and counts on the map."),
                    Action.REQUEST_CHANGES: _("Sent back to the contributor with your comment."),
                    Action.REJECT: _("Rejected; the contributor gets your reason."),
                    Action.RETRACT: _("Retracted: the record left the maps and stays readable with its history."),
                }[action]
                messages.success(request, done)
                if action in (Action.CLAIM, Action.TAKE_OVER):
                    return redirect("adoption:moderation-review", pk=adoption.pk)
                return redirect("adoption:moderation-queue")
        else:
            status = 400
    return render(request, "adoption/moderation/review.html", {
        "adoption": adoption,
        "evidence": adoption.evidence.all(),
        "events": adoption.events.all(),
        "duplicates": selectors.adoption_duplicates(adoption),
        "hub_check": hub_check_shown(adoption),
        "form": form,
        "buttons": _decision_buttons(adoption, request.user),
        "own": adoption.created_by_id == request.user.pk,
        # Four eyes count every author: a curator who changed the content does not decide on it.
        "author": request.user.pk in selectors.adoption_content_authors(adoption),
        "held_by_other": adoption.status == Status.IN_REVIEW and adoption.reviewer_id not in (None, request.user.pk),
        "change_requests": adoption.change_requests.filter(status=ChangeRequestStatus.PENDING),
    }, status=status)


@curator_required
@require_http_methods(["GET", "POST"])
def change_request_review(request, pk):
    """A proposed correction as a diff against the record now, with approve and reject."""
    change_request = get_object_or_404(
        ChangeRequest.objects.select_related("adoption__adopter", "adoption__family", "created_by", "decided_by"),
        pk=pk,
    )
    form = DecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in ("approve", "reject"):
            raise Http404("No such decision.")
        service = (change_requests.change_request_approve if action == "approve"
                   else change_requests.change_request_reject)
        if form.is_valid():
            try:
                service(change_request=change_request, user=request.user, comment=form.cleaned_data["comment"])
            except ValidationError as exc:
                apply_service_errors(form, exc)
                status = 400
            except (StaleVersion, TransitionNotAllowed) as exc:
                form.add_error(None, str(exc))
                status = 409
            else:
                messages.success(request, _("Change applied to the record.") if action == "approve"
                                 else _("Change request rejected; the contributor gets your reason."))
                return redirect("adoption:moderation-queue")
        else:
            status = 400
    return render(request, "adoption/moderation/change_request.html", {
        "change_request": change_request,
        "adoption": change_request.adoption,
        "diff": selectors.change_request_diff(change_request),
        "form": form,
        "own": change_request.created_by_id == request.user.pk,
        "pending": change_request.status == ChangeRequestStatus.PENDING,
        "stale": change_request.adoption.version != change_request.base_version,
    }, status=status)



@curator_required
@require_http_methods(["GET", "POST"])
def organization_merge(request, slug):
    """Merge a duplicate organization: choose the survivor, see what would move, then confirm."""
    source = get_object_or_404(Organization.objects.select_related("merged_into", "country"), slug=slug)
    if source.merged_into_id:
        messages.info(request, _("%(source)s was already merged into %(target)s.")
                      % {"source": source.name, "target": source.survivor.name})
        return redirect(source.survivor)
    form = OrganizationMergeForm(request.POST or None, source=source, initial={"into": request.GET.get("into", "")})
    preview = None
    if request.method == "POST" and form.is_valid():
        target, comment = form.cleaned_data["into"], form.cleaned_data["comment"]
        try:
            preview = merges.organization_merge_preview(source=source, target=target)
            if form.cleaned_data["confirmed"] == str(preview["target"].pk):
                merge = merges.organization_merge(source=source, target=target, user=request.user, comment=comment)
                messages.success(request, _("%(source)s was merged into %(target)s; its address now leads here.")
                                 % {"source": source.name, "target": merge.target.name})
                return redirect(merge.target)
        except merges.MergeRefused as refused:
            form.add_error("into", str(refused))
            preview = None
    return render(request, "adoption/moderation/organization_merge.html", {
        "source": source, "form": form, "preview": preview,
    })
