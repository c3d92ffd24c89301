"""Reads for the public pages: headline figures and the per-country / per-family breakdowns they show.

The map itself reads adoption.aggregates; these are the small counts around it, always over published
records only (what the public sees).
"""

from django.db.models import Count, Q

from adoption.choices import Status
from adoption.mapdraw import OTHER, category_colours
from adoption.models import Adoption, Country, ModelFamily, Organization


def headline_figures() -> dict:
    """Published adoptions, distinct adopters, adopter countries and base families, in one query."""
    return Adoption.objects.published().aggregate(
        adoptions=Count("id"),
        adopters=Count("adopter", distinct=True),
        countries=Count("adopter__country", distinct=True),
        families=Count("family", distinct=True),
    )


def latest_published(limit: int = 8):
    """The most recently published records, for the home page."""
    return Adoption.objects.published().with_related().order_by("-published_at", "-id")[:limit]


def origin_mix(queryset) -> list[dict]:
    """Counts of `queryset` (adoptions) by the origin country of their base family, largest first, with shares."""
    rows = list(
        queryset.values("family__origin_country", "family__origin_country__name")
        .annotate(count=Count("id"))
        .order_by("-count", "family__origin_country")
    )
    total = sum(row["count"] for row in rows) or 1
    colours = origin_colours()
    return [
        {"key": (key := row["family__origin_country"] or "unknown"),
         "name": row["family__origin_country__name"] or "Unknown", "count": row["count"],
         "share": row["count"] / total, "colour": colours.get(key, OTHER)}
        for row in rows
    ]


def origin_colours() -> dict[str, str]:
    """One colour per origin country on every page: ranked by all published adoptions, largest first."""
    keys = (
        Adoption.objects.published().values_list("family__origin_country", flat=True)
        .annotate(count=Count("id")).order_by("-count", "family__origin_country")
    )
    return category_colours([key or "unknown" for key in keys])


def family_by_country(family: ModelFamily) -> list[dict]:
    """Who builds on a family, by adopter country: [{iso2, name, adoptions, adopters}], largest first."""
    rows = (
        Adoption.objects.published().filter(family=family)
        .values("adopter__country", "adopter__country__name")
        .annotate(adoptions=Count("id"), adopters=Count("adopter", distinct=True))
        .order_by("-adoptions", "adopter__country__name")
    )
    return [
        {"iso2": row["adopter__country"], "name": row["adopter__country__name"] or "Unknown",
         "adoptions": row["adoptions"], "adopters": row["adopters"]}
        for row in rows
    ]


def country_adopters(country: Country):
    """Published organizations of a country with their count of published adoptions, most active first."""
    return (
        Organization.objects.published().filter(country=country)
        .annotate(published_adoptions=Count("adoptions", filter=Q(adoptions__status=Status.PUBLISHED)))
        .filter(published_adoptions__gt=0)
        .order_by("-published_adoptions", "name")
    )


def family_list_with_counts():
    """Families with their count of published adoptions (for filters and the home page)."""
    return (
        ModelFamily.objects.select_related("origin_country")
        .annotate(published_adoptions=Count("adoptions", filter=Q(adoptions__status=Status.PUBLISHED)))
        .order_by("-published_adoptions", "name")
    )


# The index pages: every country, organization and family with its published figures.

def country_index(*, everything: bool = False) -> list[Country]:
    """Countries with `adoptions`, `adopters` (distinct) and `families_developed` set, by name.

    Only countries with a published adoption or a family's origin, unless `everything`. Counted from
    the records side in one grouped query each, so no join multiplies the counts."""
    counts = {
        row["adopter__country"]: row for row in Adoption.objects.published().filter(adopter__country__isnull=False)
        .values("adopter__country").annotate(adoptions=Count("id"), adopters=Count("adopter", distinct=True))
        .order_by()
    }
    developed = dict(
        ModelFamily.objects.filter(origin_country__isnull=False).values_list("origin_country")
        .annotate(n=Count("id")).order_by()
    )
    countries = Country.objects.select_related("region", "subregion").order_by("name")
    if not everything:
        countries = countries.filter(iso2__in={*counts, *developed})
    rows = list(countries)
    for country in rows:
        row = counts.get(country.iso2, {})
        country.adoptions, country.adopters = row.get("adoptions", 0), row.get("adopters", 0)
        country.families_developed = developed.get(country.iso2, 0)
    return rows


def organization_counts(queryset):
    """`queryset` (organizations) with `published_adoptions` and `families_developed`."""
    return queryset.annotate(
        published_adoptions=Count("adoptions", filter=Q(adoptions__status=Status.PUBLISHED), distinct=True),
        families_developed=Count("families", distinct=True),
    )


def family_counts(queryset):
    """`queryset` (families) with `published_adoptions`, `adopters` and `adopter_countries`, all distinct."""
    published = Q(adoptions__status=Status.PUBLISHED)
    return queryset.select_related("developer", "origin_country").annotate(
        published_adoptions=Count("adoptions", filter=published),
        adopters=Count("adoptions__adopter", filter=published, distinct=True),
        adopter_countries=Count("adoptions__adopter__country", filter=published, distinct=True),
    )
