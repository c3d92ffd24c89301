"""The published figures the pages show around the map, read through the map answers themselves.

The home page's headline figures, the origin mix and its colours, a family's adopter countries and
the country and family indexes are the totals, groups and split totals of `answers` (cached by the
data version, as the map page's), so no page counts differently from the map and the API.
"""

import dataclasses

from django.db.models import Count

from adoption.mapdraw import OTHER, category_colours
from adoption.models import Country, ModelFamily

from .answers import cached_answer
from .grains import UNKNOWN
from .params import MapParams


def _answer(*, filters: dict[str, str] | None = None, adopter: int | None = None, **choices) -> dict:
    """The map answer for these choices (group_by, split, unit) and filters, as the API gives it."""
    params = MapParams.from_query({**choices, **(filters or {})})
    if adopter is not None:  # one organization's records: no public parameter names it
        params = dataclasses.replace(params, filters=(*params.filters, ("adopter", (str(adopter),))))
    return cached_answer(params)


def _counts_by_group(answer: dict) -> dict[str, int]:
    return {group["key"]: group["total"] for group in answer["groups"] if group["key"] != UNKNOWN}


def headline_figures() -> dict:
    """Published adoptions, distinct adopters, adopter countries and base families: the top-level totals
    of the default map in both units, its countries and the families of its split by family."""
    adoptions = _answer()
    families = _answer(split="family")
    return {
        "adoptions": adoptions["total"],
        "adopters": _answer(unit="adopters", split="none")["total"],
        "countries": len(_counts_by_group(adoptions)),
        "families": sum(1 for key in families["split_totals"] if key != UNKNOWN),
    }


def origin_colours() -> dict[str, str]:
    """One colour per origin country on every page: ranked by all published adoptions, largest first."""
    return category_colours(list(_answer()["split_totals"]))


def origin_mix(*, country: str | None = None, adopter: int | None = None) -> list[dict]:
    """Published adoptions by the origin country of their base family (all, or one adopter country's, or
    one organization's), largest first, with names, shares and colours."""
    totals = _answer(filters={"country": country} if country else None, adopter=adopter)["split_totals"]
    names = dict(Country.objects.filter(iso2__in=list(totals)).values_list("iso2", "name"))
    total = sum(totals.values()) or 1
    colours = origin_colours()
    return [
        {"key": key, "name": names.get(key, "Unknown"), "count": count, "share": count / total,
         "colour": colours.get(key, OTHER)}
        for key, count in totals.items()
    ]


def family_by_country(family: ModelFamily) -> list[dict]:
    """Who builds on a family, by adopter country: [{iso2, name, adoptions, adopters}], largest first."""
    filters = {"family": family.slug}
    adoptions = _answer(filters=filters, split="none")["groups"]
    adopters = _counts_by_group(_answer(filters=filters, split="none", unit="adopters"))
    rows = [
        {"iso2": None if group["key"] == UNKNOWN else group["key"], "name": group["name"],
         "adoptions": group["total"], "adopters": adopters.get(group["key"], 0)}
        for group in adoptions
    ]
    return sorted(rows, key=lambda row: (-row["adoptions"], row["iso2"] is None, row["name"]))


def country_index(*, everything: bool = False) -> list[Country]:
    """Countries with `adoptions`, `adopters` (distinct) and `families_developed` set, by name.

    Only countries with a published adoption or a family's origin, unless `everything`."""
    adoptions = _counts_by_group(_answer(split="none"))
    adopters = _counts_by_group(_answer(split="none", unit="adopters"))
    developed = dict(
        ModelFamily.objects.filter(origin_country__isnull=False).values_list("origin_country")
        .annotate(n=Count("id")).order_by()
    )
    countries = Country.objects.select_related("region", "subregion").order_by("name")
    if not everything:
        countries = countries.filter(iso2__in={*adoptions, *developed})
    rows = list(countries)
    for country in rows:
        country.adoptions, country.adopters = adoptions.get(country.iso2, 0), adopters.get(country.iso2, 0)
        country.families_developed = developed.get(country.iso2, 0)
    return rows


def family_index(queryset) -> list[ModelFamily]:
    """The families of `queryset` with `published_adoptions`, `adopters` and `adopter_countries` set,
    most adopted first (then by name)."""
    by_country = _answer(split="family")
    adopters = _answer(split="family", unit="adopters")["split_totals"]
    countries: dict[str, int] = {}
    for group in by_country["groups"]:
        if group["key"] != UNKNOWN:
            for slug in group["counts"]:
                countries[slug] = countries.get(slug, 0) + 1
    rows = list(queryset.select_related("developer", "origin_country"))
    for family in rows:
        family.published_adoptions = by_country["split_totals"].get(family.slug, 0)
        family.adopters = adopters.get(family.slug, 0)
        family.adopter_countries = countries.get(family.slug, 0)
    return sorted(rows, key=lambda family: (-family.published_adoptions, family.name, family.pk))
