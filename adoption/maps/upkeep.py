"""What publishing, retracting and moving do to the maps: called by the services inside their transaction.

A record that starts counting gets an open publication span and a +1 delta; one that stops counting
has its span closed and a -1 delta; a change to what the maps show of it (its own values, its adopter's
place) closes and reopens its span with a delta for each. Each bumps the data version in the same
transaction. Nothing here writes the summary or presence rows (the fold does, `fold`), except a family's
origin move, which folds first and then moves its adopters' presence rows. Readers add the deltas not
folded yet, so the next request sees every write.
"""

# SQL here is assembled from fixed fragments only; every value travels as a query parameter.
# ruff: noqa: S608
import contextlib
import json
import uuid

from django.db import connection, transaction
from django.utils import timezone

from adoption.choices import Status
from adoption.models import Adoption, MapDelta, ModelFamily, Organization
from adoption.services.data_version import BUMP_SQL, data_version_bump, version_bumped
from adoption.services.queue import FOLD_MAP_DELTAS, send_on_commit

from .fold import fold, lock_writers
from .grains import SPAN_VALUES, PresenceGrain
from .sql import PRESENCE_UPSERT, SPAN_COLUMNS, SPAN_SELECT

# A fold is queued when a delta's id is a multiple of this (besides the periodic one): the deltas every
# map adds stay few even when no beat runs (`make demo`), and each fold is one short statement.
FOLD_EVERY = 64

_SPAN_OPEN = (
    f"INSERT INTO adoption_publicationspan (adoption_id, published_from, {SPAN_COLUMNS}) "
    f"VALUES ({', '.join(['%s'] * (len(SPAN_VALUES) + 2))})"
)
_SPAN_CLOSE = ("UPDATE adoption_publicationspan SET published_until = %s "
               "WHERE adoption_id = %s AND published_until IS NULL")
# The deltas of the open spans whose {column} (adoption_id or adopter_id) is among {marks}, signed by %s.
_DELTA_OF_OPEN = (f"INSERT INTO adoption_mapdelta (sign, {SPAN_COLUMNS}) SELECT %s, {SPAN_COLUMNS} "
                  "FROM adoption_publicationspan WHERE published_until IS NULL AND {column} IN ({marks})")


def record_span(adoption: Adoption) -> tuple:
    """The values of SPAN_VALUES a published record shows the maps (the JSON lists as stored)."""
    adopter = adoption.adopter
    return (adoption.adopter_id, adopter.country_id or "", adopter.city or "", adopter.kind or "",
            adoption.family_id, adoption.relation, adoption.stage, adoption.started_on,
            json.dumps(adoption.sectors), json.dumps(adoption.languages))


def _log(span_sql: str, span_params: list, sign: int, adoption_id: int) -> None:
    """Open or close a record's span, log its delta and move the data version: one round trip on
    PostgreSQL (data-modifying CTEs), so publishing costs an approval as little as it can."""
    if connection.vendor == "postgresql":
        token, now = uuid.uuid4().hex, timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH sp AS ({span_sql} RETURNING {SPAN_COLUMNS}), d AS (INSERT INTO adoption_mapdelta "
                f"(sign, {SPAN_COLUMNS}) SELECT %s, {SPAN_COLUMNS} FROM sp RETURNING id) {BUMP_SQL}, "
                "(SELECT MAX(id) FROM d)",
                [*span_params, sign, token, now])
            row = cursor.fetchone()
        version_bumped(token, now, row[0] if row else None)
        _fold_if_due(row[1] if row else None)
        return
    # SQLite (`make demo`): one writer at a time, so the open span's delta can be read separately.
    delta = _DELTA_OF_OPEN.format(column="adoption_id", marks="%s")
    with connection.cursor() as cursor:
        if sign < 0:  # the delta of the span about to close
            cursor.execute(delta, [sign, adoption_id])
        cursor.execute(span_sql, span_params)
        if sign > 0:
            cursor.execute(delta, [sign, adoption_id])
        last = cursor.lastrowid
    data_version_bump()
    _fold_if_due(last)


def _fold_if_due(last: int | None, first: int | None = None) -> None:
    """Queue a fold once this transaction commits when its deltas (ids first..last) reached a multiple of
    FOLD_EVERY. (Ids a rolled-back transaction used are skipped: the periodic fold catches up.)"""
    if last and (last // FOLD_EVERY) != ((first or last) - 1) // FOLD_EVERY:
        send_on_commit(FOLD_MAP_DELTAS, ())


def record_published(adoption: Adoption) -> None:
    """Count a record that has just become published (call inside the publishing transaction)."""
    _log(_SPAN_OPEN, [adoption.pk, timezone.now(), *record_span(adoption)], 1, adoption.pk)


def record_unpublished(adoption: Adoption) -> None:
    """Stop counting a record that was published, as its open span shows it (same transaction)."""
    _log(_SPAN_CLOSE, [timezone.now(), adoption.pk], -1, adoption.pk)


@contextlib.contextmanager
def record_changing(adoption: Adoption):
    """Wrap an approved change to a published record (inside its transaction, around the save): when
    what the maps show of it changed, its span is closed and reopened, with a delta for each.

    Usage: ``with record_changing(record): apply the change; record.save()``.
    """
    before = record_span(adoption)
    yield
    if record_span(adoption) != before:
        spans_reopen("adoption_id", [adoption.pk], deltas=True)
        data_version_bump()


def spans_reopen(column: str, values: list, *, deltas: bool) -> None:
    """Close the open spans whose `column` (adoption_id or adopter_id) is in `values` and open new ones
    from the published records among them, as they now stand; with `deltas`, log -1 for each span
    closed and +1 for each opened (a change), else leave the counts alone (a repaired span). The caller
    holds the records' row locks, so no approval or retraction of theirs runs meanwhile."""
    record_column = {"adoption_id": "a.id", "adopter_id": "a.adopter_id"}[column]
    now = timezone.now()
    with connection.cursor() as cursor:
        for start in range(0, len(values), 500):
            chunk = values[start:start + 500]
            marks = ", ".join(["%s"] * len(chunk))
            close = (f"UPDATE adoption_publicationspan SET published_until = %s "
                     f"WHERE published_until IS NULL AND {column} IN ({marks})", [now, *chunk])
            open_ = (f"INSERT INTO adoption_publicationspan (adoption_id, published_from, {SPAN_COLUMNS}) "
                     f"SELECT a.id, %s, {SPAN_SELECT} FROM adoption_adoption a JOIN adoption_organization o "
                     f"ON o.id = a.adopter_id WHERE a.status = %s AND {record_column} IN ({marks})",
                     [now, Status.PUBLISHED.value, *chunk])
            if not deltas:
                cursor.execute(*close)
                cursor.execute(*open_)
            elif connection.vendor == "postgresql":
                # Each delta from the very row its statement closed or opened (RETURNING): one snapshot.
                for sign, (sql, params) in ((-1, close), (1, open_)):
                    cursor.execute(f"WITH c AS ({sql} RETURNING {SPAN_COLUMNS}), d AS (INSERT INTO adoption_mapdelta "
                                   f"(sign, {SPAN_COLUMNS}) SELECT %s, {SPAN_COLUMNS} FROM c RETURNING id) "
                                   "SELECT MIN(id), MAX(id) FROM d", [*params, sign])
                    first, last = cursor.fetchone()
                    _fold_if_due(last, first)
            else:  # SQLite: one writer at a time
                delta = _DELTA_OF_OPEN.format(column=column, marks=marks)
                cursor.execute(delta, [-1, *chunk])
                cursor.execute(*close)
                cursor.execute(*open_)
                cursor.execute(delta, [1, *chunk])


def _place(organization_id: int) -> tuple:
    return Organization.objects.values_list("country_id", "city", "kind").get(pk=organization_id)


@contextlib.contextmanager
def adopter_changing(organization: Organization):
    """Wrap a change to an organization's country, city or kind so its published records move with it
    (their spans reopen, with a delta for each: the fold moves the presence rows' place too).

    Usage: ``with adopter_changing(org): organization_update(...)`` inside a transaction.
    """
    with transaction.atomic():
        # Its records' row locks first, as an approval takes them (record, then adopter): an approval
        # or retraction under way commits before, and its span is then moved with the others.
        list(Adoption.objects.select_for_update().filter(adopter_id=organization.pk).order_by("pk")
             .values_list("pk", flat=True))
        before = _place(organization.pk)
        yield
        if _place(organization.pk) != before:
            spans_reopen("adopter_id", [organization.pk], deltas=True)
            data_version_bump()


@contextlib.contextmanager
def family_changing(family):
    """Wrap a change to a family's origin country: the maps join the family at read time, but the
    presence rows of its adopters hold the origin (PresenceGrain.ORIGIN_COUNTRY), so they move; the data
    version moves too. Deltas name no origin (it is joined when they are read or folded), so they are
    folded first, and no record is published until this commits (else its delta would be moved twice).

    Usage: ``with family_changing(family): family_update(...)`` inside a transaction.
    """
    with transaction.atomic():
        # The family's row first (the update takes it anyway): a transaction inserting a record of this
        # family holds a key share on it and may be waiting to log its delta.
        list(ModelFamily.objects.select_for_update().filter(pk=family.pk).values_list("pk", flat=True))
        lock_writers(MapDelta._meta.db_table, mode="SHARE ROW EXCLUSIVE")
        fold()
        before = ModelFamily.objects.values_list("origin_country_id", flat=True).get(pk=family.pk) or ""
        yield
        after = ModelFamily.objects.values_list("origin_country_id", flat=True).get(pk=family.pk) or ""
        if after != before:
            with connection.cursor() as cursor:
                cursor.execute("SELECT adopter_id, MAX(country), MAX(city), MAX(adopter_kind), COUNT(*) "
                               "FROM adoption_publicationspan WHERE published_until IS NULL AND family_id = %s "
                               "GROUP BY 1 ORDER BY 1", [family.pk])
                rows = [(int(PresenceGrain.ORIGIN_COUNTRY), adopter, 0, origin, country, city, kind, sign * count)
                        for adopter, country, city, kind, count in cursor.fetchall()
                        for origin, sign in ((before, -1), (after, 1))]
                for start in range(0, len(rows), 500):
                    chunk = rows[start:start + 500]
                    marks = ", ".join(["(" + ", ".join(["%s"] * len(chunk[0])) + ")"] * len(chunk))
                    cursor.execute(PRESENCE_UPSERT.format(rows=f"VALUES {marks}"),
                                   [value for row in chunk for value in row])
        data_version_bump()
