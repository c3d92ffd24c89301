"""Map aggregates: kept in step with publication inside the same transaction.

The moderation services call `summary_record_published` when a record becomes published (approve,
approved change request: after the change) and `summary_record_unpublished` when it stops counting
(retract; approved change request: before the change), always inside their transaction, so the next
map request after the commit shows the change (read-your-writes).

Each call is one multi-row upsert into `MapSummary` (one cell per grain) plus a bump of the
registry's data version, which the map endpoints turn into ETag and Last-Modified. The adopter's
country, city and kind are copied into the cells: when a curator changes those on an organization
with published records, wrap the change in `summary_adopter_changing(organization)`; the periodic
consistency check (`summary_check`) repairs any drift that slipped through, and reports it.
"""

# SQL here is assembled from fixed fragments only; every value travels as a query parameter.
# ruff: noqa: S608
import contextlib
import logging
import uuid
from collections.abc import Iterable

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from adoption.choices import Status
from adoption.models import Adoption, MapSummary, Organization, RegistryDataVersion

logger = logging.getLogger(__name__)

# Grain id -> the dimensions it keeps. "sector" and "language" share the `tag` column and explode a
# record into one cell per distinct value. Readers pick the smallest grain that holds what they need.
GRAINS: dict[int, tuple[str, ...]] = {
    1: ("country", "family"),
    2: ("country", "family", "relation"),
    3: ("country", "family", "stage"),
    4: ("country", "family", "adopter_kind"),
    5: ("country", "city", "family"),
    6: ("country", "family", "month"),
    7: ("country", "family", "sector"),
    8: ("country", "family", "language"),
    9: ("country", "adopter_kind", "family", "relation", "stage"),
}
CELL_COLUMNS = ("grain", "country", "city", "adopter_kind", "family_id", "relation", "stage", "month", "tag")
TAG_MAX = 100
DATA_VERSION_CACHE_KEY = "adoption:maps:data-version"

_UPSERT = (
    f"INSERT INTO adoption_mapsummary ({', '.join(CELL_COLUMNS)}, n) VALUES {{values}} "
    f"ON CONFLICT ({', '.join(CELL_COLUMNS)}) DO UPDATE SET n = adoption_mapsummary.n + excluded.n"
)


def _tags(values) -> list[str]:
    """The distinct strings of a sectors/languages list, as the SQL rebuild sees them."""
    if not isinstance(values, list):
        return []
    return sorted({value[:TAG_MAX] for value in values if isinstance(value, str)})


def record_cells(adoption: Adoption) -> list[tuple]:
    """The summary cells a published record counts in: one per grain (one per tag in exploded grains)."""
    adopter = adoption.adopter
    started = adoption.started_on
    values = {
        "country": adopter.country_id or "",
        "city": adopter.city or "",
        "adopter_kind": adopter.kind or "",
        "family": adoption.family_id,
        "relation": adoption.relation,
        "stage": adoption.stage,
        "month": started.year * 100 + started.month if started else 0,
    }
    cells = []
    for grain, dims in GRAINS.items():
        row = [
            grain,
            values["country"] if "country" in dims else "",
            values["city"] if "city" in dims else "",
            values["adopter_kind"] if "adopter_kind" in dims else "",
            values["family"] if "family" in dims else 0,
            values["relation"] if "relation" in dims else "",
            values["stage"] if "stage" in dims else "",
            values["month"] if "month" in dims else 0,
        ]
        if "sector" in dims or "language" in dims:
            tags = _tags(adoption.sectors if "sector" in dims else adoption.languages)
            cells.extend((*row, tag) for tag in tags)
        else:
            cells.append((*row, ""))
    return cells


def _apply_cells(cells: Iterable[tuple], delta: int) -> None:
    # Sorted, so two transactions touching the same cells lock them in the same order (no deadlock).
    cells = sorted(set(cells), key=lambda cell: tuple(str(part) for part in cell))
    if not cells:
        return
    placeholders = "(" + ", ".join(["%s"] * (len(CELL_COLUMNS) + 1)) + ")"
    params = [value for cell in cells for value in (*cell, delta)]
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT.format(values=", ".join([placeholders] * len(cells))), params)


def summary_record_published(adoption: Adoption) -> None:
    """Count a record that has just become published (call inside the publishing transaction)."""
    _apply_cells(record_cells(adoption), +1)
    data_version_bump()


def summary_record_unpublished(adoption: Adoption) -> None:
    """Stop counting a record that was published, as it stood while published (same transaction)."""
    _apply_cells(record_cells(adoption), -1)
    data_version_bump()


@contextlib.contextmanager
def summary_adopter_changing(organization: Organization):
    """Wrap a change to an organization's country, city or kind so its published records move with it.

    Usage: ``with summary_adopter_changing(org): organization_update(...)`` inside a transaction.
    """
    with transaction.atomic():
        records = list(Adoption.objects.published().filter(adopter_id=organization.pk))
        adopter = Organization.objects.get(pk=organization.pk)
        for record in records:
            record.adopter = adopter
            _apply_cells(record_cells(record), -1)
        yield
        adopter = Organization.objects.get(pk=organization.pk)
        for record in records:
            record.adopter = adopter
            _apply_cells(record_cells(record), +1)
        data_version_bump()


# --- the data version: ETag and Last-Modified without touching the database on a revalidation ---


def data_version() -> tuple[str, object]:
    """(token, changed_at) of the registry's map data; from the cache, else one query (then cached)."""
    try:
        cached = cache.get(DATA_VERSION_CACHE_KEY)
    except Exception:  # a cache outage must not take the maps down
        logger.warning("maps: cache unavailable for the data version", exc_info=True)
        cached = None
    if cached:
        return cached
    row = RegistryDataVersion.objects.filter(pk=1).values_list("token", "changed_at").first()
    if row is None:
        obj, _ = RegistryDataVersion.objects.get_or_create(pk=1, defaults={"changed_at": timezone.now()})
        row = (obj.token, obj.changed_at)
    with contextlib.suppress(Exception):
        cache.set(DATA_VERSION_CACHE_KEY, tuple(row), timeout=3600)
    return tuple(row)


def _forget_cached_version() -> None:
    try:
        cache.delete(DATA_VERSION_CACHE_KEY)
    except Exception:
        logger.warning("maps: could not clear the cached data version", exc_info=True)


def data_version_bump() -> None:
    """Mark the map data as changed (in the caller's transaction); the cached copy is dropped now and
    again on commit, so a reader that re-read the old row in between does not keep it."""
    now = timezone.now()
    token = uuid.uuid4().hex
    updated = RegistryDataVersion.objects.filter(pk=1).update(version=F("version") + 1, token=token, changed_at=now)
    if not updated:
        RegistryDataVersion.objects.update_or_create(pk=1, defaults={"token": token, "changed_at": now})
    _forget_cached_version()
    transaction.on_commit(_forget_cached_version)


# --- rebuild and consistency check ---


def _month_sql(vendor: str, column: str) -> str:
    if vendor == "postgresql":
        return f"COALESCE(EXTRACT(YEAR FROM {column})::int * 100 + EXTRACT(MONTH FROM {column})::int, 0)"
    return f"COALESCE(CAST(strftime('%%Y%%m', {column}) AS INTEGER), 0)"


def _tag_join(vendor: str, column: str) -> tuple[str, str]:
    """(join clause, tag expression) exploding a JSON list column into its string items."""
    if vendor == "postgresql":
        return (
            f"CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof({column}) = 'array' "
            f"THEN {column} ELSE '[]'::jsonb END) AS e(item)",
            f"LEFT(e.item #>> '{{}}', {TAG_MAX})",
        )
    return f"JOIN json_each(CASE WHEN json_type({column}) = 'array' THEN {column} ELSE '[]' END) AS e", (
        f"substr(e.value, 1, {TAG_MAX})"
    )


def _expected_select(vendor: str, grain: int) -> str:
    """SELECT of the cells of one grain computed from the records (the ground truth)."""
    dims = GRAINS[grain]
    exprs = {
        "country": "COALESCE(o.country_id, '')" if "country" in dims else "''",
        "city": "o.city" if "city" in dims else "''",
        "adopter_kind": "o.kind" if "adopter_kind" in dims else "''",
        "family_id": "a.family_id" if "family" in dims else "0",
        "relation": "a.relation" if "relation" in dims else "''",
        "stage": "a.stage" if "stage" in dims else "''",
        "month": _month_sql(vendor, "a.started_on") if "month" in dims else "0",
        "tag": "''",
    }
    join, where, measure = "", "", "COUNT(*)"
    if "sector" in dims or "language" in dims:
        join, exprs["tag"] = _tag_join(vendor, "a.sectors" if "sector" in dims else "a.languages")
        where = " AND " + ("jsonb_typeof(e.item) = 'string'" if vendor == "postgresql" else "e.type = 'text'")
        measure = "COUNT(DISTINCT a.id)"  # a list naming one sector twice still counts the record once
    columns = ", ".join(exprs[col] for col in CELL_COLUMNS[1:])
    return (
        f"SELECT {grain}, {columns}, {measure} FROM adoption_adoption a "
        f"JOIN adoption_organization o ON o.id = a.adopter_id {join} "
        f"WHERE a.status = '{Status.PUBLISHED}'{where} GROUP BY {', '.join(str(i) for i in range(2, 10))}"
    )


def rebuild_sql_statements(vendor: str) -> list[tuple[str, list]]:
    """The statements that refill the summary from the records (also used by migration 0004)."""
    statements = [("DELETE FROM adoption_mapsummary", [])]
    insert = f"INSERT INTO adoption_mapsummary ({', '.join(CELL_COLUMNS)}, n) "
    statements += [(insert + _expected_select(vendor, grain), []) for grain in GRAINS]
    return statements


def _lock_summary() -> None:
    # Concurrent publishes wait until the rebuild commits, then add their +1 to the rebuilt cells.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE adoption_mapsummary IN EXCLUSIVE MODE")


@transaction.atomic
def summary_rebuild() -> int:
    """Recompute every summary cell from the published records; returns the number of cells."""
    _lock_summary()
    with connection.cursor() as cursor:
        for sql, params in rebuild_sql_statements(connection.vendor):
            cursor.execute(sql, params)
    data_version_bump()
    return MapSummary.objects.count()


def summary_check(*, repair: bool = False, sample: int = 10) -> dict:
    """Compare the summary with a recount from the records.

    Returns {"cells_checked", "drifted", "examples": [{"cell", "stored", "expected"}], "repaired"}.
    With repair=True a drifted summary is rebuilt in one transaction (and the data version bumped).
    """
    vendor = connection.vendor
    cols = ", ".join(CELL_COLUMNS)
    expected = " UNION ALL ".join(_expected_select(vendor, grain) for grain in GRAINS)
    sql = (
        f"SELECT {cols}, SUM(stored), SUM(expected) FROM ("
        f"SELECT {cols}, n AS stored, 0 AS expected FROM adoption_mapsummary WHERE n <> 0 "
        f"UNION ALL SELECT {cols}, 0, n FROM ({_rename(expected)}) x"
        f") d GROUP BY {cols} HAVING SUM(stored) <> SUM(expected)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [])  # always with params: the SQLite backend then unescapes '%%'
        drift = cursor.fetchall()
        cursor.execute("SELECT COUNT(*) FROM adoption_mapsummary", [])
        checked = cursor.fetchone()[0]
    report = {
        "cells_checked": checked,
        "drifted": len(drift),
        "examples": [
            {"cell": dict(zip(CELL_COLUMNS, row[:9], strict=True)), "stored": row[9], "expected": row[10]}
            for row in drift[:sample]
        ],
        "repaired": False,
    }
    if drift:
        logger.warning("maps: summary drift in %d cells, e.g. %s", len(drift), report["examples"][:3])
        if repair:
            summary_rebuild()
            report["repaired"] = True
    return report


def _rename(union_sql: str) -> str:
    """Name the columns of the expected-cells UNION so the outer query can refer to them."""
    cols = ", ".join(CELL_COLUMNS)
    return f"SELECT * FROM ({union_sql}) AS u ({cols}, n)" if connection.vendor == "postgresql" else (
        f"WITH u({cols}, n) AS ({union_sql}) SELECT * FROM u"
    )
