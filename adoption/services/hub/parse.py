"""Reading a Hub snapshot: rows of the model listing (JSON Lines or Parquet) into model rows, streamed.

A row is what the Hub's model listing API returns for a model (`id`, `author`, `downloads`,
`downloadsAllTime`, `likes`, `createdAt`, `pipeline_tag`, `library_name`, `tags`, `cardData`); the public
daily dumps publish the same columns as Parquet. Declared bases come from the `base_model:` tags, else from
the card's `base_model`. A row that is not a model is reported by its line (or row) number, never fatal.
"""

import datetime
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

RELATIONS = ("finetune", "adapter", "quantized", "merge")
# Tags that say what a model with a plain `base_model:<repo>` tag is to its base.
ADAPTER_TAGS = frozenset({"lora", "peft", "adapter", "qlora"})
QUANTIZED_TAGS = frozenset({"gguf", "gptq", "awq", "exl2", "quantized", "4-bit", "8-bit", "bitsandbytes", "mlx",
                            "hqq", "aqlm", "bnb", "fp8"})
MERGE_TAGS = frozenset({"merge", "mergekit"})
TEXT_ONLY = frozenset({str})
# When one model declares several relations to its bases, the one that says most about it.
PRIORITY = ("merge", "quantized", "adapter", "finetune")
REPO_ID = re.compile(r"^[\w.-]+(/[\w.-]+)?$")
# Bigger than PostgreSQL's bigint (integer for likes) would refuse the whole COPY: such a count is malformed.
BIGINT = 2**63 - 1
INTEGER = 2**31 - 1
COLUMNS = ("id", "author", "downloads", "downloadsAllTime", "likes", "createdAt", "pipeline_tag", "library_name",
           "tags", "cardData")


class Malformed(ValueError):
    """A row that is not a model; the message says why."""


class ModelRow(NamedTuple):
    """One model as staged for COPY: its declared bases (`parents`) and its relation to them."""

    repo_id: str
    author: str
    downloads: int | None
    downloads_all_time: int | None
    likes: int | None
    created_at: datetime.datetime | None
    pipeline_tag: str | None
    library_name: str | None
    relation: str | None
    parents: list[str]


def _count(row: dict, key: str, largest: int = BIGINT) -> int | None:
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= largest:
        raise Malformed(f"{key} is not a count")
    return value


def _text(row: dict, key: str) -> str | None:
    value = row.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _storable(value):
        raise Malformed(f"{key} is not text")
    return value


def _storable(text: str) -> bool:
    """PostgreSQL text holds no NUL, and UTF-8 no lone surrogate (JSON can escape one: "\\ud800")."""
    if "\x00" in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _created(value) -> datetime.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
    if not isinstance(value, str):
        raise Malformed("createdAt is not a date")
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise Malformed("createdAt is not an ISO 8601 date") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def _card_bases(card) -> list[str]:
    """`cardData.base_model`: a repo id or a list of them (the dumps may hold the card as JSON text)."""
    if isinstance(card, str):
        try:
            card = json.loads(card)
        except ValueError:
            return []
    if not isinstance(card, dict):
        return []
    bases = card.get("base_model")
    if isinstance(bases, str):
        bases = [bases]
    if not isinstance(bases, list):
        return []
    return [base.strip() for base in bases if isinstance(base, str) and REPO_ID.match(base.strip())]


def lineage(tags: list[str], library_name: str | None, card) -> tuple[str | None, list[str]]:
    """(relation, parents) of a model: its bases from the `base_model:` tags (`base_model:<repo>` or
    `base_model:<relation>:<repo>`), else from the card; the relation as a tag states it, else two or more
    bases make a merge, else the other tags say (an adapter, a quantization, a merge), else a fine-tune."""
    parents: dict[str, str] = {}  # lower-case repo id (the Hub's are case-insensitive) -> as written
    stated: set[str] = set()
    for rest in [tag[len("base_model:"):] for tag in tags if tag.startswith("base_model:")]:
        relation, _, repo = rest.partition(":")
        if repo and relation in RELATIONS:
            stated.add(relation)
        else:
            repo = rest
        repo = repo.strip()
        if REPO_ID.match(repo):
            parents.setdefault(repo.lower(), repo)
    if not parents:
        for repo in _card_bases(card):
            parents.setdefault(repo.lower(), repo)
    if not parents:
        return None, []
    if len(stated) == 1:
        relation = stated.pop()
    elif len(parents) >= 2:
        relation = "merge"
    elif stated:
        relation = next(name for name in PRIORITY if name in stated)
    else:
        lowered = {tag.lower() for tag in tags}
        if lowered & ADAPTER_TAGS or library_name == "peft":
            relation = "adapter"
        elif lowered & QUANTIZED_TAGS:
            relation = "quantized"
        elif lowered & MERGE_TAGS:
            relation = "merge"
        else:
            relation = "finetune"
    return relation, list(parents.values())


def model_row(row) -> ModelRow:
    """The model a listing row describes; Malformed if it is not one."""
    if not isinstance(row, dict):
        raise Malformed("not a JSON object")
    repo_id = row.get("id")
    if not isinstance(repo_id, str) or not REPO_ID.match(repo_id):
        raise Malformed("no valid id")
    author = row.get("author")
    if author is None or author == "":
        author = repo_id.partition("/")[0] if "/" in repo_id else ""
    elif not isinstance(author, str) or not _storable(author):
        raise Malformed("author is not text")
    tags = row.get("tags")
    if tags is None:
        tags = []
    # (The type set rather than isinstance per tag: this runs for each of millions of rows.)
    if not isinstance(tags, list | tuple) or not TEXT_ONLY.issuperset(map(type, tags)):
        raise Malformed("tags is not a list of text")
    library_name = _text(row, "library_name")
    relation, parents = lineage(tags, library_name, row.get("cardData"))
    # Positional: a NamedTuple built from keywords takes twice as long, for each of millions of rows.
    return ModelRow(repo_id, author, _count(row, "downloads"), _count(row, "downloadsAllTime"),
                    _count(row, "likes", INTEGER), _created(row.get("createdAt")), _text(row, "pipeline_tag"),
                    library_name, relation, parents)


CHUNK_BYTES = 4 << 20  # JSON Lines read this much at a time (and to the end of its last line)
BATCH_ROWS = 10_000  # Parquet rows at a time


def chunks(path: Path) -> Iterator[tuple[int, object]]:
    """(number of the first line or row, the chunk) for a snapshot file, streamed: JSON Lines as blocks of whole
    lines, Parquet as record batches (`.parquet` files). Cheap to read; rows_of does the parsing."""
    number = 1
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(path)
        columns = [name for name in COLUMNS if name in parquet.schema_arrow.names]
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=columns):
            yield number, batch
            number += batch.num_rows
        return
    with path.open("rb") as lines:
        while block := lines.read(CHUNK_BYTES):
            if not block.endswith(b"\n"):
                block += lines.readline()
            yield number, block
            number += block.count(b"\n")


def rows_of(first: int, chunk) -> Iterator[tuple[int, dict | None, str]]:
    """(line or row number, the row or None, why not) for every row of a chunk, numbered from `first`."""
    if not isinstance(chunk, bytes):  # a Parquet record batch
        for number, row in enumerate(chunk.to_pylist(), start=first):
            if isinstance(row.get("tags"), tuple):
                row["tags"] = list(row["tags"])
            yield number, row, ""
        return
    lines = chunk.split(b"\n")
    if chunk.endswith(b"\n"):
        lines.pop()
    for number, line in enumerate(lines, start=first):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line), ""
        except (ValueError, RecursionError):
            yield number, None, "not JSON"


def read_rows(path: Path) -> Iterator[tuple[int, dict | None, str]]:
    """Every row of a snapshot file (rows_of over its chunks), streamed."""
    for number, chunk in chunks(path):
        yield from rows_of(number, chunk)


def count_rows(path: Path) -> int | None:
    """How many rows a file holds, when that is cheap to know (Parquet's footer), for the progress bar."""
    if path.suffix.lower() != ".parquet":
        return None
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows
