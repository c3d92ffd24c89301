"""Importing a Hub snapshot: one transaction per snapshot, so a snapshot is all there or not at all.

The rows are streamed into a staging table with COPY; lineage and figures are set-based SQL; the models and
edges land in the snapshot date's partitions of hub_model and hub_edge (a re-import replaces them), the
figures in HubFigure. Importing the same file again gives the same rows and figures."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction

from adoption.models import HubFigure, HubSnapshot

from . import figures, lineage, load, parse
from .load import SAMPLE

# For this transaction only. Sorts and hashes of millions of rows in memory. No JIT: compiling each big
# one-off statement costs seconds and saves less. The temporary tables (about 1 GB at 2M models) in this
# backend's own buffers rather than paged through the default 8 MB; temp_buffers can only change before the
# session's first temporary table (an error after), hence the guard: a command's fresh connection gets it.
SETTINGS = """
SELECT set_config('work_mem', '256MB', true), set_config('jit', 'off', true),
       CASE WHEN pg_my_temp_schema() = 0 THEN set_config('temp_buffers', '1GB', true) END
"""
MODELS = """
INSERT INTO {table} (snapshot_date, repo_id, author, downloads, downloads_all_time, likes, created_at,
                     pipeline_tag, library_name, relation, family_id, roots, in_cycle, roots_unknown,
                     origin_country, uploader_country)
SELECT %s, m.repo_id, m.author, m.downloads, m.downloads_all_time, m.likes, m.created_at, m.pipeline_tag,
       m.library_name, m.relation, own.family_id,
       CASE WHEN cardinality(m.parents) = 0 THEN ARRAY[m.repo_id] ELSE r.roots END, c.id IS NOT NULL,
       u.id IS NOT NULL, o.country, up.country
FROM hub_m m
LEFT JOIN hub_own own ON own.id = m.id
-- Aggregated for the models with a base only: most models have none and are their own root.
LEFT JOIN (SELECT r.model, array_agg(n.repo_id ORDER BY n.key) AS roots FROM hub_roots r
           JOIN hub_n n ON n.id = r.root WHERE r.root <> r.model GROUP BY r.model) r ON r.model = m.id
LEFT JOIN hub_cycle c ON c.id = m.id
LEFT JOIN hub_unknown u ON u.id = m.id
LEFT JOIN hub_origin o ON o.model = m.id
LEFT JOIN hub_uploader up ON up.handle = lower(m.author)
"""
EDGES = """
INSERT INTO {table} (snapshot_date, child, parent, relation)
SELECT %s, c.repo_id, p.repo_id, e.relation FROM hub_e e JOIN hub_n c ON c.id = e.child JOIN hub_n p ON p.id = e.parent
"""


class NotPostgreSQL(RuntimeError):
    """The Hub import needs PostgreSQL (COPY, partitions, recursive CTEs)."""


@dataclass
class ImportResult:
    snapshot: HubSnapshot
    rows: int  # rows read, well-formed or not
    cycle_sample: list[str]


def partition(table: str, date: datetime.date) -> str:
    return f"{table}_{date:%Y%m%d}"


def hub_snapshot_import(*, path: Path, date: datetime.date, progress: Callable[[int], None] = lambda n: None
                        ) -> ImportResult:
    """Import the snapshot file at `path` as the snapshot of `date`, replacing one of that date."""
    if connection.vendor != "postgresql":
        raise NotPostgreSQL("The Hub snapshot import needs PostgreSQL (COPY, partitioned tables, recursive "
                            "queries); this database is " + connection.vendor + ".")
    with transaction.atomic(), connection.cursor() as cursor:
        # Two imports of one date take turns; other dates go on side by side.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('hub_snapshot'), %s)", [date.toordinal()])
        cursor.execute(SETTINGS)
        staged = load.stage(cursor, parse.read_rows(path), progress)
        graph = lineage.build(cursor, staged=staged.rows, sample=SAMPLE)
        for line, repo_id in graph.repeats[:SAMPLE - len(staged.malformed_lines)]:
            staged.malformed_lines.append({"line": line, "reason": f"repeats the repo id {repo_id}"})
        staged.malformed_lines.sort(key=lambda entry: entry["line"])
        computed = figures.compute(cursor)
        _replace_partitions(cursor, date)
        snapshot, _ = HubSnapshot.objects.update_or_create(date=date, defaults={
            "models": graph.models, "edges": graph.edges,
            "malformed": staged.malformed + staged.rows - graph.models,
            "malformed_lines": staged.malformed_lines, "cycles": graph.cycles,
            "roots_unknown": graph.roots_unknown,
        })
        # Dropped at commit anyway, but not when the import runs inside an outer transaction.
        cursor.execute("DROP TABLE " + ", ".join(lineage.TABLES))
        snapshot.figures.all().delete()
        HubFigure.objects.bulk_create(HubFigure(snapshot=snapshot, kind=kind, payload=payload)
                                      for kind, payload in computed.items())
    return ImportResult(snapshot, staged.rows + staged.malformed, graph.cycle_sample)


def _replace_partitions(cursor, date: datetime.date) -> None:
    """Fill a new table for each of the date's partitions, index it in bulk, then swap it in for the old one:
    (ATTACH with a matching CHECK constraint does not scan it again)."""
    day = date.isoformat()
    for table, insert, key in (("hub_model", MODELS, "snapshot_date, repo_id"),
                               ("hub_edge", EDGES, "snapshot_date, child, parent")):
        name = partition(table, date)
        cursor.execute(f"CREATE TABLE {name}_build (LIKE {table} INCLUDING DEFAULTS, CHECK (snapshot_date = '{day}'))")
        cursor.execute(insert.format(table=f"{name}_build"), [date])
        cursor.execute(f"ALTER TABLE {name}_build ADD PRIMARY KEY ({key})")
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(f"ALTER TABLE {name}_build RENAME TO {name}")
        cursor.execute(f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES IN ('{day}')")
