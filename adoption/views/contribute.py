"""Contributor pages: propose an adoption, edit and resubmit it, follow one's submissions, propose corrections.

Every write goes through the curation services; their errors come back on the form, at the fields.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from adoption import selectors
from adoption.choices import Action
from adoption.forms import (
    AdoptionForm,
    ChangeRequestForm,
    EvidenceFormSet,
    apply_service_errors,
    evidence_initial,
    evidence_payload,
)
from adoption.models import Adoption, Organization
from adoption.selectors.organizations import adopter_choices, organization_by_slug, organizations_matching
from adoption.services import change_requests, moderation, records, workflow
from adoption.services.errors import StaleVersion, TransitionNotAllowed

from .ratelimit import rate_limited

RATE_MESSAGE = gettext_lazy("You have sent many submissions in a short time. Please wait a while and try again.")
SUBMIT, DRAFT, ADD_SOURCE = "submit", "draft", "add_source"
ADOPTER_DATALIST_SIZE = 500
DRAFT_SAVED = gettext_lazy("Saved as a draft. It is not public: only you and the registry's curators can open it, "
                           "and it reaches the curators' review queue when you submit it.")


def _say_which_adopter(request, org: Organization) -> None:
    """A proposed name the registry already knows names that organization: say so, revealing no more
    about another contributor's proposal than that it awaits review."""
    if org.is_published:
        messages.info(request, _("%(name)s is already in the registry: your record names it.") % {"name": org.name})
    elif org.created_by_id != request.user.pk:
        messages.info(request, _("%(name)s has already been proposed and awaits a curator's review: your record "
                                 "names it too. It becomes public with the first approved record that names it.")
                      % {"name": org.name})


def _quiet(form) -> None:
    """Show a bound form again without validating it (after 'add another source')."""
    form._errors = ErrorDict()


def _with_extra_row(data):
    """POST data with one more (empty) evidence row: the 'add another source' button without JavaScript."""
    data = data.copy()
    try:
        total = int(data.get("evidence-TOTAL_FORMS") or 0)
    except ValueError:  # a tampered form: start from one row, the formset reports the rest
        total = 0
    data["evidence-TOTAL_FORMS"] = str(min(total + 1, EvidenceFormSet.max_num))
    return data


def _submit_or_warn(request, adoption: Adoption):
    """Submit a saved draft unless it has likely duplicates the contributor has not seen yet."""
    if not request.POST.get("duplicates_seen"):
        duplicates = selectors.adoption_duplicates(adoption, viewer=request.user)
        if duplicates:
            messages.warning(
                request,
                _("Saved as a draft, not submitted yet: the registry may already hold this adoption. Check the "
                  "likely duplicates below, then submit (saying why it differs) or withdraw it."),
            )
            return redirect(adoption)
    try:
        moderation.adoption_submit(adoption=adoption, user=request.user, comment=request.POST.get("note", ""))
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return redirect(adoption)
    messages.success(request, _("Submitted. A curator will review it; you will get an email with the decision."))
    return redirect("adoption:my-submissions")


def _render_form(request, form, formset, *, adoption=None, status=200):
    # The datalist gives search-as-you-type without JavaScript; the script adds matches beyond this list.
    names = adopter_choices(request.user).values_list("name", flat=True)
    return render(request, "adoption/contribute.html", {
        "form": form, "formset": formset, "adoption": adoption,
        "adopter_names": names[:ADOPTER_DATALIST_SIZE],
    }, status=status)


def _post_form(request, save, *, adoption=None, saved_message: str, **form_kwargs):
    """The shared POST of the contribution and edit pages.

    'Add another source' re-shows the form with one more row and nothing validated; otherwise the form
    and its sources are validated, `save(form, formset)` calls the service, and 'submit' goes on to
    the duplicate check and submission. Any error re-shows every value with messages at the fields.
    """
    action = request.POST.get("action", DRAFT)
    data = _with_extra_row(request.POST) if ADD_SOURCE in request.POST else request.POST
    form = AdoptionForm(data, user=request.user, **form_kwargs)
    formset = EvidenceFormSet(data, prefix="evidence")
    if ADD_SOURCE in request.POST:
        for each in (form, *formset.forms):
            _quiet(each)
        formset._non_form_errors = formset.error_class()
        return _render_form(request, form, formset, adoption=adoption)
    if rate_limited(request, "submission"):
        form.add_error(None, RATE_MESSAGE)
        return _render_form(request, form, formset, adoption=adoption, status=429)
    if not (form.is_valid() & formset.is_valid()):
        return _render_form(request, form, formset, adoption=adoption, status=400)
    try:
        saved = save(form, formset)
    except ValidationError as exc:
        apply_service_errors(form, exc, formset)
        return _render_form(request, form, formset, adoption=adoption, status=400)
    except (StaleVersion, TransitionNotAllowed) as exc:
        form.add_error(None, str(exc))
        return _render_form(request, form, formset, adoption=adoption, status=409)
    if action == SUBMIT:
        return _submit_or_warn(request, saved)
    messages.success(request, saved_message)
    return redirect(saved)


@login_required
@require_http_methods(["GET", "POST"])
def contribute(request):
    """Propose an adoption: an existing or new adopter, the base model, how and since when, its sources."""
    if request.method == "POST":
        def save(form, formset):
            adoption = records.adoption_create(
                user=request.user, data=form.service_data(), evidence=evidence_payload(formset),
                new_adopter=form.new_adopter_data(),
            )
            if form.new_adopter_data():
                _say_which_adopter(request, adoption.adopter)
            return adoption

        return _post_form(request, save, saved_message=DRAFT_SAVED)
    initial = {}
    if slug := request.GET.get("adopter"):
        org = organization_by_slug(slug, user=request.user)
        initial["adopter"] = org.name if org else ""
    if family := request.GET.get("family"):
        initial["family"] = family
    form = AdoptionForm(user=request.user, initial=initial)
    return _render_form(request, form, EvidenceFormSet(prefix="evidence"))


def _own_record(request, pk) -> Adoption:
    """A record the user created (curators may open any); others get a 404, not a hint that it exists."""
    return get_object_or_404(Adoption.objects.submissions_visible_to(request.user).with_related(), pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def edit_submission(request, pk):
    """Edit a draft or a record sent back, then save or (re)submit it."""
    adoption = _own_record(request, pk)
    if adoption.status not in workflow.EDITABLE_STATUSES:
        messages.error(request, _("This record is %(status)s: it cannot be edited now.")
                       % {"status": adoption.get_status_display().lower()})
        return redirect(adoption)
    if request.method == "POST":
        try:
            version = int(request.POST.get("version") or adoption.version)
        except ValueError:
            version = adoption.version

        def save(form, formset):
            return records.adoption_update(
                adoption=adoption, user=request.user, data=form.service_data(), evidence=evidence_payload(formset),
                expected_version=version,
            )

        return _post_form(request, save, adoption=adoption, saved_message=_("Your changes were saved."),
                          allow_new_adopter=False)
    form = AdoptionForm(user=request.user, allow_new_adopter=False, initial=AdoptionForm.initial_from(adoption))
    formset = EvidenceFormSet(prefix="evidence", initial=evidence_initial(adoption))
    return _render_form(request, form, formset, adoption=adoption)


@login_required
@require_POST
def submission_action(request, pk, action):
    """The contributor's own workflow buttons: submit (with an optional note) and withdraw."""
    adoption = _own_record(request, pk)
    if action == SUBMIT:
        if adoption.status not in workflow.EDITABLE_STATUSES:
            messages.error(request, _("This record is %(status)s: it cannot be submitted.")
                           % {"status": adoption.get_status_display().lower()})
            return redirect(adoption)
        return _submit_or_warn(request, adoption)
    if action != Action.WITHDRAW:
        raise Http404("No such action.")
    try:
        moderation.adoption_withdraw(adoption=adoption, user=request.user, comment=request.POST.get("note", ""))
    except TransitionNotAllowed as exc:
        messages.error(request, str(exc))
        return redirect(adoption)
    messages.success(request, _("Withdrawn. The record stays in your list, but curators will not review it."))
    return redirect("adoption:my-submissions")


@login_required
@require_GET
def my_submissions(request):
    """The user's records with their status, the last curator comment and what they can do next."""
    return render(request, "adoption/my_submissions.html", {
        "adoptions": selectors.contributor_records(request.user),
        "change_requests": selectors.contributor_change_requests(request.user),
        "editable": workflow.EDITABLE_STATUSES,
        "withdrawable": workflow.ALLOWED_TRANSITIONS[Action.WITHDRAW].sources,
    })


@login_required
@require_http_methods(["GET", "POST"])
def propose_change(request, pk):
    """A correction to a published record: a change request that a curator approves or rejects."""
    adoption = get_object_or_404(Adoption.objects.published().with_related(), pk=pk)
    form = ChangeRequestForm(request.POST or None, adoption=adoption)
    status = 200
    if request.method == "POST":
        if rate_limited(request, "submission"):
            form.add_error(None, RATE_MESSAGE)
            status = 429
        elif form.is_valid():
            proposed = form.proposed()
            if not proposed:
                form.add_error(None, _("Change at least one field: the values are the same as the record's."))
                status = 400
            else:
                try:
                    change_requests.change_request_create(
                        adoption=adoption, user=request.user, proposed=proposed, comment=form.cleaned_data["comment"]
                    )
                except ValidationError as exc:
                    apply_service_errors(form, exc)
                    status = 400
                except TransitionNotAllowed as exc:
                    form.add_error(None, str(exc))
                    status = 409
                else:
                    messages.success(request, _("Your correction was sent to the curators."))
                    return redirect(adoption)
        else:
            status = 400
    return render(request, "adoption/propose_change.html", {"form": form, "adoption": adoption}, status=status)


@require_GET
def adopter_search(request):
    """Search as you type: organizations whose name, alias or slug contains `q` (JSON, at most 10)."""
    if rate_limited(request, "search"):
        return JsonResponse({"results": [], "error": _("Too many requests.")}, status=429)
    query = (request.GET.get("q") or "").replace("\x00", "").strip()[:100]  # PostgreSQL refuses NUL in text
    if len(query) < 2:
        return JsonResponse({"results": []})
    orgs = organizations_matching(adopter_choices(request.user), query).select_related("country")
    return JsonResponse({"results": [
        {"name": org.name, "slug": org.slug, "country": org.country.name if org.country else "",
         "url": reverse("adoption:organization-detail", kwargs={"slug": org.slug}) if org.is_published else ""}
        for org in orgs[:10]
    ]})
