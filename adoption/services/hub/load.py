"""Staging a snapshot: the parsed rows streamed into temporary tables with COPY, chunk by chunk.

The file is read in chunks (parse.chunks); each chunk is parsed and formatted as COPY text by parse_chunk, in
worker processes for a big file, so that Python's parsing runs beside PostgreSQL's COPY on another core. The
chunks are written in file order: a model is its repo id's first line, later lines naming it are repeats.
Memory: a few chunks in flight, the staged models' lower-cased repo ids (to find repeats), and the samples.

hub_m: one row per model; `id` is its line (or row) number, `key` its repo id lower-cased (the Hub's are
case-insensitive), `based` whether it declares a base. hub_pk: its declared bases, by key and as written."""

import multiprocessing
import os
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .parse import Malformed, chunks, model_row, rows_of

STAGE = ("""
CREATE TEMP TABLE hub_m (
    id integer NOT NULL, key text COLLATE "C" NOT NULL, repo_id text COLLATE "C" NOT NULL, author text NOT NULL,
    downloads bigint, downloads_all_time bigint, likes integer, created_at timestamptz, pipeline_tag text,
    library_name text, relation text, based boolean NOT NULL
) ON COMMIT DROP""", """
CREATE TEMP TABLE hub_pk (
    child integer NOT NULL, child_repo_id text COLLATE "C" NOT NULL, relation text NOT NULL,
    key text COLLATE "C" NOT NULL, written text COLLATE "C" NOT NULL
) ON COMMIT DROP""")
COPY_MODELS = ("COPY hub_m (id, key, repo_id, author, downloads, downloads_all_time, likes, created_at, "
               "pipeline_tag, library_name, relation, based) FROM STDIN")
COPY_BASES = "COPY hub_pk (child, child_repo_id, relation, key, written) FROM STDIN"
SAMPLE = 100  # malformed lines and repeats kept with their reason (all are counted)
PARALLEL_FROM = 16 << 20  # a smaller file is parsed in this process: starting workers would take longer
# COPY's text format: these four characters are escaped in a value, NULL is \N.
ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"


@dataclass
class Chunk:
    """A parsed chunk: the models and bases as COPY text, the models' keys in order, what was malformed."""

    models: bytes
    bases: bytes
    keys: list[str]
    read: int = 0
    malformed: int = 0
    malformed_lines: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Staged:
    rows: int = 0  # models staged
    edges: int = 0
    malformed: int = 0
    malformed_lines: list[dict] = field(default_factory=list)
    repeats: int = 0
    repeat_lines: list[tuple[int, str]] = field(default_factory=list)

    def skip(self, line: int, reason: str) -> None:
        self.malformed += 1
        if len(self.malformed_lines) < SAMPLE:
            self.malformed_lines.append({"line": line, "reason": reason})


def _text(value: str | None) -> str:
    if value is None:
        return NULL
    # str.translate costs microseconds even when nothing changes (three values a row, millions of rows): only
    # text with a character to escape goes through it (tab, newline and carriage return are not printable).
    return value if value.isprintable() and "\\" not in value else value.translate(ESCAPES)


def _number(value: int | None) -> str:
    return NULL if value is None else str(value)


def parse_chunk(number: int, chunk) -> Chunk:
    """Parse a chunk (numbered from `number`) into COPY text for hub_m and hub_pk. Repo ids need no escaping
    (parse.REPO_ID); free text does. Runs in a worker process: no database, plain data in and out."""
    models, bases, keys = [], [], []
    parsed = Chunk(b"", b"", keys)
    for line, row, problem in rows_of(number, chunk):
        parsed.read += 1
        if row is None:
            reason = problem
        else:
            try:
                model = model_row(row)
            except Malformed as error:
                reason = str(error)
            else:
                key = model.repo_id.lower()
                keys.append(key)
                created = NULL if model.created_at is None else model.created_at.isoformat()
                models.append(f"{line}\t{key}\t{model.repo_id}\t{_text(model.author)}\t{_number(model.downloads)}\t"
                              f"{_number(model.downloads_all_time)}\t{_number(model.likes)}\t{created}\t"
                              f"{_text(model.pipeline_tag)}\t{_text(model.library_name)}\t"
                              f"{model.relation or NULL}\t{'t' if model.parents else 'f'}\n")
                for parent in model.parents:
                    bases.append(f"{line}\t{model.repo_id}\t{model.relation}\t{parent.lower()}\t{parent}\n")
                continue
        parsed.malformed += 1
        if len(parsed.malformed_lines) < SAMPLE:
            parsed.malformed_lines.append((line, reason))
    parsed.models = "".join(models).encode()
    parsed.bases = "".join(bases).encode()
    return parsed


def parsed_chunks(path: Path, workers: int | None = None) -> Iterator[Chunk]:
    """The file's chunks parsed, in file order: by `workers` processes (by default two for a big file, when
    there are two cores), a bounded number of chunks in flight; else in this process."""
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if path.stat().st_size >= PARALLEL_FROM else 0
    if workers < 2:
        yield from (parse_chunk(number, chunk) for number, chunk in chunks(path))
        return
    # spawn, not fork: a fork would share this process's database connection and threads.
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        pending: deque = deque()
        for number, chunk in chunks(path):
            pending.append(pool.apply_async(parse_chunk, (number, chunk)))
            if len(pending) >= 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def _without_repeats(chunk: Chunk, seen: set[str], staged: Staged) -> tuple[bytes, bytes]:
    """The chunk's models and bases, minus repeats of a repo id staged before (counted and sampled)."""
    keys = set(chunk.keys)
    if len(keys) == len(chunk.keys) and seen.isdisjoint(keys):  # the usual case: no repeat
        seen |= keys
        return chunk.models, chunk.bases
    kept, repeated = [], set()
    for key, row in zip(chunk.keys, chunk.models.splitlines(keepends=True), strict=True):
        if key in seen:
            line, _, rest = row.partition(b"\t")
            repeated.add(line)
            staged.repeats += 1
            if len(staged.repeat_lines) < SAMPLE:
                staged.repeat_lines.append((int(line), rest.split(b"\t", 2)[1].decode()))
        else:
            seen.add(key)
            kept.append(row)
    bases = [row for row in chunk.bases.splitlines(keepends=True) if row.partition(b"\t")[0] not in repeated]
    return b"".join(kept), b"".join(bases)


def stage(cursor, parsed: Iterable[Chunk], progress: Callable[[int], None]) -> Staged:
    """COPY the well-formed rows into hub_m and their bases into hub_pk (made here, dropped at commit); count the
    others. The bases wait in a temporary file until the models are in (one COPY at a time)."""
    for statement in STAGE:
        cursor.execute(statement)
    staged = Staged()
    seen: set[str] = set()
    with tempfile.TemporaryFile() as bases:
        with cursor.copy(COPY_MODELS) as copy:
            for chunk in parsed:
                models, chunk_bases = _without_repeats(chunk, seen, staged)
                copy.write(models)
                bases.write(chunk_bases)
                staged.rows += models.count(b"\n")
                for line, reason in chunk.malformed_lines:
                    staged.skip(line, reason)
                staged.malformed += chunk.malformed - len(chunk.malformed_lines)
                progress(chunk.read)
        bases.seek(0)
        with cursor.copy(COPY_BASES) as copy:
            while block := bases.read(1 << 20):
                copy.write(block)
                staged.edges += block.count(b"\n")
    return staged
