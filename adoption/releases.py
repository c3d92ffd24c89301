"""Data releases (DESIGN §4): the published registry as files, dated, versioned and never rewritten.

    release_make(now=None, progress=None) -> Release | None

A release `YYYY.MM.N` (N counts that month's releases from 0) holds the tables of adoption.api.tables as
CSV (the same columns as the API's exports), adoptions.parquet (the adoptions.csv rows, typed), a
Frictionless `datapackage.json` describing every column, `CITATION.cff` and `SHA256SUMS`. The tables are
read in one snapshot (PostgreSQL: a repeatable-read transaction), so their counts agree with each other.
A run whose tables are the same bytes as the latest release's makes none (returns None): releases differ
only when the data did. Files go to the "releases" storage (settings.STORAGES) under `<version>/`; a
version whose files already exist there is refused, never overwritten.

It sits beside the API rather than among the services (which never import the API) because a release is
the API's own tables frozen: the same columns, formatting and schema, from adoption.api.tables.
"""

import contextlib
import datetime
import hashlib
import json
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.db import DatabaseError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework import serializers

from adoption.api.renderers import ListCSVRenderer
from adoption.api.tables import TABLES, Table, field_schema, field_type
from adoption.models import Release

logger = logging.getLogger(__name__)

STORAGE = "releases"
TITLE = "Model Adoption Registry"
# The registry's data are published under CC BY 4.0 (attribution: cite the release).
LICENSE = {"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0",
           "path": "https://creativecommons.org/licenses/by/4.0/"}
AUTHORS = "Model Adoption Registry contributors"


class ReleaseExists(Exception):
    """Files for this version are already stored: a release is never rewritten."""


def release_storage():
    return storages[STORAGE]


def release_make(*, now: datetime.datetime | None = None, progress: Callable[[str], None] = lambda _: None
                 ) -> Release | None:
    """Write a new release of the published registry, or return None when its tables are unchanged since
    the latest release. `progress` is told about each step (the command prints it)."""
    now = now or timezone.now()
    with _one_at_a_time(), tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with _snapshot():
            rows = {table.name: _write_table(table, folder, progress) for table in TABLES}
        digest = _sha256(*(folder / f"{table.name}.csv" for table in TABLES))
        latest = Release.objects.first()
        if latest is not None and latest.digest == digest:
            progress(f"no change since {latest.version}")
            return None
        date = timezone.localdate(now)
        version = _next_version(date)
        (folder / "datapackage.json").write_text(_datapackage(version, now, folder), encoding="utf-8")
        (folder / "CITATION.cff").write_text(_citation(version, date), encoding="utf-8")
        names = [f"{table.name}.csv" for table in TABLES] + ["adoptions.parquet", "datapackage.json", "CITATION.cff"]
        sums = {name: _sha256(folder / name) for name in names}
        (folder / "SHA256SUMS").write_text("".join(f"{sums[name]}  {name}\n" for name in names), encoding="utf-8")
        sums["SHA256SUMS"] = _sha256(folder / "SHA256SUMS")
        files = [{"name": name, "sha256": sums[name], "bytes": (folder / name).stat().st_size} for name in sums]
        _store(version, folder, [file["name"] for file in files], progress)
        # (Recorded before the lock goes: the next run must find this release.)
        return Release.objects.create(version=version, date=date, records=rows["adoptions"], files=files,
                                      digest=digest)


def release_file_path(release: Release, name: str) -> str:
    return f"{release.version}/{name}"


@contextlib.contextmanager
def _one_at_a_time():
    """Two runs at once (beat's and a command's) take turns: the second then finds the first's release and
    makes none, rather than colliding on the same version's files. A PostgreSQL session lock (SQLite, the demo,
    runs one process)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtext('adoption.release_make'))")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtext('adoption.release_make'))")
        except (DatabaseError, TransactionManagementError):
            # A broken connection took the lock with it; a failed outer transaction cannot run the unlock,
            # and a kept or pooled connection would hold the lock for good: closed, it lets it go.
            logger.warning("Could not release the data release lock; closing the connection instead.")
            if not connection.in_atomic_block:
                connection.close()


@contextlib.contextmanager
def _snapshot():
    """One consistent view of the registry for every table. On PostgreSQL, a repeatable-read, read-only
    transaction (when this is the outermost one: the isolation level can only be set first)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _write_table(table: Table, folder: Path, progress) -> int:
    """`<name>.csv` written by the exports' CSV renderer (adoptions: also adoptions.parquet, the same rows);
    returns the number of rows."""
    columns = table.columns()
    count = 0
    parquet = _ParquetWriter(folder / f"{table.name}.parquet", columns) if table.name == "adoptions" else None

    def chunks():
        nonlocal count
        for chunk in table.chunks():
            count += len(chunk)
            if parquet:
                parquet.write(chunk)
            yield chunk

    try:
        with open(folder / f"{table.name}.csv", "wb") as out:
            for data in ListCSVRenderer().stream(chunks(), columns):
                out.write(data)
    finally:
        if parquet:
            parquet.close()
    progress(f"{table.name}: {count} rows")
    return count


def _arrow_type(field: serializers.Field):
    return {"boolean": pa.bool_(), "integer": pa.int64(), "number": pa.float64(),
            "datetime": pa.timestamp("us", tz="UTC"), "date": pa.date32()}.get(field_type(field), pa.string())


def _typed(kind, value):
    """A CSV cell's value as its Arrow column holds it: dates and times parsed, others as written."""
    if value is None or value == "":
        return None
    if pa.types.is_timestamp(kind):
        return datetime.datetime.fromisoformat(value)
    if pa.types.is_date(kind):
        return datetime.date.fromisoformat(value)
    return value


class _ParquetWriter:
    """The CSV's columns, typed (Table Schema types as Arrow ones), written a chunk at a time."""

    def __init__(self, path: Path, columns):
        self.columns = columns
        self.schema = pa.schema([pa.field(name, _arrow_type(field)) for name, field in
                                 zip(columns.names, columns.fields, strict=True)])
        self.writer = pq.ParquetWriter(path, self.schema)

    def write(self, chunk: list[dict]) -> None:
        rows = [self.columns.row(item) for item in chunk]
        arrays = [pa.array([_typed(field.type, row[i]) for row in rows], type=field.type)
                  for i, field in enumerate(self.schema)]
        self.writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))

    def close(self) -> None:
        self.writer.close()


def _sha256(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as file:
            while block := file.read(1 << 20):
                digest.update(block)
    return digest.hexdigest()


def _next_version(date: datetime.date) -> str:
    month = f"{date:%Y.%m}"
    return f"{month}.{Release.objects.filter(version__startswith=f'{month}.').count()}"


def _data_url() -> str:
    return settings.SITE_URL.rstrip("/") + reverse("adoption:data")


def _datapackage(version: str, now: datetime.datetime, folder: Path) -> str:
    """A Frictionless (tabular) data package: one resource per CSV, each column typed and described."""
    resources = []
    for table in TABLES:
        path = folder / f"{table.name}.csv"
        columns = table.columns()
        schema = {"fields": [field_schema(name, field) for name, field in zip(columns.names, columns.fields,
                                                                              strict=True)],
                  "primaryKey": [table.primary_key]}
        if table.foreign_keys:
            schema["foreignKeys"] = table.foreign_keys
        resources.append({
            "name": table.name, "path": path.name, "title": table.title, "profile": "tabular-data-resource",
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8", "bytes": path.stat().st_size,
            "hash": f"sha256:{_sha256(path)}", "schema": schema,
        })
    package = {
        "profile": "tabular-data-package", "name": "model-adoption-registry", "title": TITLE, "version": version,
        "description": "The published records of the Model Adoption Registry: who builds on which open-weight "
                       "base model, with their sources. adoptions.parquet holds the rows of adoptions.csv, typed.",
        "created": now.astimezone(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "homepage": _data_url(), "licenses": [LICENSE],
        "sources": [{"title": TITLE, "path": settings.SITE_URL}],
        "resources": resources,
    }
    return json.dumps(package, indent=2, ensure_ascii=False) + "\n"


def _citation(version: str, date: datetime.date) -> str:
    """CITATION.cff (Citation File Format 1.2.0); values JSON-quoted, which YAML reads as strings."""
    def q(text):
        return json.dumps(text, ensure_ascii=False)

    return (
        "cff-version: 1.2.0\n"
        f"message: {q('If you use these data, please cite them as below.')}\n"
        "type: dataset\n"
        f"title: {q(f'{TITLE}: data release {version}')}\n"
        f"version: {q(version)}\n"
        f"date-released: {date.isoformat()}\n"
        f"license: {LICENSE['name']}\n"
        f"url: {q(_data_url())}\n"
        "authors:\n"
        f"  - name: {q(AUTHORS)}\n"
    )


def citation_text(release: Release) -> str:
    """The release cited in one line, in the reader's language (as the /data/ page shows it; CITATION.cff
    keeps the English names)."""

    # Translators: a data set citation (APA style): "Model Adoption Registry contributors (2026). Model
    # Adoption Registry, data release 2026.12.0 [Data set]. https://..." Keep the square brackets.
    return gettext("%(authors)s (%(year)s). %(title)s, data release %(version)s [Data set]. %(url)s") % {
        "authors": gettext("Model Adoption Registry contributors"), "year": release.date.year,
        "title": gettext("Model Adoption Registry"), "version": release.version, "url": _data_url()}


def _store(version: str, folder: Path, names: list[str], progress) -> None:
    storage = release_storage()
    paths = [f"{version}/{name}" for name in names]
    if existing := [path for path in paths if storage.exists(path)]:
        raise ReleaseExists(f"Release {version} already has files in storage ({', '.join(existing)}); "
                            "releases are never rewritten: remove leftovers of a failed run by hand.")
    for name, path in zip(names, paths, strict=True):
        with open(folder / name, "rb") as file:
            storage.save(path, File(file, name=name))
    progress(f"stored {len(names)} files under {version}/")
