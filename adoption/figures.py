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
