"""Bulk proposals (DESIGN §3): a CSV or JSON Lines file of submissions, checked as a whole.

Each row goes through what a single submission goes through (the API's input validation, which the
caller passes as `validate` since services sit below the API, then `records.adoption_create(...,
submit=True)`), inside one transaction: a dry run rolls it back, an import
commits it only when every row passed. So a dry run reports exactly what the import would do, new
adopters shared between rows included (DESIGN §2), and duplicates within the file are found the way
duplicates against the registry are, because the file's rows are in the database meanwhile.
"""

import csv
import datetime
import io
import json
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from adoption.models import Adoption, ImportBatch
from adoption.roles import is_contributor
from adoption.selectors import adoption_duplicates

from .errors import ActionForbidden
from .records import adoption_create, split_list

# CSV columns beyond the submission body's own fields: the nested ones flattened.
NEW_ADOPTER_COLUMNS = ("new_adopter_name", "new_adopter_kind", "new_adopter_country", "new_adopter_city")
EVIDENCE_COLUMNS = ("evidence_url", "evidence_kind", "evidence_title", "evidence_publisher", "evidence_published_on",
                    "evidence_quote")
BODY_COLUMNS = ("adopter", "family", "checkpoint", "relation", "stage", "product_name", "product_url", "started_on",
                "ended_on", "sectors", "languages", "summary")
CSV_COLUMNS = (*BODY_COLUMNS[:1], *NEW_ADOPTER_COLUMNS, *BODY_COLUMNS[1:], *EVIDENCE_COLUMNS)
LIST_COLUMNS = ("sectors", "languages")


class ImportFileError(ValueError):
    """The file as a whole cannot be read (API: 400 on `file`)."""


class _Rollback(Exception):
    """Undo every row of a dry run, or of an import with an invalid row."""


def max_bytes() -> int:
    return settings.IMPORT_MAX_BYTES


def max_rows() -> int:
    return settings.IMPORT_MAX_ROWS


def _decode(raw: bytes) -> str:
    if len(raw) > max_bytes():
        raise ImportFileError(_("The file is %(size)s bytes; at most %(limit)s are accepted per import. "
                                "Split it into several files.")
                              % {"size": f"{len(raw):,}", "limit": f"{max_bytes():,}"})
    try:
        text = raw.decode("utf-8-sig")  # a spreadsheet's byte-order mark is not part of the header
    except UnicodeDecodeError as exc:
        raise ImportFileError(_("The file is not UTF-8 text (byte %(position)s): save it as CSV UTF-8 or "
                                "JSON Lines.") % {"position": exc.start + 1}) from exc
    if "\x00" in text:
        raise ImportFileError(_("The file holds NUL bytes: it is not a CSV or JSON Lines text file."))
    if not text.strip():
        raise ImportFileError(_("The file is empty."))
    return text


def file_format(name: str, text: str) -> str:
    """'csv' or 'jsonl', from the file's extension, else from its first character."""
    lowered = (name or "").lower()
    if lowered.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if lowered.endswith(".csv"):
        return "csv"
    if lowered.endswith((".json", ".xlsx", ".xls", ".ods", ".txt", ".tsv", ".parquet")) and "." in lowered:
        raise ImportFileError(_("%(name)s is not a CSV (.csv) or JSON Lines (.jsonl) file.") % {"name": name})
    return "jsonl" if text.lstrip().startswith("{") else "csv"


def _csv_rows(text: str) -> list[tuple[int, dict | str]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return _read_csv(reader)
    except csv.Error as exc:  # e.g. a cell longer than the csv module's limit (131,072 characters)
        raise ImportFileError(_("Line %(line)s cannot be read as CSV: %(error)s.")
                              % {"line": reader.line_num, "error": exc}) from exc


def _read_csv(reader: csv.DictReader) -> list[tuple[int, dict | str]]:
    header = [name.strip() for name in reader.fieldnames or []]
    unknown = [name for name in header if name not in CSV_COLUMNS]
    if not header or unknown:
        values = {"unknown": ", ".join(unknown), "columns": ", ".join(CSV_COLUMNS)}
        if unknown:
            message = ngettext("Unknown column: %(unknown)s. The columns are: %(columns)s (the template lists them).",
                               "Unknown columns: %(unknown)s. The columns are: %(columns)s (the template lists them).",
                               len(unknown)) % values
        else:
            message = _("The file has no header row. The columns are: %(columns)s (the template lists them).") % values
        raise ImportFileError(message)
    reader.fieldnames = header
    rows = []
    for values in reader:
        if None in values:  # more cells than the header names
            rows.append((reader.line_num, _("This row has more cells than the header has columns.")))
            continue
        cells = {key: (value or "").strip() for key, value in values.items()}
        if any(cells.values()):
            rows.append((reader.line_num, _body_from_cells(cells)))
    return rows


def _body_from_cells(cells: dict) -> dict:
    """A CSV row as the submission body: empty cells left out, the flattened objects nested again."""
    body = {key: cells[key] for key in BODY_COLUMNS if cells.get(key)}
    for key in LIST_COLUMNS:
        if key in body:
            body[key] = split_list(body[key])
    new_adopter = {key.removeprefix("new_adopter_"): cells[key] for key in NEW_ADOPTER_COLUMNS if cells.get(key)}
    if new_adopter:
        body["new_adopter"] = new_adopter
    source = {key.removeprefix("evidence_"): cells[key] for key in EVIDENCE_COLUMNS if cells.get(key)}
    if source:
        body["evidence"] = [source]
    return body


def _jsonl_rows(text: str) -> list[tuple[int, dict | str]]:
    rows = []
    # Lines end at "\n" only: str.splitlines() would also split at U+2028 and other separators that JSON
    # strings may hold as they are.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            body = json.loads(line)
        except ValueError as exc:
            rows.append((number, _("Not valid JSON: %(error)s.") % {"error": exc}))
            continue
        except RecursionError:
            rows.append((number, _("Not valid JSON here: nested too deeply.")))
            continue
        rows.append((number, body if isinstance(body, dict) else _("Each line must be one JSON object.")))
    return rows


def _flat_errors(detail, prefix: str = "") -> list[tuple[str, str]]:
    """Serializer or service errors as (field, message) pairs; nested objects flattened as the CSV names
    them (new_adopter_country, evidence_url; a second source is evidence[1]_url)."""
    if isinstance(detail, list) and detail and all(isinstance(item, dict | list) for item in detail):
        detail = dict(enumerate(detail))
    if isinstance(detail, dict):
        pairs = []
        for key, value in detail.items():
            if isinstance(key, int):  # the n-th item of a list (DRF keys a list's errors by index)
                pairs += _flat_errors(value, prefix if key == 0 else f"{prefix}[{key}]")
                continue
            name = "" if key in ("non_field_errors", "__all__") else str(key)
            pairs += _flat_errors(value, f"{prefix}_{name}" if prefix and name else prefix or name)
        return pairs
    messages = detail if isinstance(detail, list) else [detail]
    return [(prefix, str(message)) for message in messages if str(message)]


# validate(body, user) -> (the records service's keyword arguments, None) or (None, errors by field).
Validator = Callable[[dict, object], tuple[dict | None, dict | None]]


def _create_row(body: dict, user, validate: Validator) -> tuple[Adoption | None, list[tuple[str, str]]]:
    """One row through the submission's validation and the records service, in a savepoint of its own."""
    arguments, errors = validate({**body, "submit": True}, user)
    if errors:
        return None, _flat_errors(errors)
    try:
        with transaction.atomic():
            return adoption_create(user=user, **arguments), []
    except ValidationError as exc:
        return None, _flat_errors(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)


def import_file(*, user, name: str, raw: bytes, validate: Validator, dry_run: bool = True) -> ImportBatch:
    """Check (dry run) or import a file of proposals; the report is the returned batch. Records are
    created, `submitted` and owned by `user`, only when not a dry run and every row is valid.
    Raises ImportFileError when the file as a whole cannot be read."""
    if not is_contributor(user):
        raise ActionForbidden(_("Sign in to propose records."))
    text = _decode(raw)
    kind = file_format(name, text)
    rows = _csv_rows(text) if kind == "csv" else _jsonl_rows(text)
    if not rows:
        raise ImportFileError(_("The file has no rows to import."))
    if len(rows) > max_rows():
        raise ImportFileError(_("The file has %(rows)s rows; at most %(limit)s are accepted per import.")
                              % {"rows": f"{len(rows):,}", "limit": f"{max_rows():,}"})

    batch = ImportBatch(created_by=user, file_name=(name or "")[:255], file_format=kind, content=text,
                        dry_run=dry_run, rows=len(rows))
    try:
        with transaction.atomic():
            batch.save()
            created: dict[int, int] = {}  # record id -> row
            for number, body in rows:
                record, problems = (None, [("", body)]) if isinstance(body, str) else _create_row(body, user, validate)
                batch.errors += [{"row": number, "field": field, "message": message} for field, message in problems]
                if record is not None:
                    created[record.pk] = number
            Adoption.objects.filter(pk__in=created).update(import_batch=batch)
            batch.duplicates = _duplicates(created, user)
            batch.valid = len(created)
            if dry_run or batch.errors:
                raise _Rollback
            batch.created = sorted(created)
            batch.save()
    except _Rollback:
        batch.pk = None  # the report is kept; its rows were undone
        batch.save()
    return batch


def import_checked(*, batch: ImportBatch, user, validate: Validator) -> ImportBatch:
    """Import the file of a dry run that passed, as it was checked (checked again as it lands), once: a second
    request (a double click, the back button) gets the first import back instead of a second one."""
    with transaction.atomic():
        # (None: the nightly deletion of old dry runs took it meanwhile.)
        batch = ImportBatch.objects.select_for_update().filter(pk=batch.pk).first()
        if batch is None or batch.created_by_id != getattr(user, "pk", None) or not batch.dry_run or batch.errors:
            raise ImportFileError(_("Only a dry run of yours without errors can be imported. Upload the file again."))
        if batch.imported_as_id:
            return batch.imported_as
        done = import_file(user=user, name=batch.file_name, raw=batch.content.encode(), validate=validate,
                           dry_run=False)
        if done.created:
            batch.imported_as = done
            batch.save(update_fields=["imported_as"])
        return done


def _duplicates(created: dict[int, int], user) -> list[dict]:
    """Each row's likely duplicates: records the uploader may see ("ids") and other rows of the file."""
    found = []
    for record in Adoption.objects.filter(pk__in=created).select_related("adopter", "family").order_by("pk"):
        matches = [match["adoption"].pk for match in adoption_duplicates(record, viewer=user)]
        ids = [pk for pk in matches if pk not in created]
        rows = sorted(created[pk] for pk in matches if pk in created)
        if ids or rows:
            found.append({"row": created[record.pk], "ids": ids, "rows": rows})
    return sorted(found, key=lambda item: item["row"])


def forget_old_dry_runs(days: int | None = None) -> int:
    """Delete the dry runs (checks of a file, with its text: up to IMPORT_MAX_BYTES each) older than `days`
    (IMPORT_DRY_RUN_DAYS): a check is for the next step of an upload, not a record. Imports stay, with their
    file; one that followed a check loses only its link to it. Returns how many went."""
    days = settings.IMPORT_DRY_RUN_DAYS if days is None else days
    cutoff = timezone.now() - datetime.timedelta(days=days)
    old = list(ImportBatch.objects.filter(dry_run=True, created_at__lt=cutoff).values_list("pk", flat=True))
    for start in range(0, len(old), 500):
        # Only the keys: deleting loads the rows (their links are set to null), and each holds a file's text.
        ImportBatch.objects.filter(pk__in=old[start:start + 500]).only("pk").delete()
    return len(old)


def template_csv() -> str:
    """The CSV template: the header and one example row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    example = {
        "new_adopter_name": "Example Health Agency", "new_adopter_kind": "government", "new_adopter_country": "KE",
        "new_adopter_city": "Nairobi", "family": "qwen", "relation": "fine_tune", "stage": "pilot",
        "product_name": "Afya Assistant", "started_on": "2025-06", "sectors": "health", "languages": "sw, en",
        "summary": "A Swahili health assistant fine-tuned from Qwen.",
        "evidence_url": "https://example.org/press/afya-assistant", "evidence_kind": "official_announcement",
        "evidence_title": "Afya Assistant launched",
    }
    writer.writerow([example.get(column, "") for column in CSV_COLUMNS])
    return out.getvalue()
