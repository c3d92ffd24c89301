"""Importing a Hub snapshot: one transaction per snapshot, so a snapshot is all there or not at all.

The rows are streamed into a staging table with COPY; lineage and figures are set-based SQL; the models and
edges land in the snapshot date's partitions of hub_model and hub_edge (a re-import replaces them), the
figures in HubFigure. Importing the same file again gives the same rows and figures."""

import datetime
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction

from adoption.models import HubFigure, HubSnapshot

from . import figures, lineage, load
from .load import SAMPLE

# For this transaction only. Sorts and hashes of millions of rows in memory, index builds too. No JIT:
# compiling each big one-off statement costs seconds and saves less. The temporary tables (about 1 GB at 2M
# models) in this backend's own buffers rather than paged through the default 8 MB; temp_buffers can only
# change before the session's first temporary table (an error after), hence the guard: a command's fresh
# connection gets it.
SETTINGS = """
SELECT set_config('work_mem', '256MB', true), set_config('maintenance_work_mem', '1GB', true),
       set_config('jit', 'off', true),
       CASE WHEN pg_my_temp_schema() = 0 THEN set_config('temp_buffers', '1GB', true) END
"""
MODELS = """
INSERT INTO {table} (snapshot_date, repo_id, author, downloads, downloads_all_time, likes, created_at,
                     pipeline_tag, library_name, relation, family_id, roots, in_cycle, roots_unknown,
                     origin_country, uploader_country)
SELECT %s, m.repo_id, m.author, m.downloads, m.downloads_all_time, m.likes, m.created_at, m.pipeline_tag,
       m.library_name, m.relation, own.family_id,
       -- A model without a base is its own root, of its own family's origin.
       CASE WHEN m.based THEN r.roots ELSE ARRAY[m.repo_id] END, c.id IS NOT NULL, u.id IS NOT NULL,
       CASE WHEN m.based THEN r.origin ELSE own.origin END, up.country
FROM hub_m m
LEFT JOIN hub_own own ON own.id = m.id
LEFT JOIN hub_roots r ON r.model = m.id
LEFT JOIN hub_cycle c ON c.id = m.id
LEFT JOIN hub_unknown u ON u.id = m.id
LEFT JOIN hub_uploader up ON up.handle = lower(m.author)
"""
EDGES = """
INSERT INTO {table} (snapshot_date, child, parent, relation)
SELECT %s, child_repo_id, parent_repo_id, relation FROM hub_e
"""
# Indexes of the partitioned tables that each partition has (built before ATTACH, which then only checks them):
# the primary key (repo ids first: see migration 0021) and the others.
PRIMARY_KEYS = {"hub_model": "repo_id, snapshot_date", "hub_edge": "child, parent, snapshot_date"}
INDEXES = {"hub_model": ["(lower(repo_id)) WHERE repo_id <> lower(repo_id)"], "hub_edge": []}


class NotPostgreSQL(RuntimeError):
    """The Hub import needs PostgreSQL (COPY, partitions, recursive CTEs)."""


@dataclass
class ImportResult:
    snapshot: HubSnapshot
    rows: int  # rows read, well-formed or not
    cycle_sample: list[str]
    seconds: dict[str, float]  # by phase


def partition(table: str, date: datetime.date) -> str:
    return f"{table}_{date:%Y%m%d}"


class Phases:
    """Seconds per phase of an import, in order: `with phases("name"):` times one."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start


def hub_snapshot_import(*, path: Path, date: datetime.date, progress: Callable[[int], None] = lambda n: None,
                        workers: int | None = None, phases: Phases | None = None) -> ImportResult:
    """Import the snapshot file at `path` as the snapshot of `date`, replacing one of that date. `workers`:
    processes parsing the file (load.parsed_chunks); `phases` gets the time of each step."""
    if connection.vendor != "postgresql":
        raise NotPostgreSQL("The Hub snapshot import needs PostgreSQL (COPY, partitioned tables, recursive "
                            "queries); this database is " + connection.vendor + ".")
    phases = phases or Phases()
    with transaction.atomic(), connection.cursor() as cursor:
        # Two imports of one date take turns; other dates go on side by side.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('hub_snapshot'), %s)", [date.toordinal()])
        cursor.execute(SETTINGS)
        with phases("read, parse and COPY"):
            staged = load.stage(cursor, load.parsed_chunks(path, workers), progress)
        graph = lineage.build(cursor, sample=SAMPLE, timer=lambda step: phases("lineage: " + step))
        malformed_lines = staged.malformed_lines + [
            {"line": line, "reason": f"repeats the repo id {repo_id}"}
            for line, repo_id in staged.repeat_lines[:SAMPLE - len(staged.malformed_lines)]]
        malformed_lines.sort(key=lambda entry: entry["line"])
        _replace_partitions(cursor, date, phases)
        with phases("figures"):
            computed = figures.compute(cursor, partition("hub_model", date))
        with phases("snapshot and figures saved"):
            snapshot, _ = HubSnapshot.objects.update_or_create(date=date, defaults={
                "models": staged.rows, "edges": staged.edges, "malformed": staged.malformed + staged.repeats,
                "malformed_lines": malformed_lines, "cycles": graph.cycles, "roots_unknown": graph.roots_unknown,
            })
            # Dropped at commit anyway, but not when the import runs inside an outer transaction.
            cursor.execute("DROP TABLE " + ", ".join(lineage.TABLES))
            snapshot.figures.all().delete()
            HubFigure.objects.bulk_create(HubFigure(snapshot=snapshot, kind=kind, payload=payload)
                                          for kind, payload in computed.items())
    return ImportResult(snapshot, staged.rows + staged.malformed + staged.repeats, graph.cycle_sample,
                        phases.seconds)


def _replace_partitions(cursor, date: datetime.date, phases: Phases) -> None:
    """Fill a new table for each of the date's partitions, index it in bulk, then swap it in for the old one:
    (ATTACH with a matching CHECK constraint does not scan it again, nor with matching indexes build them)."""
    day = date.isoformat()
    for table, insert in (("hub_model", MODELS), ("hub_edge", EDGES)):
        name = partition(table, date)
        with phases(f"{table}: insert"):
            cursor.execute(
                f"CREATE TABLE {name}_build (LIKE {table} INCLUDING DEFAULTS, CHECK (snapshot_date = '{day}'))")
            cursor.execute(insert.format(table=f"{name}_build"), [date])
        with phases(f"{table}: index"):
            cursor.execute(f"ALTER TABLE {name}_build ADD PRIMARY KEY ({PRIMARY_KEYS[table]})")
            for index in INDEXES[table]:
                cursor.execute(f"CREATE INDEX ON {name}_build {index}")
        with phases(f"{table}: swap"):
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
            cursor.execute(f"ALTER TABLE {name}_build RENAME TO {name}")
            cursor.execute(f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES IN ('{day}')")
