"""Reads of the Hub ecosystem figures, precomputed at import (adoption.services.hub): one indexed read each."""

import datetime
import json

from django.db import connections, router
from django.utils.translation import gettext as _

from adoption.models import Country, HubFigure, HubSnapshot


class NoSnapshot(LookupError):
    """No snapshot of the date asked for (or none at all); the message says which."""


def snapshots() -> list[dict]:
    """Every imported snapshot, newest first, as the API lists them."""
    return [{"date": date.isoformat(), "models": models, "edges": edges, "malformed": malformed}
            for date, models, edges, malformed in HubSnapshot.objects.order_by("-date").values_list(
                "date", "models", "edges", "malformed")]


# One statement, not the ORM's query: the ORM took three times as long to build it as the database to answer
# (the answer is a few KB), and serving a figure should cost about as much as a trivial endpoint (issue 15).
FIGURE = """
SELECT s.date, f.payload FROM adoption_hubfigure f JOIN adoption_hubsnapshot s ON s.id = f.snapshot_id
WHERE f.kind = %s {date} ORDER BY s.date DESC LIMIT 1
"""


def figure(kind: str, date: datetime.date | None = None) -> tuple[datetime.date, object]:
    """(snapshot date, payload) of a figure of the snapshot of `date`, or of the latest snapshot."""
    # (Read where the ORM would read it: a replica when the request may use one.)
    with connections[router.db_for_read(HubFigure)].cursor() as cursor:
        cursor.execute(FIGURE.format(date="AND s.date = %s" if date else ""), [kind, date] if date else [kind])
        found = cursor.fetchone()
    if found is None:
        if date is None or not HubSnapshot.objects.exists():
            raise NoSnapshot(_("No Hub snapshot has been imported yet (manage.py import_hub_snapshot)."))
        raise NoSnapshot(_("No Hub snapshot of %(date)s; /api/v1/ecosystem/snapshots/ lists them.")
                         % {"date": date.isoformat()})
    found_date, payload = found
    # SQLite answers text for both; PostgreSQL a date, and the JSON as text or decoded depending on the driver.
    if isinstance(found_date, str):
        found_date = datetime.date.fromisoformat(found_date)
    return found_date, json.loads(payload) if isinstance(payload, str) else payload


def family_on_the_hub(slug: str) -> dict | None:
    """The family's derivatives in the latest snapshot ({"snapshot": date, "figures": entry}), or None when no
    snapshot was imported or the family has no checkpoint in it."""
    try:
        date, families = figure("families")
    except NoSnapshot:
        return None
    entry = next((entry for entry in families if entry["family"] == slug), None)
    return {"snapshot": date, "figures": entry} if entry else None


def download_shares_by_country(limit: int = 10) -> dict | None:
    """The latest snapshot's download shares under both attributions, side by side, for the map page:
    {"snapshot", "total", "rows": [{"country", "name", "base_origin", "uploader"}], "unknown": {...}, "other":
    {...}} with the `limit` countries largest under either attribution; None before any import."""
    try:
        date, by_origin = figure("shares:base_origin:downloads")
        _date, by_uploader = figure("shares:uploader:downloads", date)
    except NoSnapshot:
        return None
    top = list(dict.fromkeys([*list(by_origin["shares"])[:limit], *list(by_uploader["shares"])[:limit]]))[:limit]
    names = dict(Country.objects.filter(iso2__in=top).values_list("iso2", "name"))
    rows = [{"country": iso2, "name": names.get(iso2, iso2), "base_origin": by_origin["shares"].get(iso2, 0.0),
             "uploader": by_uploader["shares"].get(iso2, 0.0)} for iso2 in top]

    def rest(shares):
        return max(0.0, round(1 - shares["unknown"] - sum(shares["shares"].get(iso2, 0.0) for iso2 in top), 4))

    return {"snapshot": date, "total": by_origin["total"], "rows": rows,
            "unknown": {"base_origin": by_origin["unknown"], "uploader": by_uploader["unknown"]},
            "other": {"base_origin": rest(by_origin), "uploader": rest(by_uploader)}}
