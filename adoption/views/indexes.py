"""Index pages: every country, organization and model family, with their published figures.

The organization and family lists use the API's FilterSets (one parameter grammar); a value they do not
know answers 400 with the form showing the message, as the adoptions list does.
"""

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from adoption.filtersets import ModelFamilyFilterSet, OrganizationFilterSet, ParameterForm
from adoption.maps import figures
from adoption.models import ModelFamily, Organization
from adoption.selectors.organizations import organization_counts

PAGE_SIZE = 50


class CountryIndexForm(ParameterForm):
    """The countries page's two switches: which countries, and in what order within each region (an unknown
    parameter is refused, as on every filtered page)."""

    extra_parameters = ()

    ORDERINGS = {
        "adoptions": (gettext_lazy("Most adoptions"), lambda c: (-c.adoptions, -c.adopters, c.name)),
        "adopters": (gettext_lazy("Most adopters"), lambda c: (-c.adopters, -c.adoptions, c.name)),
        "name": (gettext_lazy("Name"), lambda c: c.name),
    }

    all = forms.BooleanField(required=False, label=gettext_lazy("Show every country, also those with no record yet"))
    ordering = forms.ChoiceField(
        choices=[(key, label) for key, (label, _order) in ORDERINGS.items()], required=False,
        label=gettext_lazy("Order by"),
    )


def country_list(request):
    """Countries grouped by M49 region, with published adoptions, adopters and the families developed there."""
    form = CountryIndexForm(request.GET or None)
    valid = form.is_valid() if form.is_bound else True
    options = form.cleaned_data if form.is_bound and valid else {}
    countries = figures.country_index(everything=bool(options.get("all")))
    order = CountryIndexForm.ORDERINGS[options.get("ordering") or "adoptions"][1]

    # Regions are named in the reader's language (and sorted by that name); countries without one come last.
    no_region = _("No M49 region")
    by_region: dict[str, list] = {}
    for country in sorted(countries, key=order):
        by_region.setdefault(country.region.local_name if country.region_id else no_region, []).append(country)
    regions = [
        {"name": name, "countries": members,
         "adoptions": sum(c.adoptions for c in members), "adopters": sum(c.adopters for c in members)}
        for name, members in sorted(by_region.items(), key=lambda item: (item[0] == no_region, item[0]))
    ]
    return render(request, "adoption/country_list.html", {
        "form": form, "regions": regions, "everything": bool(options.get("all")),
        "total_countries": sum(1 for c in countries if c.adoptions),
    }, status=200 if valid else 400)


def _rows(filterset):
    """The FilterSet's rows and the status: none and 400 when it refuses a value (the form says why)."""
    if filterset.is_bound and not filterset.is_valid():
        return filterset.queryset.none(), 400
    return filterset.qs, 200


def organization_list(request):
    """Published organizations (never a proposed or merged one), searchable by name or alias."""
    filterset = OrganizationFilterSet(
        request.GET or None, queryset=Organization.objects.published().select_related("country")
    )
    queryset, status = _rows(filterset)
    page = Paginator(organization_counts(queryset).order_by("name", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "adoption/organization_list.html", {
        "filterset": filterset, "page": page, "filtered": _filtered(request),
    }, status=status)


def family_list(request):
    """Model families with their developer, origin, licence and published adoptions, searchable."""
    filterset = ModelFamilyFilterSet(request.GET or None, queryset=ModelFamily.objects.all())
    queryset, status = _rows(filterset)
    rows = figures.family_index(queryset)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "adoption/family_list.html", {
        "filterset": filterset, "page": page, "filtered": _filtered(request),
    }, status=status)


def _filtered(request) -> bool:
    return any(value for key, value in request.GET.items() if key != "page")
