"""Public pages: home, the adoptions list, a record, an organization, a family and a country."""

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from adoption import feeds, selectors
from adoption.choices import ChangeRequestStatus
from adoption.filtersets import AdoptionFilterSet
from adoption.maps import figures
from adoption.models import Adoption, Country, ModelFamily, ModerationEvent, Organization
from adoption.roles import is_curator
from adoption.selectors.corroboration import hub_check
from adoption.selectors.ecosystem import family_on_the_hub
from adoption.selectors.organizations import country_adopters
from adoption.services.workflow import EDITABLE_STATUSES, allowed_actions

from . import maps

PAGE_SIZE = 25
# The list's columns; the sortable ones use the FilterSet's `ordering` parameter (as the API does).
COLUMNS = (
    ("adopter", gettext_lazy("Adopter"), True), ("country", gettext_lazy("Country"), False),
    ("family", gettext_lazy("Family"), True), ("relation", gettext_lazy("Relation"), False),
    ("stage", pgettext_lazy("adoption stage", "Stage"), False),
    ("started_on", pgettext_lazy("start date", "Since"), True),
    ("published_at", gettext_lazy("Published"), True),
)


def home(request):
    """Headline figures, the map and the latest published adoptions."""
    return render(request, "adoption/home.html", {
        "figures": figures.headline_figures(),
        "latest": selectors.latest_published(),
        "origin_mix": figures.origin_mix(),
        "map": maps.home_map(request),
    })


def adoption_list(request):
    """Published adoptions through the shared FilterSet (the API's filters), sortable and paginated."""
    filterset = AdoptionFilterSet(request.GET or None, queryset=Adoption.objects.published().with_related())
    status = 200
    if filterset.is_bound and not filterset.is_valid():
        status = 400
        queryset = Adoption.objects.none()
    else:
        queryset = filterset.qs
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    ordering = request.GET.get("ordering", "")
    columns = [
        {"key": key, "label": label, "sortable": sortable, "active": ordering.lstrip("-") == key,
         "descending": ordering.startswith("-"), "next": f"-{key}" if ordering == key else key}
        for key, label, sortable in COLUMNS
    ]
    return render(request, "adoption/adoption_list.html", {
        "filterset": filterset, "page": page, "columns": columns, "ordering": ordering,
        "feed_url": feeds.feed_url(feeds.follow_query(filterset) if status == 200 else {}),
        "downloads": _downloads(filterset) if status == 200 else [],
        "api_url": _api_url(filterset) if status == 200 else reverse("api:adoption-list"),
        "filtered": any(value for key, value in request.GET.items() if key not in ("page", "ordering")),
    }, status=status)


def _api_url(filterset) -> str:
    """The API list of what the page shows: the cleaned filters and ordering, never an empty one (a 400)."""
    query = filterset.form.query() if filterset.is_bound else {}
    path = reverse("api:adoption-list")
    return f"{path}?{urlencode(query)}" if query else path


def _downloads(filterset) -> list[tuple[str, str]]:
    """The API's exports of what the list shows (its filters as cleaned, empty ones left out, which the
    API refuses): the records as CSV and NDJSON, and their sources as CSV (sources have no ordering)."""
    query = filterset.form.query() if filterset.is_bound else {}
    records, sources = reverse("api:adoption-list"), reverse("api:evidence-list")
    without_ordering = {name: value for name, value in query.items() if name != "ordering"}
    return [
        ("CSV", f"{records}?{urlencode({**query, 'format': 'csv'})}"),
        ("JSON Lines (NDJSON)", f"{records}?{urlencode({**query, 'format': 'ndjson'})}"),
        # Translators: a download link after "CSV" and "JSON Lines": the sources the listed records cite.
        (_("their sources (CSV)"), f"{sources}?{urlencode({**without_ordering, 'format': 'csv'})}"),
    ]


def adoption_detail(request, pk):
    """A record with its evidence, checkpoint lineage, history and moderation log."""
    adoption = get_object_or_404(
        Adoption.objects.readable_by(request.user).with_related()
        .select_related("checkpoint__derived_from__derived_from", "reviewer")
        .prefetch_related("evidence", "partners",
                          Prefetch("events", queryset=ModerationEvent.objects.order_by("created_at", "id"))),
        pk=pk,
    )
    owner = request.user.is_authenticated and adoption.created_by_id == request.user.pk
    curator = is_curator(request.user)
    return render(request, "adoption/adoption_detail.html", {
        "adoption": adoption,
        "evidence": adoption.evidence.all(),
        "lineage": adoption.checkpoint.lineage() if adoption.checkpoint else [],
        # The public reads published versions and public decisions only: drafts are private.
        "events": selectors.adoption_events(adoption, request.user),
        "show_comments": True,  # adoption_events() kept only the comments this reader may see
        "history": selectors.adoption_history_entries(adoption, request.user),
        "owner": owner,
        "curator": curator,
        "actions": allowed_actions(adoption, request.user) if request.user.is_authenticated else [],
        "pending_changes": adoption.change_requests.filter(status=ChangeRequestStatus.PENDING).count(),
        # Shown before (re)submitting: the contributor decides whether it is really new.
        "duplicates": selectors.adoption_duplicates(adoption, viewer=request.user)
        if owner and adoption.status in EDITABLE_STATUSES else [],
        "hub_check": hub_check(adoption),
    })


def organization_detail(request, slug):
    org = get_object_or_404(
        Organization.objects.visible_to(request.user).select_related("country", "parent", "merged_into"), slug=slug
    )
    if org.merged_into_id:
        return redirect(org.survivor, permanent=True)
    adoptions = Adoption.objects.visible_to(request.user).with_related().filter(adopter=org)
    return render(request, "adoption/organization_detail.html", {
        "org": org, "adoptions": adoptions,
        "families": ModelFamily.objects.filter(developer=org).order_by("name"),
        "origin_mix": figures.origin_mix(adopter=org.pk),
    })


def family_detail(request, slug):
    """Who builds on a family, by country, with the published records."""
    family = get_object_or_404(ModelFamily.objects.select_related("origin_country", "developer"), slug=slug)
    adoptions = Adoption.objects.published().with_related().filter(family=family)
    return render(request, "adoption/family_detail.html", {
        "family": family, "adoptions": adoptions, "by_country": figures.family_by_country(family),
        "checkpoints": family.checkpoints.select_related("derived_from").order_by("repo_id"),
        "on_the_hub": family_on_the_hub(family.slug),
    })


def country_detail(request, iso2):
    """A country's adopters and the origin mix of the models they build on."""
    if not (len(iso2) == 2 and iso2.isascii() and iso2.isalpha()):
        # Not an ISO code (and PostgreSQL refuses some characters, e.g. NUL, in a lookup): no such country.
        raise Http404("No such country.")
    if iso2 != iso2.upper():
        return redirect("adoption:country-detail", iso2=iso2.upper(), permanent=True)
    country = get_object_or_404(Country.objects.select_related("region", "subregion"), iso2=iso2)
    adoptions = Adoption.objects.published().with_related().filter(adopter__country=country)
    return render(request, "adoption/country_detail.html", {
        "country": country, "adoptions": adoptions,
        "adopters": country_adopters(country),
        "origin_mix": figures.origin_mix(country=country.iso2),
        "families": ModelFamily.objects.filter(origin_country=country).order_by("name"),
    })
