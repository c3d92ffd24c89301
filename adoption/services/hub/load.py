"""Staging a snapshot: the parsed rows streamed into a temporary table with COPY, in bounded batches.

Python's memory holds one batch and the sample of malformed lines, whatever the file's size."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .parse import Malformed, model_row

STAGE = """
CREATE TEMP TABLE hub_stage (
    line integer NOT NULL, repo_id text NOT NULL, author text NOT NULL, downloads bigint,
    downloads_all_time bigint, likes integer, created_at timestamptz, pipeline_tag text, library_name text,
    relation text, parents text[]
) ON COMMIT DROP
"""
COPY = ("COPY hub_stage (line, repo_id, author, downloads, downloads_all_time, likes, created_at, pipeline_tag, "
        "library_name, relation, parents) FROM STDIN")
TYPES = ("int4", "text", "text", "int8", "int8", "int4", "timestamptz", "text", "text", "text", "text[]")
SAMPLE = 100
PROGRESS_EVERY = 10_000  # malformed lines kept with their reason (all are counted)


@dataclass
class Staged:
    rows: int = 0
    malformed: int = 0
    malformed_lines: list[dict] = field(default_factory=list)

    def skip(self, line: int, reason: str) -> None:
        self.malformed += 1
        if len(self.malformed_lines) < SAMPLE:
            self.malformed_lines.append({"line": line, "reason": reason})


def stage(cursor, rows: Iterable[tuple[int, dict | None, str]], progress: Callable[[int], None]) -> Staged:
    """COPY the well-formed rows into hub_stage (made here, dropped at commit); count the others."""
    cursor.execute(STAGE)
    staged = Staged()
    with cursor.copy(COPY) as copy:
        copy.set_types(TYPES)
        for read, (number, row, problem) in enumerate(rows, start=1):
            if read % PROGRESS_EVERY == 0:
                progress(PROGRESS_EVERY)
            if row is None:
                staged.skip(number, problem)
                continue
            try:
                model = model_row(row)
            except Malformed as error:
                staged.skip(number, str(error))
                continue
            copy.write_row((number, *model))
            staged.rows += 1
    progress((staged.rows + staged.malformed) % PROGRESS_EVERY)
    return staged
