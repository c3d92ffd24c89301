"""Map aggregates: kept in step with publication inside the same transaction.

Three structures, all written only here:
- `MapSummary`: published records pre-counted per grain (GRAINS), what the common maps read;
- `AdopterPresence`: published records per adopter and split value (PRESENCE_GRAINS), so that
  `unit=adopters` maps add up rows instead of counting distinct adopters over every record;
- `PublicationSpan`: one row per period a record was published, with the values the maps read
  (the adopter's country, city and kind as they stood). The open spans are the published registry
  now, without joins (what the maps no grain can answer read); `as_of` reads the spans covering its
  instant.

The moderation services call `summary_record_published` when a record becomes published (approve),
`summary_record_unpublished` when it stops counting (retract) and wrap an approved change in
`summary_record_changing(record)`, always inside their transaction, so the next map request after the
commit shows the change (read-your-writes). Publishing or retracting is one statement on PostgreSQL:
the cell and presence upserts, the span opened or closed and the bump of the registry's data version
(the source of the map endpoints' ETag and Last-Modified). A curator changing an organization's
country, city or kind wraps it in `summary_adopter_changing(organization)`, a family's origin in
`summary_family_changing(family)`; the periodic consistency check (`summary_check`) repairs any
drift that slipped through, and reports it.
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
from adoption.models import AdopterPresence, Adoption, MapSummary, ModelFamily, Organization
from adoption.models.summary import SUMMARY_INDEXES

# data_version, data_version_bump and data_version_entry are re-exported: the maps' ETag source.
from .data_version import BUMP_SQL, data_version, data_version_bump, data_version_entry, version_bumped  # noqa: F401

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
    # (No grain holds two of relation, stage and kind: those maps read the publication spans, at about half
    # the baseline, and each grain more costs every approval another cell.)
    # Whole years in the `month` column as yyyy00: a date range reads its whole years here and only its
    # ragged months from grain 6 (since=2023 reads 3 cells per country and family instead of 36).
    10: ("country", "family", "year"),
}
MONTH_GRAIN, YEAR_GRAIN = 6, 10  # read together for date ranges (adoption.aggregates.sql)
CELL_COLUMNS = ("grain", "country", "city", "adopter_kind", "family_id", "relation", "stage", "month", "tag")
# Presence grain id -> the split its rows count adopters in (adoption.models.AdopterPresence): family
# (by family_id), the family's origin, relation and stage (in `value`), and none (also adopter_kind,
# which is the adopter's own). Readers count rows: one row with n > 0 is one adopter.
PRESENCE_GRAINS: dict[int, str] = {1: "family", 2: "origin_country", 3: "relation", 4: "stage", 5: "none"}
PRESENCE_KEY = ("grain", "adopter_id", "family_id", "value")
PRESENCE_COLUMNS = (*PRESENCE_KEY, "country", "city", "adopter_kind")
TAG_MAX = 100
assert set(SUMMARY_INDEXES) == set(GRAINS)  # noqa: S101

_UPSERT = (
    f"INSERT INTO adoption_mapsummary ({', '.join(CELL_COLUMNS)}, n) VALUES {{values}} "
    f"ON CONFLICT ({', '.join(CELL_COLUMNS)}) DO UPDATE SET n = adoption_mapsummary.n + excluded.n"
)
# The adopter's place is refreshed on every upsert, so a row brought back from n = 0 is never stale.
_PRESENCE_UPSERT = (
    f"INSERT INTO adoption_adopterpresence ({', '.join(PRESENCE_COLUMNS)}, n) VALUES {{values}} "
    f"ON CONFLICT ({', '.join(PRESENCE_KEY)}) DO UPDATE SET n = adoption_adopterpresence.n + excluded.n, "
    "country = excluded.country, city = excluded.city, adopter_kind = excluded.adopter_kind"
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


def record_presence(adoption: Adoption) -> list[tuple]:
    """The presence rows (PRESENCE_COLUMNS) a published record counts in: one per presence grain."""
    adopter = adoption.adopter
    place = (adopter.country_id or "", adopter.city or "", adopter.kind or "")
    values = {1: (adoption.family_id, ""), 2: (0, adoption.family.origin_country_id or ""),
              3: (0, adoption.relation), 4: (0, adoption.stage), 5: (0, "")}
    return [(grain, adoption.adopter_id, *values[grain], *place) for grain in PRESENCE_GRAINS]


def record_span(adoption: Adoption) -> tuple:
    """The values of SPAN_VALUES a published record shows the maps (the JSON lists as stored)."""
    adopter = adoption.adopter
    return (adoption.adopter_id, adopter.country_id or "", adopter.city or "", adopter.kind or "",
            adoption.family_id, adoption.relation, adoption.stage, adoption.started_on,
            json.dumps(adoption.sectors), json.dumps(adoption.languages))


def _upsert(template: str, cells: dict[tuple, int]) -> tuple[str, list]:
    """One multi-row upsert adding each cell's delta (cells whose delta is 0 are left out)."""
    # Sorted, so two transactions touching the same cells lock them in the same order (no deadlock).
    rows = sorted(((cell, delta) for cell, delta in cells.items() if delta),
                  key=lambda row: tuple(str(part) for part in row[0]))
    if not rows:
        return "", []
    placeholders = "(" + ", ".join(["%s"] * (len(rows[0][0]) + 1)) + ")"
    return template.format(values=", ".join([placeholders] * len(rows))), [
        value for cell, delta in rows for value in (*cell, delta)
    ]


def _write(cells: dict[tuple, int], presence: dict[tuple, int], span: tuple[str, list] | None = None) -> None:
    """Apply summary and presence deltas and one span statement, and move the data version: one round
    trip on PostgreSQL (data-modifying CTEs), so the upkeep costs an approval as little as it can."""
    parts = [part for part in (_upsert(_UPSERT, cells), _upsert(_PRESENCE_UPSERT, _by_key(presence)), span)
             if part and part[0]]
    token, now = uuid.uuid4().hex, timezone.now()
    if connection.vendor == "postgresql":
        ctes = ", ".join(f"u{index} AS ({sql})" for index, (sql, _) in enumerate(parts))
        params = [value for _, part in parts for value in part] + [token, now]
        with connection.cursor() as cursor:
            cursor.execute((f"WITH {ctes} " if ctes else "") + BUMP_SQL, params)
            row = cursor.fetchone()
        version_bumped(token, now, row[0] if row else None)
        return
    with connection.cursor() as cursor:
        for sql, params in parts:
            cursor.execute(sql, params)
    data_version_bump()


def _by_key(presence: dict[tuple, int]) -> dict[tuple, int]:
    """Presence deltas summed per key (an upsert may touch a row once), with the newest place: a record
    whose adopter moved leaves the old place and enters the new one under the same key."""
    width = len(PRESENCE_KEY)
    merged: dict[tuple, int] = {}
    places: dict[tuple, tuple] = {}
    for row, delta in presence.items():
        key = row[:width]
        merged[key] = merged.get(key, 0) + delta
        if delta > 0 or key not in places:
            places[key] = row[width:]
    return {(*key, *places[key]): delta for key, delta in merged.items()}


def summary_record_published(adoption: Adoption) -> None:
    """Count a record that has just become published (call inside the publishing transaction)."""
    _write(Counter(record_cells(adoption)), Counter(record_presence(adoption)),
           (_SPAN_OPEN, [adoption.pk, timezone.now(), *record_span(adoption)]))


def summary_record_unpublished(adoption: Adoption) -> None:
    """Stop counting a record that was published, as it stood while published (same transaction)."""
    _write({cell: -count for cell, count in Counter(record_cells(adoption)).items()},
           {row: -count for row, count in Counter(record_presence(adoption)).items()},
           (_SPAN_CLOSE, [timezone.now(), adoption.pk]))


@contextlib.contextmanager
def summary_record_changing(adoption: Adoption):
    """Wrap an approved change to a published record (inside its transaction, around the save):
    only the cells that differ move, and its span is closed and reopened when what the maps show
    of it changed.

    Usage: ``with summary_record_changing(record): apply the change; record.save()``.
    """
    before, span_before = Counter(record_cells(adoption)), record_span(adoption)
    presence = Counter({row: -count for row, count in Counter(record_presence(adoption)).items()})
    yield
    cells = Counter(record_cells(adoption))
    cells.subtract(before)
    presence.update(record_presence(adoption))
    if any(cells.values()) or any(presence.values()) or record_span(adoption) != span_before:
        _write(cells, presence)
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
        _write(cells, {})
        with connection.cursor() as cursor:  # the adopter's presence rows carry its place (n unchanged)
            cursor.execute("UPDATE adoption_adopterpresence SET country = %s, city = %s, adopter_kind = %s "
                           "WHERE adopter_id = %s", [adopter.country_id or "", adopter.city or "", adopter.kind or "",
                                                     adopter.pk])
        if records:
            _spans_reopen("adopter_id", [organization.pk])


@contextlib.contextmanager
def summary_family_changing(family):
    """Wrap a change to a family's origin country: the maps join the family at read time, but the
    presence rows of its adopters hold the origin (grain 2), so they move; the data version moves too.

    Usage: ``with summary_family_changing(family): family_update(...)`` inside a transaction.
    """
    with transaction.atomic():
        before = ModelFamily.objects.values_list("origin_country_id", flat=True).get(pk=family.pk) or ""
        yield
        after = ModelFamily.objects.values_list("origin_country_id", flat=True).get(pk=family.pk) or ""
        presence: Counter = Counter()
        if after != before:
            with connection.cursor() as cursor:
                cursor.execute("SELECT adopter_id, country, city, adopter_kind, COUNT(*) FROM adoption_publicationspan "
                               "WHERE published_until IS NULL AND family_id = %s GROUP BY 1, 2, 3, 4", [family.pk])
                for adopter_id, country, city, kind, count in cursor.fetchall():
                    presence[(2, adopter_id, 0, before, country, city, kind)] -= count
                    presence[(2, adopter_id, 0, after, country, city, kind)] += count
        _write({}, presence)


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


def _expected_presence_select(grain: int) -> str:
    """SELECT of the presence rows of one presence grain computed from the records."""
    family, value = {1: ("a.family_id", "''"), 2: ("0", "COALESCE(f.origin_country_id, '')"),
                     3: ("0", "a.relation"), 4: ("0", "a.stage"), 5: ("0", "''")}[grain]
    return (
        f"SELECT {grain}, a.adopter_id, {family}, {value}, COALESCE(o.country_id, ''), o.city, o.kind, COUNT(*) "
        "FROM adoption_adoption a JOIN adoption_organization o ON o.id = a.adopter_id "
        "JOIN adoption_modelfamily f ON f.id = a.family_id "
        f"WHERE a.status = '{Status.PUBLISHED}' GROUP BY 2, 3, 4, 5, 6, 7"
    )


def rebuild_sql_statements(vendor: str) -> list[tuple[str, list]]:
    """The statements that refill the summary from the records (also used by migration 0004)."""
    insert = f"INSERT INTO adoption_mapsummary ({', '.join(CELL_COLUMNS)}, n) "
    return [("DELETE FROM adoption_mapsummary", []),
            *((insert + _expected_select(vendor, grain), []) for grain in GRAINS)]


def presence_rebuild_sql_statements() -> list[tuple[str, list]]:
    """The statements that refill the adopter presence from the records (also used by migration 0008)."""
    insert = f"INSERT INTO adoption_adopterpresence ({', '.join(PRESENCE_COLUMNS)}, n) "
    return [("DELETE FROM adoption_adopterpresence", []),
            *((insert + _expected_presence_select(grain), []) for grain in PRESENCE_GRAINS)]


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
            cursor.execute("LOCK TABLE adoption_mapsummary, adoption_adopterpresence IN EXCLUSIVE MODE")


@transaction.atomic
def summary_rebuild() -> int:
    """Recompute every summary cell and presence row from the published records; returns how many."""
    _lock_summary()
    with connection.cursor() as cursor:
        for sql, params in rebuild_sql_statements(connection.vendor) + presence_rebuild_sql_statements():
            cursor.execute(sql, params)
    data_version_bump()
    return MapSummary.objects.count() + AdopterPresence.objects.count()


def _drift(table: str, columns: tuple[str, ...], expected: str) -> tuple[list[tuple], int]:
    """Rows of `table` whose count differs from the recount `expected` (a UNION of SELECTs), and the
    number of stored rows."""
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
    drift, checked = _drift("adoption_mapsummary", CELL_COLUMNS,
                            " UNION ALL ".join(_expected_select(connection.vendor, grain) for grain in GRAINS))
    presence_drift, presence_checked = _drift(
        "adoption_adopterpresence", PRESENCE_COLUMNS,
        " UNION ALL ".join(_expected_presence_select(grain) for grain in PRESENCE_GRAINS))
    span_drift, spans = _span_drift()
    examples = [
        {"cell": dict(zip(columns, row[:-2], strict=True)), "stored": row[-2], "expected": row[-1]}
        for columns, rows in ((CELL_COLUMNS, drift), (PRESENCE_COLUMNS, presence_drift)) for row in rows
    ] + [{"span": {"adoption_id": pk}} for pk in span_drift]
    drift = drift + presence_drift
    report = {
        "cells_checked": checked + presence_checked + spans,
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


def _rename(union_sql: str, columns: tuple[str, ...]) -> str:
    """Name the columns of the expected-cells UNION so the outer query can refer to them."""
    cols = ", ".join(columns)
    return f"SELECT * FROM ({union_sql}) AS u ({cols}, n)" if connection.vendor == "postgresql" else (
        f"WITH u({cols}, n) AS ({union_sql}) SELECT * FROM u"
    )
