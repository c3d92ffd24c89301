"""The fold: the delta log moved into the summary and presence rows, and the lock it shares with the
other statements that must not run beside it (a rebuild, a family's origin move).

The Celery task `adoption.tasks.fold_map_deltas` calls `fold` periodically and once every FOLD_EVERY
deltas; every map answers the same before and after it (readers add what is not folded yet).
"""

# ruff: noqa: S608
from django.db import connection, transaction

from .grains import CELL_COLUMNS, GRAINS, PRESENCE_GRAINS
from .sql import PRESENCE_UPSERT, UPSERT, cells_select, delta_presence_select, delta_source

_FOLD_LOCK = 7_400_521  # pg_advisory_xact_lock key: one fold (or rebuild, or origin move) at a time


def lock_writers(*tables: str, mode: str, wait: bool = True) -> bool:
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


def fold(*, wait: bool = True) -> int:
    """Move the logged deltas into the summary and presence; returns how many it folded. Every map
    answers the same before and after (readers add what is not folded), so the data version stays.
    With wait=False (the periodic task) it folds nothing while a fold, rebuild or origin move runs.

    On PostgreSQL one statement deletes the deltas it sees and adds them: a reader sees them either in
    the delta log or in the summary, never both or neither, and a delta committed meanwhile waits for
    the next fold."""
    with transaction.atomic():
        if not lock_writers(mode="", wait=wait):
            return 0
        cells = " UNION ALL ".join(cells_select(connection.vendor, grain, delta_source("d")) for grain in GRAINS)
        presence = delta_presence_select(PRESENCE_GRAINS, source="d")
        order = ", ".join(str(index) for index in range(1, len(CELL_COLUMNS) + 1))
        upserts = (UPSERT.format(rows=f"SELECT * FROM ({cells}) c WHERE n <> 0 ORDER BY {order}"),
                   PRESENCE_UPSERT.format(rows=f"SELECT * FROM ({presence}) p WHERE 1 = 1 ORDER BY 1, 2, 3, 4"))
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
