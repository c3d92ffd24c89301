"""Benchmark the Hub snapshot import (issue 15): `manage.py import_hub_snapshot` on a synthetic snapshot.

Writes a synthetic snapshot (tests/benchmarks/hub_snapshot.py: 2M models by default, JSON Lines or
Parquet) and, in its own PostgreSQL database (default `bench_hub`, dropped and recreated; never the
configured one) after migrate and load_reference_data, times in the same run:
- the baseline: a plain COPY of the same rows (the columns the import stages, parsed from the same
  file with no checks) into an unindexed table;
- the import, as a `manage.py import_hub_snapshot` subprocess, with its peak memory: the resident sets of
  it and its parsing workers added up (sampled every 0.1 s from /proc; never less than the largest one's
  maximum, from wait4); PostgreSQL's memory is not counted;
- serving: the ecosystem figures endpoints against a trivial JSON endpoint (`/api/v1/`), in-process
  through the full Django/DRF stack, median of --repeat requests to each, taken in turns.
Targets (issue 15): import at most 3x the baseline; peak memory under 1.5 GB; figures under 2x the
trivial endpoint.

Tooling, not part of the app: run from the project root (`make bench-hub` does so).

    python -m tests.benchmarks.bench_hub                              # 2M models
    python -m tests.benchmarks.bench_hub --models 50k --format parquet --keep
    python -m tests.benchmarks.bench_hub --workdir /tmp/bh --keep --reuse   # write the 2M file once
"""

# SQL here is assembled from fixed fragments; Django is set up before its imports.
# ruff: noqa: E402
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import django

if __name__ == "__main__":  # run as a script: the imports below need Django set up
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")
    django.setup()

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections
from django.test import Client, override_settings

from tests.benchmarks import hub_snapshot
from tests.benchmarks.scratch import ScratchDatabaseMixin

BASELINE_TABLE = "bench_hub_plain_copy"
# The columns the import stages (adoption/services/hub/load.py's hub_stage), in COPY's order.
BASELINE_COLUMNS = ("line integer, repo_id text, author text, downloads bigint, downloads_all_time bigint, "
                    "likes integer, created_at timestamptz, pipeline_tag text, library_name text, relation text, "
                    "parents text[]")
ENDPOINTS = [("trivial JSON endpoint (API root)", "/api/v1/"),
             ("families", "/api/v1/ecosystem/families/?snapshot={date}"),
             ("shares (base origin, downloads)", "/api/v1/ecosystem/shares/?snapshot={date}"),
             ("shares (uploader, models)",
              "/api/v1/ecosystem/shares/?snapshot={date}&attribution=uploader&measure=models")]


def _size(text: str) -> int:
    text = text.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * factor)


def _staged(line: int, row) -> tuple | None:
    """The staged columns of one listing row, read as plainly as possible (no checks): the baseline's work."""
    if not isinstance(row, dict) or "id" not in row or not isinstance(row.get("downloads", 0), int):
        return None
    relation, parents = None, []
    for tag in row.get("tags") or ():
        if tag.startswith("base_model:"):
            kind, _, repo = tag[11:].partition(":")
            if repo:
                relation = kind
            else:
                parents.append(kind)
    return (line, row["id"], row.get("author"), row.get("downloads"), row.get("downloadsAllTime"), row.get("likes"),
            row.get("createdAt"), row.get("pipeline_tag"), row.get("library_name"), relation, parents)


def _rows(path: Path):
    """(line or row number, row) for every row of the file: JSON Lines a line at a time, Parquet a batch at a time."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        number = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=10_000):
            for row in batch.to_pylist():
                number += 1
                yield number, row
        return
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                yield number, json.loads(line)
            except ValueError:
                continue


class _PeakMemory(threading.Thread):
    """The largest sum of the resident sets of a process and its descendants, sampled until `stop` is set."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def run(self):
        while not self.stop.wait(0.1):
            self.peak = max(self.peak, _tree_rss(self.pid))


def _tree_rss(pid: int) -> int:
    """Bytes resident in a process and its descendants (0 for those gone meanwhile)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                total += next((int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:")), 0)
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    pending.extend(int(child) for child in children.read().split())
        except (OSError, ValueError):
            continue
    return total


class Command(ScratchDatabaseMixin, BaseCommand):
    help = "Benchmark import_hub_snapshot on a synthetic Hub snapshot in a separate PostgreSQL database."

    def add_arguments(self, parser):
        parser.add_argument("--models", default="2M", help="Models in the synthetic snapshot, e.g. 5k, 2M.")
        parser.add_argument("--seed", type=int, default=1, help="The generator's seed (same seed, same file).")
        parser.add_argument("--format", choices=["jsonl", "parquet"], default="jsonl", help="The snapshot's format.")
        parser.add_argument("--date", default="2025-08-31", help="The snapshot's date.")
        parser.add_argument("--database", default="bench_hub", help="Database to (re)create; must start with bench.")
        parser.add_argument("--repeat", type=int, default=200, help="Timed requests per endpoint.")
        parser.add_argument("--workdir", default="", help="Where to write the snapshot (default: a temporary folder).")
        parser.add_argument("--keep", action="store_true", help="Keep the snapshot file (and say where).")
        parser.add_argument("--reuse", action="store_true",
                            help="Reuse a snapshot file of the same size, seed and format kept in --workdir.")
        parser.add_argument("--drop-after", action="store_true", help="Drop the benchmark database at the end.")

    def handle(self, *args, models, seed, format, date, database, repeat, workdir, keep, reuse, drop_after,
               **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_hub needs PostgreSQL: set DATABASE_URL to a PostgreSQL server.")
        if not database.startswith("bench"):
            raise CommandError("The benchmark database name must start with 'bench' (it is dropped and recreated).")
        if "import_hub_snapshot" not in get_commands():
            raise CommandError("import_hub_snapshot not available: this branch lacks the import (issue 15, item 4).")
        count = _size(models)
        folder = Path(workdir or tempfile.mkdtemp(prefix="bench-hub-"))
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"hub-{count}-{seed}.{format}"
        original = connections["default"].settings_dict["NAME"]
        started = time.perf_counter()
        try:
            if reuse and path.exists():  # (only a finished file has this name: see below)
                self.say(f"Reusing {path} ({path.stat().st_size / 1e6:,.0f} MB)")
            else:
                self.say(f"Writing {count:,} synthetic models to {path} ...")
                t0 = time.perf_counter()
                writer = hub_snapshot.write_parquet if format == "parquet" else hub_snapshot.write_jsonl
                partial = path.with_name(path.name + ".partial")
                lines = writer(partial, count, seed)
                partial.rename(path)
                self.say(f"  {lines:,} rows, {path.stat().st_size / 1e6:,.0f} MB in {time.perf_counter() - t0:.0f} s")
            self._recreate(database, database)
            self.say(f"Migrating {database} and loading the reference data ...")
            call_command("migrate", verbosity=0)
            logging.disable(logging.INFO)  # the eager tasks' log lines of every reference record
            try:
                call_command("load_reference_data", verbosity=0)
            finally:
                logging.disable(logging.NOTSET)
            self.say("Baseline: plain COPY into an unindexed table ...")
            baseline_s, baseline_rows = self._baseline(path)
            self.say("Import: manage.py import_hub_snapshot ...")
            import_s, peak_mb, output = self._import(path, date)
            models_imported = self._scalar("SELECT models FROM adoption_hubsnapshot WHERE date = %s", [date])
            self.say("Serving the figures ...")
            served = self._serve(date, repeat)
            self._print(count, path, baseline_s, baseline_rows, import_s, models_imported, peak_mb, served, output)
        finally:
            path.with_name(path.name + ".partial").unlink(missing_ok=True)  # an interrupted write
            if keep:
                self.say(f"Snapshot kept: {path}")
            else:
                path.unlink(missing_ok=True)
                if not workdir:
                    folder.rmdir()
            connection.close()
            connections["default"].settings_dict["NAME"] = settings.DATABASES["default"]["NAME"] = original
            if drop_after:
                self._recreate(database, original, create=False)
        self.say(f"Done in {time.perf_counter() - started:.0f} s.")

    def _scalar(self, sql: str, params=None):
        with connection.cursor() as cursor:
            cursor.execute(sql, params or [])
            row = cursor.fetchone()
            return row[0] if row else None

    def _baseline(self, path: Path) -> tuple[float, int]:
        """Seconds and rows of the plain COPY: read and parse the file, COPY the staged columns, commit."""
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TABLE {BASELINE_TABLE} ({BASELINE_COLUMNS})")
        rows = 0
        start = time.perf_counter()
        with connection.cursor() as cursor, cursor.copy(f"COPY {BASELINE_TABLE} FROM STDIN") as copy:
            for line, row in _rows(path):
                staged = _staged(line, row)
                if staged is not None:
                    copy.write_row(staged)
                    rows += 1
        elapsed = time.perf_counter() - start
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {BASELINE_TABLE}")
        return elapsed, rows

    def _import(self, path: Path, date: str) -> tuple[float, float, str]:
        """Seconds, peak resident MB (all its processes) and output of the import, run as a child process."""
        db = connection.settings_dict
        auth = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
        url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        env = {**os.environ, "DATABASE_URL": url}
        connection.close()
        with tempfile.TemporaryFile() as log:
            start = time.perf_counter()
            child = subprocess.Popen(  # noqa: S603 (fixed arguments)
                [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "import_hub_snapshot", str(path),
                 "--date", date, "--verbosity", "2"],
                env=env, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT)
            sampler = _PeakMemory(child.pid)
            sampler.start()
            # wait4: this child's own rusage (RUSAGE_CHILDREN would also count other children of this process).
            _pid, status, usage = os.wait4(child.pid, 0)
            elapsed = time.perf_counter() - start
            sampler.stop.set()
            sampler.join()
            child.returncode = os.waitstatus_to_exitcode(status)
            log.seek(0)
            output = log.read().decode("utf-8", "replace")
        if child.returncode != 0:
            raise CommandError(f"import_hub_snapshot failed ({child.returncode}):\n{output[-3000:]}")
        # ru_maxrss (KiB on Linux): the largest of the child and its reaped children, not their sum.
        return elapsed, max(usage.ru_maxrss * 1024, sampler.peak) / 2**20, output

    def _serve(self, date: str, repeat: int) -> list[tuple[str, list[float]]]:
        """Median-ready samples per endpoint, taken in turns (one request to each, `repeat` times), so a change
        in the machine's load weighs on every endpoint alike."""
        client = Client()
        rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "100000000/min", "user": "100000000/min"}
        urls = [url.format(date=date) for _label, url in ENDPOINTS]
        samples: list[list[float]] = [[] for _ in urls]
        with override_settings(ALLOWED_HOSTS=["testserver"],
                               REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}):
            for url in urls:
                response = client.get(url)  # warm-up, and a check that it answers
                if response.status_code != 200:
                    raise CommandError(f"{url} answered {response.status_code}: {response.content[:300]!r}")
            for _ in range(repeat):
                for url, taken in zip(urls, samples, strict=True):
                    start = time.perf_counter()
                    client.get(url)
                    taken.append((time.perf_counter() - start) * 1000)
        return [(label, taken) for (label, _url), taken in zip(ENDPOINTS, samples, strict=True)]

    def _print(self, count, path, baseline_s, baseline_rows, import_s, imported, peak_mb, served, output) -> None:
        self.say("")
        summary, _, phases = output.partition("Seconds by phase")
        self.say("Import output (last lines):\n  " + "\n  ".join(summary.strip().splitlines()[-6:]))
        if phases:
            self.say("Seconds by phase" + phases.rstrip())
        self.say("")
        self.say("| measurement | value | target |")
        self.say("|---|---:|---|")
        ratio = import_s / baseline_s
        rows = [
            ("models generated", f"{count:,}", ""),
            ("models imported", f"{imported:,}" if imported is not None else "?", ""),
            (f"file size ({path.suffix[1:]})", f"{path.stat().st_size / 1e6:,.0f} MB", ""),
            ("baseline: plain COPY, s", f"{baseline_s:.1f}", ""),
            ("baseline: rows/s", f"{baseline_rows / baseline_s:,.0f}", ""),
            ("import_hub_snapshot, s", f"{import_s:.1f}", ""),
            ("import: rows/s", f"{baseline_rows / import_s:,.0f}", ""),
            ("import / baseline", f"{ratio:.2f}x", "at most 3x" + (" (met)" if ratio <= 3 else " (MISSED)")),
            ("import peak memory (RSS), MB", f"{peak_mb:,.0f}",
             "under 1500" + (" (met)" if peak_mb < 1500 else " (MISSED)")),
        ]
        trivial = statistics.median(served[0][1])
        for label, samples in served:
            median = statistics.median(samples)
            if samples is served[0][1]:
                rows.append((f"GET {label}, median ms", f"{median:.2f}", ""))
            else:
                ratio = median / trivial
                rows.append((f"GET {label}, median ms", f"{median:.2f} ({ratio:.2f}x trivial)",
                             "under 2x" + (" (met)" if ratio < 2 else " (MISSED)")))
        for label, value, target in rows:
            self.say(f"| {label} | {value} | {target} |")


if __name__ == "__main__":
    Command().run_from_argv([sys.argv[0], "bench_hub", *sys.argv[1:]])
