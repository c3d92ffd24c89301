"""Map aggregates: kept in step with publication inside the same transaction.

The moderation services call `summary_record_published` when a record becomes published (approve,
approved change request: after the change) and `summary_record_unpublished` when it stops counting
(retract; approved change request: before the change), always inside their transaction, so the next
map request after the commit shows the change (read-your-writes).

Each call is one statement on PostgreSQL: a multi-row upsert into `MapSummary` (one cell per grain),
one into `MapAdopterCell` (one cell per adopter grain: what `unit=adopters` counts) and a bump of the
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
from adoption.models.summary import ADOPTER_INDEXES, SUMMARY_INDEXES, MapAdopterCell

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
# Adopter grains: the record's own dimensions per adopter (the adopter's country, city and kind are
# joined from the organization when read). `unit=adopters` counts the adopters with a live cell.
# Sectors and languages are left to the SQL over the records: exploded per adopter they would hold about
# as many cells as there are records, and cost every approval several more.
ADOPTER_GRAINS: dict[int, tuple[str, ...]] = {
    1: ("family",),
    2: ("family", "relation"),
    3: ("family", "stage"),
}
ADOPTER_COLUMNS = ("grain", "adopter_id", "family_id", "relation", "stage", "tag")
TAG_MAX = 100
DATA_VERSION_CACHE_KEY = "adoption:maps:data-version"
assert set(SUMMARY_INDEXES) == set(GRAINS) and set(ADOPTER_INDEXES) == set(ADOPTER_GRAINS)  # noqa: S101

_CONFLICT = "ON CONFLICT ({cols}) DO UPDATE SET n = {table}.n + excluded.n"
_UPSERT = (
    f"INSERT INTO adoption_mapsummary ({', '.join(CELL_COLUMNS)}, n) VALUES {{values}} "
    + _CONFLICT.format(cols=", ".join(CELL_COLUMNS), table="adoption_mapsummary")
)
_ADOPTER_UPSERT = (
    f"INSERT INTO adoption_mapadoptercell ({', '.join(ADOPTER_COLUMNS)}, n) VALUES {{values}} "
    + _CONFLICT.format(cols=", ".join(ADOPTER_COLUMNS), table="adoption_mapadoptercell")
)
_BUMP = "UPDATE adoption_registrydataversion SET version = version + 1, token = %s, changed_at = %s WHERE id = 1"


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


def record_adopter_cells(adoption: Adoption) -> list[tuple]:
    """The adopter cells a published record counts in: one per adopter grain (one per tag when exploded)."""
    cells = []
    for grain, dims in ADOPTER_GRAINS.items():
        row = (grain, adoption.adopter_id, adoption.family_id, adoption.relation if "relation" in dims else "",
               adoption.stage if "stage" in dims else "")
        if "sector" in dims or "language" in dims:
            tags = _tags(adoption.sectors if "sector" in dims else adoption.languages)
            cells.extend((*row, tag) for tag in tags)
        else:
            cells.append((*row, ""))
    return cells


def _upsert(template: str, width: int, cells: Iterable[tuple], delta: int) -> tuple[str, list]:
    # Sorted, so two transactions touching the same cells lock them in the same order (no deadlock).
    cells = sorted(set(cells), key=lambda cell: tuple(str(part) for part in cell))
    if not cells:
        return "", []
    placeholders = "(" + ", ".join(["%s"] * (width + 1)) + ")"
    return template.format(values=", ".join([placeholders] * len(cells))), [
        value for cell in cells for value in (*cell, delta)
    ]


def _apply_record(adoption: Adoption, delta: int, *, bump: bool = True) -> None:
    """Add `delta` to every cell of the record and (bump=True) move the data version, in one round trip
    on PostgreSQL (data-modifying CTEs): the upkeep costs an approval as little as it can."""
    parts = [
        _upsert(_UPSERT, len(CELL_COLUMNS), record_cells(adoption), delta),
        _upsert(_ADOPTER_UPSERT, len(ADOPTER_COLUMNS), record_adopter_cells(adoption), delta),
    ]
    parts = [(sql, params) for sql, params in parts if sql]
    token, now = uuid.uuid4().hex, timezone.now()
    if connection.vendor == "postgresql" and bump:
        ctes = ", ".join(f"u{index} AS ({sql})" for index, (sql, _) in enumerate(parts))
        params = [value for _, part in parts for value in part] + [token, now]
        with connection.cursor() as cursor:
            cursor.execute((f"WITH {ctes} " if ctes else "") + _BUMP, params)
            bumped = cursor.rowcount
        _version_bumped(token, now, bumped)
        return
    with connection.cursor() as cursor:
        for sql, params in parts:
            cursor.execute(sql, params)
    if bump:
        data_version_bump()


def summary_record_published(adoption: Adoption) -> None:
    """Count a record that has just become published (call inside the publishing transaction)."""
    _apply_record(adoption, +1)


def summary_record_unpublished(adoption: Adoption) -> None:
    """Stop counting a record that was published, as it stood while published (same transaction)."""
    _apply_record(adoption, -1)


def _apply_cells(cells: Iterable[tuple], delta: int) -> None:
    sql, params = _upsert(_UPSERT, len(CELL_COLUMNS), cells, delta)
    if sql:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


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
    token, changed_at, _ = data_version_entry()
    return token, changed_at


def _redis_backend():
    """The default cache and a Redis client kept for this process when it is Django's RedisCache, else
    (cache, None). Django builds a new redis.Redis per call, which costs more than the round trip itself
    (its command table is rebuilt each time): the maps read and clear the data version on every request
    and approval, so they keep one client (thread-safe, on the cache's own connection pool)."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return backend, None
    client = backend._cache.__dict__.get("_maps_client")
    if client is None:
        client = backend._cache.__dict__["_maps_client"] = backend._cache.get_client(write=True)
    return backend, client


def cache_read(key: str):
    """cache.get(key) through the kept Redis client (see _redis_backend); exceptions pass through."""
    backend, client = _redis_backend()
    if client is None:
        return backend.get(key)
    value = client.get(backend.make_and_validate_key(key))
    return None if value is None else backend._cache._serializer.loads(value)


def cache_forget(key: str) -> None:
    """cache.delete(key) through the kept Redis client; exceptions pass through."""
    backend, client = _redis_backend()
    if client is None:
        backend.delete(key)
    else:
        client.delete(backend.make_and_validate_key(key))


def data_version_entry() -> tuple[str, object, str]:
    """(token, changed_at, fill): `fill` is new each time the cached copy is (re)filled, e.g. after the
    cache was cleared or restored, so a per-process copy of a response keyed by it is never trusted
    beyond the cache it came with."""
    try:
        cached = cache_read(DATA_VERSION_CACHE_KEY)
    except Exception:  # a cache outage must not take the maps down
        logger.warning("maps: cache unavailable for the data version", exc_info=True)
        cached = None
    if cached and len(cached) == 3:
        return tuple(cached)
    row = RegistryDataVersion.objects.filter(pk=1).values_list("token", "changed_at").first()
    if row is None:
        obj, _ = RegistryDataVersion.objects.get_or_create(pk=1, defaults={"changed_at": timezone.now()})
        row = (obj.token, obj.changed_at)
    entry = (row[0], row[1], uuid.uuid4().hex)
    with contextlib.suppress(Exception):
        cache.set(DATA_VERSION_CACHE_KEY, entry, timeout=3600)
    return entry


def _forget_cached_version() -> None:
    try:
        cache_forget(DATA_VERSION_CACHE_KEY)
    except Exception:
        logger.warning("maps: could not clear the cached data version", exc_info=True)


def data_version_bump() -> None:
    """Mark the map data as changed (in the caller's transaction); the cached copy is dropped when the
    transaction commits (at once outside one), before the caller's response goes out: the next request
    reads the new version (read-your-writes)."""
    now = timezone.now()
    token = uuid.uuid4().hex
    updated = RegistryDataVersion.objects.filter(pk=1).update(version=F("version") + 1, token=token, changed_at=now)
    _version_bumped(token, now, updated)


def _version_bumped(token: str, now, updated: int) -> None:
    if not updated:
        RegistryDataVersion.objects.update_or_create(pk=1, defaults={"token": token, "changed_at": now})
    # Once, on commit: dropping it before as well would not help (a reader may refill it from the old
    # row until the commit) and costs the approval another round trip.
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


def _expected_adopter_select(vendor: str, grain: int) -> str:
    """SELECT of the adopter cells of one adopter grain computed from the records."""
    dims = ADOPTER_GRAINS[grain]
    exprs = {"adopter_id": "a.adopter_id", "family_id": "a.family_id",
             "relation": "a.relation" if "relation" in dims else "''",
             "stage": "a.stage" if "stage" in dims else "''", "tag": "''"}
    join, where, measure = "", "", "COUNT(*)"
    if "sector" in dims or "language" in dims:
        join, exprs["tag"] = _tag_join(vendor, "a.sectors" if "sector" in dims else "a.languages")
        where = " AND " + ("jsonb_typeof(e.item) = 'string'" if vendor == "postgresql" else "e.type = 'text'")
        measure = "COUNT(DISTINCT a.id)"
    columns = ", ".join(exprs[col] for col in ADOPTER_COLUMNS[1:])
    return (
        f"SELECT {grain}, {columns}, {measure} FROM adoption_adoption a {join} "
        f"WHERE a.status = '{Status.PUBLISHED}'{where} GROUP BY {', '.join(str(i) for i in range(2, 7))}"
    )


def rebuild_sql_statements(vendor: str) -> list[tuple[str, list]]:
    """The statements that refill the summary from the records (also used by migration 0004)."""
    statements = [("DELETE FROM adoption_mapsummary", []), ("DELETE FROM adoption_mapadoptercell", [])]
    insert = f"INSERT INTO adoption_mapsummary ({', '.join(CELL_COLUMNS)}, n) "
    statements += [(insert + _expected_select(vendor, grain), []) for grain in GRAINS]
    insert = f"INSERT INTO adoption_mapadoptercell ({', '.join(ADOPTER_COLUMNS)}, n) "
    statements += [(insert + _expected_adopter_select(vendor, grain), []) for grain in ADOPTER_GRAINS]
    return statements


def _lock_summary() -> None:
    # Concurrent publishes wait until the rebuild commits, then add their +1 to the rebuilt cells.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE adoption_mapsummary, adoption_mapadoptercell IN EXCLUSIVE MODE")


@transaction.atomic
def summary_rebuild() -> int:
    """Recompute every summary cell (and adopter cell) from the published records; returns the number of cells."""
    _lock_summary()
    with connection.cursor() as cursor:
        for sql, params in rebuild_sql_statements(connection.vendor):
            cursor.execute(sql, params)
    data_version_bump()
    return MapSummary.objects.count() + MapAdopterCell.objects.count()


def _drift(table: str, columns: tuple[str, ...], expected: str) -> tuple[list[tuple], int]:
    """Cells of `table` whose count differs from the recount `expected` (a UNION of SELECTs), and the
    number of stored cells."""
    cols = ", ".join(columns)
    sql = (
        f"SELECT {cols}, SUM(stored), SUM(expected) FROM ("
        f"SELECT {cols}, n AS stored, 0 AS expected FROM {table} WHERE n <> 0 "
        f"UNION ALL SELECT {cols}, 0, n FROM ({_rename(expected, columns)}) x"
        f") d GROUP BY {cols} HAVING SUM(stored) <> SUM(expected)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [])  # always with params: the SQLite backend then unescapes '%%'
        drift = cursor.fetchall()
        cursor.execute(f"SELECT COUNT(*) FROM {table}", [])
        return drift, cursor.fetchone()[0]


def summary_check(*, repair: bool = False, sample: int = 10) -> dict:
    """Compare the summary (and the adopter cells) with a recount from the records.

    Returns {"cells_checked", "drifted", "examples": [{"cell", "stored", "expected"}], "repaired"}.
    With repair=True a drifted summary is rebuilt in one transaction (and the data version bumped).
    """
    vendor = connection.vendor
    drift, checked = _drift("adoption_mapsummary", CELL_COLUMNS,
                            " UNION ALL ".join(_expected_select(vendor, grain) for grain in GRAINS))
    adopter_drift, adopter_checked = _drift(
        "adoption_mapadoptercell", ADOPTER_COLUMNS,
        " UNION ALL ".join(_expected_adopter_select(vendor, grain) for grain in ADOPTER_GRAINS))
    width = len(CELL_COLUMNS)
    examples = [
        {"cell": dict(zip(CELL_COLUMNS, row[:width], strict=True)), "stored": row[width], "expected": row[width + 1]}
        for row in drift
    ] + [
        {"cell": {"adopter cell": True, **dict(zip(ADOPTER_COLUMNS, row[:-2], strict=True))}, "stored": row[-2],
         "expected": row[-1]}
        for row in adopter_drift
    ]
    report = {
        "cells_checked": checked + adopter_checked,
        "drifted": len(drift) + len(adopter_drift),
        "examples": examples[:sample],
        "repaired": False,
    }
    if report["drifted"]:
        logger.warning("maps: summary drift in %d cells, e.g. %s", report["drifted"], report["examples"][:3])
        if repair:
            summary_rebuild()
            report["repaired"] = True
    return report


def _rename(union_sql: str, columns: tuple[str, ...] = CELL_COLUMNS) -> str:
    """Name the columns of the expected-cells UNION so the outer query can refer to them."""
    cols = ", ".join(columns)
    return f"SELECT * FROM ({union_sql}) AS u ({cols}, n)" if connection.vendor == "postgresql" else (
        f"WITH u({cols}, n) AS ({union_sql}) SELECT * FROM u"
    )
