"""Map aggregates: kept in step with publication, readable the moment an approval commits.

The only writer of the summary, presence, span and delta tables (adoption.models.summary). The
moderation services call `summary_record_published`, `summary_record_unpublished` and
`summary_record_changing` inside their transaction: the record's publication span is opened or
closed, a +1/-1 `MapDelta` logged and the data version bumped. Readers add the unfolded deltas to the
summary and presence rows (`cells_sql`, `presence_rows_sql`), so the next request sees a write, and
`summary_fold` moves the deltas in. An organization's place or a family's origin moves through
`summary_adopter_changing` / `summary_family_changing`; `summary_check` finds and repairs drift.
"""

# SQL here is assembled from fixed fragments only; every value travels as a query parameter.
# ruff: noqa: S608
import contextlib
import json
import logging
import uuid

from django.db import connection, transaction
from django.utils import timezone

from adoption.choices import Status
from adoption.models import AdopterPresence, Adoption, MapDelta, MapSummary, ModelFamily, Organization
from adoption.models.summary import SUMMARY_INDEXES

from . import queue

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
    # (No grain holds two of relation, stage and kind: those maps read the publication spans, and each
    # grain more costs every fold another cell per record.)
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
# A fold is queued when a delta's id is a multiple of this (besides the periodic one): the deltas every
# map adds stay few even when no beat runs (`make demo`), and each fold is one short statement.
FOLD_EVERY = 64
assert set(SUMMARY_INDEXES) == set(GRAINS)  # noqa: S101

_UPSERT = (
    f"INSERT INTO adoption_mapsummary ({', '.join(CELL_COLUMNS)}, n) {{rows}} "
    f"ON CONFLICT ({', '.join(CELL_COLUMNS)}) DO UPDATE SET n = adoption_mapsummary.n + excluded.n"
)
# The adopter's place is refreshed on every upsert, so a row brought back from n = 0 is never stale.
_PRESENCE_UPSERT = (
    f"INSERT INTO adoption_adopterpresence ({', '.join(PRESENCE_COLUMNS)}, n) {{rows}} "
    f"ON CONFLICT ({', '.join(PRESENCE_KEY)}) DO UPDATE SET n = adoption_adopterpresence.n + excluded.n, "
    "country = excluded.country, city = excluded.city, adopter_kind = excluded.adopter_kind"
)
# The span values of a record, after adoption_id and published_from; a delta carries the same.
SPAN_VALUES = ("adopter_id", "country", "city", "adopter_kind", "family_id", "relation", "stage", "started_on",
               "sectors", "languages")
_VALUES = ", ".join(SPAN_VALUES)
_SPAN_OPEN = (
    f"INSERT INTO adoption_publicationspan (adoption_id, published_from, {_VALUES}) "
    f"VALUES ({', '.join(['%s'] * (len(SPAN_VALUES) + 2))})"
)
_SPAN_CLOSE = ("UPDATE adoption_publicationspan SET published_until = %s "
               "WHERE adoption_id = %s AND published_until IS NULL")
# The deltas of the open spans whose {column} (adoption_id or adopter_id) is among {marks}, signed by %s.
_DELTA_OF_OPEN = (f"INSERT INTO adoption_mapdelta (sign, {_VALUES}) SELECT %s, {_VALUES} "
                  "FROM adoption_publicationspan WHERE published_until IS NULL AND {column} IN ({marks})")
_FOLD_LOCK = 7_400_521  # pg_advisory_xact_lock key: one fold (or rebuild, or origin move) at a time


def record_span(adoption: Adoption) -> tuple:
    """The values of SPAN_VALUES a published record shows the maps (the JSON lists as stored)."""
    adopter = adoption.adopter
    return (adoption.adopter_id, adopter.country_id or "", adopter.city or "", adopter.kind or "",
            adoption.family_id, adoption.relation, adoption.stage, adoption.started_on,
            json.dumps(adoption.sectors), json.dumps(adoption.languages))


def _log(span_sql: str, span_params: list, sign: int, adoption_id: int) -> None:
    """Open or close a record's span, log its delta and move the data version: one round trip on
    PostgreSQL (data-modifying CTEs), so publishing costs an approval as little as it can."""
    if connection.vendor == "postgresql":
        token, now = uuid.uuid4().hex, timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH sp AS ({span_sql} RETURNING {_VALUES}), d AS (INSERT INTO adoption_mapdelta (sign, {_VALUES}) "
                f"SELECT %s, {_VALUES} FROM sp RETURNING id) {BUMP_SQL}, (SELECT MAX(id) FROM d)",
                [*span_params, sign, token, now])
            row = cursor.fetchone()
        version_bumped(token, now, row[0] if row else None)
        _fold_if_due(row[1] if row else None)
        return
    # SQLite (`make demo`): one writer at a time, so the open span's delta can be read separately.
    delta = _DELTA_OF_OPEN.format(column="adoption_id", marks="%s")
    with connection.cursor() as cursor:
        if sign < 0:  # the delta of the span about to close
            cursor.execute(delta, [sign, adoption_id])
        cursor.execute(span_sql, span_params)
        if sign > 0:
            cursor.execute(delta, [sign, adoption_id])
        last = cursor.lastrowid
    data_version_bump()
    _fold_if_due(last)


def _fold_if_due(last: int | None, first: int | None = None) -> None:
    """Queue a fold once this transaction commits when its deltas (ids first..last) reached a multiple of
    FOLD_EVERY. (Ids a rolled-back transaction used are skipped: the periodic fold catches up.)"""
    if last and (last // FOLD_EVERY) != ((first or last) - 1) // FOLD_EVERY:
        queue.send_on_commit(queue.FOLD_MAP_DELTAS, ())


def summary_record_published(adoption: Adoption) -> None:
    """Count a record that has just become published (call inside the publishing transaction)."""
    _log(_SPAN_OPEN, [adoption.pk, timezone.now(), *record_span(adoption)], 1, adoption.pk)


def summary_record_unpublished(adoption: Adoption) -> None:
    """Stop counting a record that was published, as its open span shows it (same transaction)."""
    _log(_SPAN_CLOSE, [timezone.now(), adoption.pk], -1, adoption.pk)


@contextlib.contextmanager
def summary_record_changing(adoption: Adoption):
    """Wrap an approved change to a published record (inside its transaction, around the save): when
    what the maps show of it changed, its span is closed and reopened, with a delta for each.

    Usage: ``with summary_record_changing(record): apply the change; record.save()``.
    """
    before = record_span(adoption)
    yield
    if record_span(adoption) != before:
        _spans_reopen("adoption_id", [adoption.pk], deltas=True)
        data_version_bump()


def _spans_reopen(column: str, values: list, *, deltas: bool) -> None:
    """Close the open spans whose `column` (adoption_id or adopter_id) is in `values` and open new ones
    from the published records among them, as they now stand; with `deltas`, log -1 for each span
    closed and +1 for each opened (a change), else leave the counts alone (a repaired span). The caller
    holds the records' row locks, so no approval or retraction of theirs runs meanwhile."""
    record_column = {"adoption_id": "a.id", "adopter_id": "a.adopter_id"}[column]
    now = timezone.now()
    with connection.cursor() as cursor:
        for start in range(0, len(values), 500):
            chunk = values[start:start + 500]
            marks = ", ".join(["%s"] * len(chunk))
            close = (f"UPDATE adoption_publicationspan SET published_until = %s "
                     f"WHERE published_until IS NULL AND {column} IN ({marks})", [now, *chunk])
            open_ = (f"INSERT INTO adoption_publicationspan (adoption_id, published_from, {_VALUES}) "
                     f"SELECT a.id, %s, {_SPAN_SELECT} FROM adoption_adoption a JOIN adoption_organization o "
                     f"ON o.id = a.adopter_id WHERE a.status = %s AND {record_column} IN ({marks})",
                     [now, Status.PUBLISHED.value, *chunk])
            if not deltas:
                cursor.execute(*close)
                cursor.execute(*open_)
            elif connection.vendor == "postgresql":
                # Each delta from the very row its statement closed or opened (RETURNING): one snapshot.
                for sign, (sql, params) in ((-1, close), (1, open_)):
                    cursor.execute(f"WITH c AS ({sql} RETURNING {_VALUES}), d AS (INSERT INTO adoption_mapdelta "
                                   f"(sign, {_VALUES}) SELECT %s, {_VALUES} FROM c RETURNING id) "
                                   "SELECT MIN(id), MAX(id) FROM d", [*params, sign])
                    first, last = cursor.fetchone()
                    _fold_if_due(last, first)
            else:  # SQLite: one writer at a time
                delta = _DELTA_OF_OPEN.format(column=column, marks=marks)
                cursor.execute(delta, [-1, *chunk])
                cursor.execute(*close)
                cursor.execute(*open_)
                cursor.execute(delta, [1, *chunk])


# The span values of a published record in SQL (a: adoption_adoption, o: adoption_organization).
_SPAN_SELECT = ("a.adopter_id, COALESCE(o.country_id, ''), o.city, o.kind, a.family_id, a.relation, a.stage, "
                "a.started_on, a.sectors, a.languages")


def _place(organization_id: int) -> tuple:
    return Organization.objects.values_list("country_id", "city", "kind").get(pk=organization_id)


@contextlib.contextmanager
def summary_adopter_changing(organization: Organization):
    """Wrap a change to an organization's country, city or kind so its published records move with it
    (their spans reopen, with a delta for each: the fold moves the presence rows' place too).

    Usage: ``with summary_adopter_changing(org): organization_update(...)`` inside a transaction.
    """
    with transaction.atomic():
        # Its records' row locks first, as an approval takes them (record, then adopter): an approval
        # or retraction under way commits before, and its span is then moved with the others.
        list(Adoption.objects.select_for_update().filter(adopter_id=organization.pk).order_by("pk")
             .values_list("pk", flat=True))
        before = _place(organization.pk)
        yield
        if _place(organization.pk) != before:
            _spans_reopen("adopter_id", [organization.pk], deltas=True)
            data_version_bump()


@contextlib.contextmanager
def summary_family_changing(family):
    """Wrap a change to a family's origin country: the maps join the family at read time, but the
    presence rows of its adopters hold the origin (grain 2), so they move; the data version moves too.
    Deltas name no origin (it is joined when they are read or folded), so they are folded first, and no
    record is published until this commits (else its delta would be moved twice).

    Usage: ``with summary_family_changing(family): family_update(...)`` inside a transaction.
    """
    with transaction.atomic():
        # The family's row first (the update takes it anyway): a transaction inserting a record of this
        # family holds a key share on it and may be waiting to log its delta.
        list(ModelFamily.objects.select_for_update().filter(pk=family.pk).values_list("pk", flat=True))
        _lock_writers(MapDelta._meta.db_table, mode="SHARE ROW EXCLUSIVE")
        summary_fold()
        before = ModelFamily.objects.values_list("origin_country_id", flat=True).get(pk=family.pk) or ""
        yield
        after = ModelFamily.objects.values_list("origin_country_id", flat=True).get(pk=family.pk) or ""
        if after != before:
            with connection.cursor() as cursor:
                cursor.execute("SELECT adopter_id, MAX(country), MAX(city), MAX(adopter_kind), COUNT(*) "
                               "FROM adoption_publicationspan WHERE published_until IS NULL AND family_id = %s "
                               "GROUP BY 1 ORDER BY 1", [family.pk])
                rows = [(2, adopter, 0, origin, country, city, kind, sign * count)
                        for adopter, country, city, kind, count in cursor.fetchall()
                        for origin, sign in ((before, -1), (after, 1))]
                for start in range(0, len(rows), 500):
                    chunk = rows[start:start + 500]
                    marks = ", ".join(["(" + ", ".join(["%s"] * len(chunk[0])) + ")"] * len(chunk))
                    cursor.execute(_PRESENCE_UPSERT.format(rows=f"VALUES {marks}"),
                                   [value for row in chunk for value in row])
        data_version_bump()


# --- the deltas: read with the summary, folded into it ---


def _lock_writers(*tables: str, mode: str, wait: bool = True) -> bool:
    """Take the fold lock (so no fold runs meanwhile), then lock `tables` in `mode`, on PostgreSQL.
    With wait=False, return False at once when another holds the fold lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            if not wait:
                cursor.execute(f"SELECT pg_try_advisory_xact_lock({_FOLD_LOCK})")
                if not cursor.fetchone()[0]:
                    return False
            else:
                cursor.execute(f"SELECT pg_advisory_xact_lock({_FOLD_LOCK})")
            if tables:
                cursor.execute(f"LOCK TABLE {', '.join(tables)} IN {mode} MODE")
    return True


def _delta_source(source: str) -> dict[str, str]:
    """The columns of deltas (`source`: a table or subquery) for `_cells_select`: signed counts."""
    return {"from": f"{source} d", "where": "1 = 1", "country": "d.country", "city": "d.city",
            "adopter_kind": "d.adopter_kind", "family_id": "d.family_id", "relation": "d.relation",
            "stage": "d.stage", "started_on": "d.started_on", "sectors": "d.sectors", "languages": "d.languages",
            "count": "SUM(d.sign)",
            # a list naming one sector twice still counts its record once
            "count_distinct": "COUNT(DISTINCT CASE WHEN d.sign > 0 THEN d.id END) "
                              "- COUNT(DISTINCT CASE WHEN d.sign < 0 THEN d.id END)"}


# The column types of the summary and presence tables. The delta rows a reader adds are cast to them:
# only a UNION ALL whose branches agree in type is flattened by PostgreSQL, so that the reader's filters
# reach the table's indexes (and its index-only scans) instead of being applied to the whole grain.
_TYPES = {"grain": "smallint", "adopter_id": "bigint", "family_id": "bigint", "month": "integer", "n": "integer"}


def _typed(select: str, columns) -> str:
    """`select` (naming its columns) with each column cast to the type of the stored tables."""
    casts = ", ".join(f"CAST(x.{column} AS {_TYPES.get(column, 'varchar')}) AS {column}" for column in columns)
    return f"SELECT {casts} FROM ({select}) x"


def cells_sql(grain: int) -> str:
    """The summary cells of one grain with the unfolded deltas added (rows may repeat a cell: readers
    sum them)."""
    columns = (*CELL_COLUMNS, "n")
    delta = _cells_select(connection.vendor, grain, _delta_source(MapDelta._meta.db_table))
    return (f"SELECT {', '.join(columns)} FROM adoption_mapsummary WHERE grain = {int(grain)} "
            f"UNION ALL {_typed(delta, columns)}")


# Presence grain -> (family_id, value) of a record or delta aliased {t}; f: the family (its origin).
_PRESENCE_VALUE = {1: ("{t}.family_id", "''"), 2: ("0", "COALESCE(f.origin_country_id, '')"),
                   3: ("0", "{t}.relation"), 4: ("0", "{t}.stage"), 5: ("0", "''")}


def _delta_presence_select(grains, source: str = "adoption_mapdelta") -> str:
    """The presence deltas (PRESENCE_COLUMNS, n) of `grains`: one row per key, its deltas summed, with
    the adopter's place of the newest delta (a moved adopter's deltas leave the old place, enter the new)."""
    raw = " UNION ALL ".join(
        "SELECT {g} AS grain, d.adopter_id, {family} AS family_id, {value} AS value, d.country, d.city, "
        "d.adopter_kind, d.sign, d.id FROM {source} d LEFT JOIN adoption_modelfamily f ON f.id = d.family_id".format(
            g=int(grain), family=_PRESENCE_VALUE[grain][0].format(t="d"),
            value=_PRESENCE_VALUE[grain][1].format(t="d"), source=source)
        for grain in grains)
    columns = ", ".join(f"k.{column}" for column in PRESENCE_COLUMNS)
    return (f"SELECT {columns}, k.n FROM (SELECT r.*, SUM(r.sign) OVER w AS n, "
            "ROW_NUMBER() OVER (PARTITION BY r.grain, r.adopter_id, r.family_id, r.value ORDER BY r.id DESC) AS rn "
            f"FROM ({raw}) r WINDOW w AS (PARTITION BY r.grain, r.adopter_id, r.family_id, r.value)) k WHERE k.rn = 1")


def presence_rows_sql(grains) -> str:
    """The presence rows of `grains` as a fold would leave them: stored rows, those the unfolded deltas
    touch with the deltas added (columns PRESENCE_COLUMNS and n)."""
    listed = ", ".join(str(int(grain)) for grain in grains)
    delta = _delta_presence_select(grains)
    key = ", ".join(PRESENCE_KEY)
    match = " AND ".join(f"p.{column} = k.{column}" for column in PRESENCE_KEY)
    touched = (f"SELECT {', '.join(f'k.{column}' for column in PRESENCE_COLUMNS)}, COALESCE(p.n, 0) + k.n AS n "
               f"FROM ({delta}) k LEFT JOIN adoption_adopterpresence p ON {match}")
    return (f"SELECT {', '.join(PRESENCE_COLUMNS)}, n FROM adoption_adopterpresence WHERE grain IN ({listed}) "
            f"AND ({key}) NOT IN (SELECT {key} FROM ({delta}) k0) UNION ALL "
            f"{_typed(touched, (*PRESENCE_COLUMNS, 'n'))}")


def summary_fold(*, wait: bool = True) -> int:
    """Move the logged deltas into the summary and presence; returns how many it folded. Every map
    answers the same before and after (readers add what is not folded), so the data version stays.
    With wait=False (the periodic task) it folds nothing while a fold, rebuild or origin move runs.

    On PostgreSQL one statement deletes the deltas it sees and adds them: a reader sees them either in
    the delta log or in the summary, never both or neither, and a delta committed meanwhile waits for
    the next fold."""
    with transaction.atomic():
        if not _lock_writers(mode="", wait=wait):
            return 0
        cells = " UNION ALL ".join(_cells_select(connection.vendor, grain, _delta_source("d")) for grain in GRAINS)
        presence = _delta_presence_select(PRESENCE_GRAINS, source="d")
        order = ", ".join(str(index) for index in range(1, len(CELL_COLUMNS) + 1))
        upserts = (_UPSERT.format(rows=f"SELECT * FROM ({cells}) c WHERE n <> 0 ORDER BY {order}"),
                   _PRESENCE_UPSERT.format(rows=f"SELECT * FROM ({presence}) p WHERE 1 = 1 ORDER BY 1, 2, 3, 4"))
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"WITH d AS (DELETE FROM adoption_mapdelta RETURNING *), c AS ({upserts[0]}), "
                               f"p AS ({upserts[1]}) SELECT COUNT(*) FROM d")
                return cursor.fetchone()[0]
            # SQLite (`make demo`): one writer at a time, so the deltas up to the last id are all there is.
            cursor.execute("SELECT MAX(id), COUNT(*) FROM adoption_mapdelta")
            last, count = cursor.fetchone()
            if not count:
                return 0
            for upsert in upserts:
                cursor.execute(f"WITH d AS (SELECT * FROM adoption_mapdelta WHERE id <= %s) {upsert}", [last])
            cursor.execute("DELETE FROM adoption_mapdelta WHERE id <= %s", [last])
            return count


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


# The columns of the published records for `_cells_select` (a: adoption_adoption, o: its adopter).
_RECORDS = {"from": "adoption_adoption a JOIN adoption_organization o ON o.id = a.adopter_id",
            "where": f"a.status = '{Status.PUBLISHED}'", "country": "COALESCE(o.country_id, '')", "city": "o.city",
            "adopter_kind": "o.kind", "family_id": "a.family_id", "relation": "a.relation", "stage": "a.stage",
            "started_on": "a.started_on", "sectors": "a.sectors", "languages": "a.languages", "count": "COUNT(*)",
            # a list naming one sector twice still counts the record once
            "count_distinct": "COUNT(DISTINCT a.id)"}


def _cells_select(vendor: str, grain: int, src: dict[str, str]) -> str:
    """SELECT (CELL_COLUMNS, n) of the cells of one grain counted over `src` (the records: the ground
    truth; or the deltas)."""
    dims = GRAINS[grain]
    month = _month_sql(vendor, src["started_on"])
    exprs = {
        "country": src["country"] if "country" in dims else "''",
        "city": src["city"] if "city" in dims else "''",
        "adopter_kind": src["adopter_kind"] if "adopter_kind" in dims else "''",
        "family_id": src["family_id"] if "family" in dims else "0",
        "relation": src["relation"] if "relation" in dims else "''",
        "stage": src["stage"] if "stage" in dims else "''",
        "month": month if "month" in dims else f"({month}) / 100 * 100" if "year" in dims else "0",
        "tag": "''",
    }
    join, where, measure = "", "", src["count"]
    if "sector" in dims or "language" in dims:
        join, exprs["tag"] = _tag_join(vendor, src["sectors" if "sector" in dims else "languages"])
        where = " AND " + ("jsonb_typeof(e.item) = 'string'" if vendor == "postgresql" else "e.type = 'text'")
        measure = src["count_distinct"]
    columns = ", ".join(f"{exprs[col]} AS {col}" for col in CELL_COLUMNS[1:])
    return (f"SELECT {grain} AS grain, {columns}, {measure} AS n FROM {src['from']} {join} "
            f"WHERE {src['where']}{where} GROUP BY {', '.join(str(i) for i in range(2, 10))}")


def _expected_select(vendor: str, grain: int) -> str:
    """SELECT of the cells of one grain computed from the records (the ground truth)."""
    return _cells_select(vendor, grain, _RECORDS)


def _expected_presence_select(grain: int) -> str:
    """SELECT of the presence rows of one presence grain computed from the records."""
    family, value = (part.format(t="a") for part in _PRESENCE_VALUE[grain])
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
    """INSERT of every span from the records' history, for an empty table (tests/benchmarks/bench_maps
    fills one with it; migration 0006 keeps its own copy): a history row that shows a record published
    opens a span, its next history row closes it. The adopter's country, city and kind are the
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


@transaction.atomic
def summary_rebuild() -> int:
    """Recompute every summary cell and presence row from the published records (the deltas are then
    counted: dropped); returns how many."""
    # Concurrent publishes wait until the rebuild commits, then log their deltas over the rebuilt counts.
    _lock_writers("adoption_mapsummary", "adoption_adopterpresence", "adoption_mapdelta", mode="EXCLUSIVE")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM adoption_mapdelta")
        for sql, params in rebuild_sql_statements(connection.vendor) + presence_rebuild_sql_statements():
            cursor.execute(sql, params)
    data_version_bump()
    return MapSummary.objects.count() + AdopterPresence.objects.count()


def _drift(table: str, stored: str, columns: tuple[str, ...], expected: str) -> tuple[list[tuple], int]:
    """Rows whose count in `stored` (a SELECT of `columns` and n: the table as a fold would leave it)
    differs from the recount `expected` (a UNION of SELECTs), and the number of rows of `table`."""
    cols = ", ".join(columns)
    sql = (
        f"SELECT {cols}, SUM(stored), SUM(expected) FROM ("
        f"SELECT {cols}, n AS stored, 0 AS expected FROM ({_rename(stored, columns)}) s WHERE n <> 0 "
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
    drift, checked = _drift(
        "adoption_mapsummary", " UNION ALL ".join(cells_sql(grain) for grain in GRAINS), CELL_COLUMNS,
        " UNION ALL ".join(_expected_select(connection.vendor, grain) for grain in GRAINS))
    presence_drift, presence_checked = _drift(
        "adoption_adopterpresence", presence_rows_sql(PRESENCE_GRAINS), PRESENCE_COLUMNS,
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
                    _spans_reopen("adoption_id", span_drift, deltas=False)
                    data_version_bump()
            report["repaired"] = True
    return report


def _rename(union_sql: str, columns: tuple[str, ...]) -> str:
    """Name the columns of the expected-cells UNION so the outer query can refer to them."""
    cols = ", ".join(columns)
    return f"SELECT * FROM ({union_sql}) AS u ({cols}, n)" if connection.vendor == "postgresql" else (
        f"WITH u({cols}, n) AS ({union_sql}) SELECT * FROM u"
    )
