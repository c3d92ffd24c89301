"""Rebuild and check: the summary, presence rows and open spans recounted from the published records.

`rebuild` refills the summary and presence (after a bulk import or a restore: `manage.py
rebuild_map_summary`); `check` compares what the maps read with that recount and repairs drift
(`manage.py check_map_summary`, and the hourly task `adoption.tasks.check_map_summary`).
"""

# ruff: noqa: S608
import logging

from django.db import connection, transaction

from adoption.choices import Status
from adoption.models import AdopterPresence, MapSummary
from adoption.services.data_version import data_version_bump

from .fold import lock_writers
from .grains import CELL_COLUMNS, GRAINS, PRESENCE_COLUMNS, PRESENCE_GRAINS, SPAN_VALUES, Grain, PresenceGrain
from .sql import PRESENCE_VALUE, RECORDS, SPAN_SELECT, cells_select, cells_sql, presence_rows_sql
from .upkeep import spans_reopen

logger = logging.getLogger(__name__)


def expected_cells_select(vendor: str, grain: Grain) -> str:
    """SELECT of the cells of one grain computed from the records (the ground truth)."""
    return cells_select(vendor, grain, RECORDS)


def expected_presence_select(grain: PresenceGrain) -> str:
    """SELECT of the presence rows of one presence grain computed from the records."""
    family, value = (part.format(t="a") for part in PRESENCE_VALUE[grain])
    return (
        f"SELECT {int(grain)}, a.adopter_id, {family}, {value}, COALESCE(o.country_id, ''), o.city, o.kind, COUNT(*) "
        "FROM adoption_adoption a JOIN adoption_organization o ON o.id = a.adopter_id "
        "JOIN adoption_modelfamily f ON f.id = a.family_id "
        f"WHERE a.status = '{Status.PUBLISHED}' GROUP BY 2, 3, 4, 5, 6, 7"
    )


def _summary_statements(vendor: str) -> list[tuple[str, list]]:
    """The statements that refill the summary from the records."""
    insert = f"INSERT INTO adoption_mapsummary ({', '.join(CELL_COLUMNS)}, n) "
    return [("DELETE FROM adoption_mapsummary", []),
            *((insert + expected_cells_select(vendor, grain), []) for grain in GRAINS)]


def _presence_statements() -> list[tuple[str, list]]:
    """The statements that refill the adopter presence from the records."""
    insert = f"INSERT INTO adoption_adopterpresence ({', '.join(PRESENCE_COLUMNS)}, n) "
    return [("DELETE FROM adoption_adopterpresence", []),
            *((insert + expected_presence_select(grain), []) for grain in PRESENCE_GRAINS)]


def spans_from_history_sql() -> str:
    """INSERT of every span from the records' history, for an empty table (tests/benchmarks/bench_maps
    fills one with it): a history row that shows a record published opens a span, its next history row
    closes it. The adopter's country, city and kind are the organization's current ones (its own
    history is not consulted)."""
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
def rebuild() -> int:
    """Recompute every summary cell and presence row from the published records (the deltas are then
    counted: dropped); returns how many."""
    # Concurrent publishes wait until the rebuild commits, then log their deltas over the rebuilt counts.
    lock_writers("adoption_mapsummary", "adoption_adopterpresence", "adoption_mapdelta", mode="EXCLUSIVE")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM adoption_mapdelta")
        for sql, params in _summary_statements(connection.vendor) + _presence_statements():
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
    expected = (f"SELECT a.id, {SPAN_SELECT} FROM adoption_adoption a JOIN adoption_organization o "
                f"ON o.id = a.adopter_id WHERE a.status = '{Status.PUBLISHED}'")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT adoption_id FROM ({stored} EXCEPT {expected}) x "
                       f"UNION SELECT id FROM ({expected} EXCEPT {stored}) y", [])
        drifted = sorted({row[0] for row in cursor.fetchall()})
        cursor.execute("SELECT COUNT(*) FROM adoption_publicationspan WHERE published_until IS NULL", [])
        return drifted, cursor.fetchone()[0]


def check(*, repair: bool = False, sample: int = 10) -> dict:
    """Compare the summary and the open publication spans with the records.

    Returns {"cells_checked", "drifted", "examples": [{"cell", "stored", "expected"} or {"span"}],
    "repaired"}. With repair=True, in one transaction, a drifted summary is rebuilt (and the data
    version bumped) and drifted spans are closed now and reopened from the records: the past they
    recorded is kept.
    """
    drift, checked = _drift(
        "adoption_mapsummary", " UNION ALL ".join(cells_sql(grain) for grain in GRAINS), CELL_COLUMNS,
        " UNION ALL ".join(expected_cells_select(connection.vendor, grain) for grain in GRAINS))
    presence_drift, presence_checked = _drift(
        "adoption_adopterpresence", presence_rows_sql(PRESENCE_GRAINS), PRESENCE_COLUMNS,
        " UNION ALL ".join(expected_presence_select(grain) for grain in PRESENCE_GRAINS))
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
                    rebuild()
                if span_drift:
                    spans_reopen("adoption_id", span_drift, deltas=False)
                    data_version_bump()
            report["repaired"] = True
    return report


def _rename(union_sql: str, columns: tuple[str, ...]) -> str:
    """Name the columns of the expected-cells UNION so the outer query can refer to them."""
    cols = ", ".join(columns)
    return f"SELECT * FROM ({union_sql}) AS u ({cols}, n)" if connection.vendor == "postgresql" else (
        f"WITH u({cols}, n) AS ({union_sql}) SELECT * FROM u"
    )
