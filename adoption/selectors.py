"""Reads that are more than a queryset verb: the pages and API call these."""

from django.db.models import Count

from adoption.models import Adoption


def published_adoptions():
    """Published records with what a list shows, newest first."""
    return Adoption.objects.published().with_related()


def totals_by_origin_country() -> list[dict]:
    """Published adoptions counted by their base family's origin country, largest first."""
    rows = (
        Adoption.objects.published()
        .values("family__origin_country", "family__origin_country__name")
        .annotate(count=Count("id"))
        .order_by("-count", "family__origin_country")
    )
    return [
        {"iso2": row["family__origin_country"] or "unknown",
         "name": row["family__origin_country__name"] or "Unknown", "count": row["count"]}
        for row in rows
    ]
