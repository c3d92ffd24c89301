"""Map aggregates: kept in step with publication inside the same transaction.

Two structures, both written only here:
- `MapSummary`: published records pre-counted per grain (GRAINS), what the common maps read;
- `PublicationSpan`: one row per period a record was published, with the values the maps read
  (the adopter's country, city and kind as they stood). The open spans are the published registry
  now, without joins (what the maps no grain can answer read); `as_of` reads the spans covering its
  instant.

The moderation services call `summary_record_published` when a record becomes published (approve),
`summary_record_unpublished` when it stops counting (retract) and wrap an approved change in
`summary_record_changing(record)`, always inside their transaction, so the next map request after the
commit shows the change (read-your-writes). Publishing or retracting is one statement on PostgreSQL:
the cell upserts, the span opened or closed and the bump of the registry's data version (the source of
the map endpoints' ETag and Last-Modified). A curator changing an organization's country, city or
kind wraps it in `summary_adopter_changing(organization)`; the periodic consistency check
(`summary_check`) repairs any drift that slipped through, and reports it.
"""

# SQL here is assembled from fixed fragments only; every value travels as a query parameter.
# ruff: noqa: S608
import contextlib
import json
import logging
import uuid
from collections import Counter

from django.db import connection, transaction
from django.utils import timezone

from adoption.choices import Status
from adoption.models import Adoption, MapSummary, Organization
from adoption.models.summary import SUMMARY_INDEXES

# data_version, data_version_bump and data_version_entry are re-exported: the maps' ETag source.
from .data_version import data_version, data_version_bump, data_version_entry, version_bumped  # noqa: F401

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
    # Whole years in the `month` column as yyyy00: a date range reads its whole years here and only its
    # ragged months from grain 6 (since=2023 reads 3 cells per country and family instead of 36).
    10: ("country", "family", "year"),
}
CELL_COLUMNS = ("grain", "country", "city", "adopter_kind", "family_id", "relation", "stage", "month", "tag")
TAG_MAX = 100
assert set(SUMMARY_INDEXES) == set(GRAINS)  # noqa: S101

_CONFLICT = "ON CONFLICT ({cols}) DO UPDATE SET n = {table}.n + excluded.n"
_UPSERT = (
    f"INSERT INTO adoption_mapsummary ({', '.join(CELL_COLUMNS)}, n) VALUES {{values}} "
    + _CONFLICT.format(cols=", ".join(CELL_COLUMNS), table="adoption_mapsummary")
)
# The span values of a record, after adoption_id and published_from.
SPAN_VALUES = ("adopter_id", "country", "city", "adopter_kind", "family_id", "relation", "stage", "started_on",
               "sectors", "languages")
_SPAN_OPEN = (
    f"INSERT INTO adoption_publicationspan (adoption_id, published_from, {', '.join(SPAN_VALUES)}) "
    f"VALUES ({', '.join(['%s'] * (len(SPAN_VALUES) + 2))})"
)
_SPAN_CLOSE = ("UPDATE adoption_publicationspan SET published_until = %s "
               "WHERE adoption_id = %s AND published_until IS NULL")
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
        "year": started.year * 100 if started else 0,
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
            values["month"] if "month" in dims else values["year"] if "year" in dims else 0,
        ]
        if "sector" in dims or "language" in dims:
            tags = _tags(adoption.sectors if "sector" in dims else adoption.languages)
            cells.extend((*row, tag) for tag in tags)
        else:
            cells.append((*row, ""))
    return cells


def record_span(adoption: Adoption) -> tuple:
    """The values of SPAN_VALUES a published record shows the maps (the JSON lists as stored)."""
    adopter = adoption.adopter
    return (adoption.adopter_id, adopter.country_id or "", adopter.city or "", adopter.kind or "",
            adoption.family_id, adoption.relation, adoption.stage, adoption.started_on,
            json.dumps(adoption.sectors), json.dumps(adoption.languages))


def _upsert(cells: dict[tuple, int]) -> tuple[str, list]:
    """One multi-row upsert adding each cell's delta (cells whose delta is 0 are left out)."""
    # Sorted, so two transactions touching the same cells lock them in the same order (no deadlock).
    rows = sorted(((cell, delta) for cell, delta in cells.items() if delta),
                  key=lambda row: tuple(str(part) for part in row[0]))
    if not rows:
        return "", []
    placeholders = "(" + ", ".join(["%s"] * (len(CELL_COLUMNS) + 1)) + ")"
    return _UPSERT.format(values=", ".join([placeholders] * len(rows))), [
        value for cell, delta in rows for value in (*cell, delta)
    ]


def _write(cells: dict[tuple, int], span: tuple[str, list] | None = None) -> None:
    """Apply cell deltas and one span statement, and move the data version: one round trip on
    PostgreSQL (data-modifying CTEs), so the upkeep costs an approval as little as it can."""
    parts = [part for part in (_upsert(cells), span) if part and part[0]]
    token, now = uuid.uuid4().hex, timezone.now()
    if connection.vendor == "postgresql":
        ctes = ", ".join(f"u{index} AS ({sql})" for index, (sql, _) in enumerate(parts))
        params = [value for _, part in parts for value in part] + [token, now]
        with connection.cursor() as cursor:
            cursor.execute((f"WITH {ctes} " if ctes else "") + _BUMP, params)
            bumped = cursor.rowcount
        version_bumped(token, now, bumped)
        return
    with connection.cursor() as cursor:
        for sql, params in parts:
            cursor.execute(sql, params)
    data_version_bump()


def summary_record_published(adoption: Adoption) -> None:
    """Count a record that has just become published (call inside the publishing transaction)."""
    _write(Counter(record_cells(adoption)), (_SPAN_OPEN, [adoption.pk, timezone.now(), *record_span(adoption)]))


def summary_record_unpublished(adoption: Adoption) -> None:
    """Stop counting a record that was published, as it stood while published (same transaction)."""
    _write({cell: -count for cell, count in Counter(record_cells(adoption)).items()},
           (_SPAN_CLOSE, [timezone.now(), adoption.pk]))


@contextlib.contextmanager
def summary_record_changing(adoption: Adoption):
    """Wrap an approved change to a published record (inside its transaction, around the save):
    only the cells that differ move, and its span is closed and reopened when what the maps show
    of it changed.

    Usage: ``with summary_record_changing(record): apply the change; record.save()``.
    """
    before, span_before = Counter(record_cells(adoption)), record_span(adoption)
    yield
    cells = Counter(record_cells(adoption))
    cells.subtract(before)
    if any(cells.values()) or record_span(adoption) != span_before:
        _write(cells)
        _spans_reopen("adoption_id", [adoption.pk])


def _spans_reopen(column: str, values: list) -> None:
    """Close the open spans whose `column` (adoption_id or adopter_id) is in `values` and open new ones
    from the published records among them, as they now stand."""
    record_column = {"adoption_id": "a.id", "adopter_id": "a.adopter_id"}[column]
    now = timezone.now()
    with connection.cursor() as cursor:
        for start in range(0, len(values), 500):
            chunk = values[start:start + 500]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"UPDATE adoption_publicationspan SET published_until = %s "
                           f"WHERE published_until IS NULL AND {column} IN ({marks})", [now, *chunk])
            cursor.execute(
                f"INSERT INTO adoption_publicationspan (adoption_id, published_from, {', '.join(SPAN_VALUES)}) "
                f"SELECT a.id, %s, {_SPAN_SELECT} FROM adoption_adoption a JOIN adoption_organization o "
                f"ON o.id = a.adopter_id WHERE a.status = %s AND {record_column} IN ({marks})",
                [now, Status.PUBLISHED.value, *chunk])


# The span values of a published record in SQL (a: adoption_adoption, o: adoption_organization).
_SPAN_SELECT = ("a.adopter_id, COALESCE(o.country_id, ''), o.city, o.kind, a.family_id, a.relation, a.stage, "
                "a.started_on, a.sectors, a.languages")


@contextlib.contextmanager
def summary_adopter_changing(organization: Organization):
    """Wrap a change to an organization's country, city or kind so its published records move with it.

    Usage: ``with summary_adopter_changing(org): organization_update(...)`` inside a transaction.
    """
    with transaction.atomic():
        records = list(Adoption.objects.published().filter(adopter_id=organization.pk))
        adopter = Organization.objects.get(pk=organization.pk)
        cells = Counter()
        for record in records:
            record.adopter = adopter
            cells.subtract(record_cells(record))
        yield
        adopter = Organization.objects.get(pk=organization.pk)
        for record in records:
            record.adopter = adopter
            cells.update(record_cells(record))
        _write(cells)
        if records:
            _spans_reopen("adopter_id", [organization.pk])


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
        "month": (_month_sql(vendor, "a.started_on") if "month" in dims
                  else f"({_month_sql(vendor, 'a.started_on')}) / 100 * 100" if "year" in dims else "0"),
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
    insert = f"INSERT INTO adoption_mapsummary ({', '.join(CELL_COLUMNS)}, n) "
    return [("DELETE FROM adoption_mapsummary", []),
            *((insert + _expected_select(vendor, grain), []) for grain in GRAINS)]


def spans_from_history_sql() -> str:
    """INSERT of every span from the records' history (migration 0006 and bench_maps fill an empty table
    with it): a history row that shows a record published opens a span, its next history row closes it,
    which is what `as_of` answered from the history itself. The adopter's country, city and kind are the
    organization's current ones (its own history is not consulted)."""
    return (
        "INSERT INTO adoption_publicationspan (adoption_id, published_from, published_until, "
        f"{', '.join(SPAN_VALUES)}) "
        "SELECT h.id, h.history_date, h.next_date, h.adopter_id, COALESCE(o.country_id, ''), o.city, o.kind, "
        "h.family_id, h.relation, h.stage, h.started_on, h.sectors, h.languages FROM ("
        "SELECT h.*, LEAD(h.history_date) OVER (PARTITION BY h.id ORDER BY h.history_date, h.history_id) AS next_date "
        "FROM adoption_historicaladoption h) h JOIN adoption_organization o ON o.id = h.adopter_id "
        f"WHERE h.status = '{Status.PUBLISHED}' AND h.history_type <> '-'"
    )


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


def _drift(expected: str) -> tuple[list[tuple], int]:
    """Summary cells whose count differs from the recount `expected` (a UNION of SELECTs), and the
    number of stored cells."""
    cols = ", ".join(CELL_COLUMNS)
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
        return drift, cursor.fetchone()[0]


def _span_drift() -> tuple[list[int], int]:
    """Ids of the records whose open span is not the record as published now (missing, left open
    after it stopped counting, or with other values), and the number of open spans."""
    stored = f"SELECT adoption_id, {', '.join(SPAN_VALUES)} FROM adoption_publicationspan WHERE published_until IS NULL"
    expected = (f"SELECT a.id, {_SPAN_SELECT} FROM adoption_adoption a JOIN adoption_organization o "
                f"ON o.id = a.adopter_id WHERE a.status = '{Status.PUBLISHED}'")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT adoption_id FROM ({stored} EXCEPT {expected}) x "
                       f"UNION SELECT id FROM ({expected} EXCEPT {stored}) y", [])
        drifted = sorted({row[0] for row in cursor.fetchall()})
        cursor.execute("SELECT COUNT(*) FROM adoption_publicationspan WHERE published_until IS NULL", [])
        return drifted, cursor.fetchone()[0]


def summary_check(*, repair: bool = False, sample: int = 10) -> dict:
    """Compare the summary and the open publication spans with the records.

    Returns {"cells_checked", "drifted", "examples": [{"cell", "stored", "expected"} or {"span"}],
    "repaired"}. With repair=True, in one transaction, a drifted summary is rebuilt (and the data
    version bumped) and drifted spans are closed now and reopened from the records: the past they
    recorded is kept.
    """
    drift, checked = _drift(" UNION ALL ".join(_expected_select(connection.vendor, grain) for grain in GRAINS))
    span_drift, spans = _span_drift()
    width = len(CELL_COLUMNS)
    examples = [
        {"cell": dict(zip(CELL_COLUMNS, row[:width], strict=True)), "stored": row[width], "expected": row[width + 1]}
        for row in drift
    ] + [{"span": {"adoption_id": pk}} for pk in span_drift]
    report = {
        "cells_checked": checked + spans,
        "drifted": len(drift) + len(span_drift),
        "examples": examples[:sample],
        "repaired": False,
    }
    if report["drifted"]:
        logger.warning("maps: summary drift in %d cells, e.g. %s", report["drifted"], report["examples"][:3])
        if repair:
            with transaction.atomic():
                if drift:
                    summary_rebuild()
                if span_drift:
                    _spans_reopen("adoption_id", span_drift)
                    data_version_bump()
            report["repaired"] = True
    return report


def _rename(union_sql: str) -> str:
    """Name the columns of the expected-cells UNION so the outer query can refer to them."""
    cols = ", ".join(CELL_COLUMNS)
    return f"SELECT * FROM ({union_sql}) AS u ({cols}, n)" if connection.vendor == "postgresql" else (
        f"WITH u({cols}, n) AS ({union_sql}) SELECT * FROM u"
    )
