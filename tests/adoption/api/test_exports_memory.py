"""The exports stream in constant memory: exporting ten times the records does not take more memory.

PostgreSQL only (the server-side cursor is what keeps the rows out of the process)."""

import datetime
import tracemalloc

import pytest
from django.db import connection

from adoption.choices import DatePrecision, Status
from adoption.models import Adoption, Evidence
from tests.factories import CountryFactory, ModelFamilyFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def add_records(count: int) -> None:
    """`count` published records with one source each: a thousand written in bulk, copied in SQL (factories or
    model instances would take minutes)."""
    adopter = OrganizationFactory(country=CountryFactory())
    family = ModelFamilyFactory(slug="qwen")
    published_at = datetime.datetime(2025, 12, 1, tzinfo=datetime.UTC)
    Adoption.objects.bulk_create(
        Adoption(adopter=adopter, family=family, relation="fine_tune", stage="production",
                 product_name=f"Product {n}", summary="A record written in bulk for the memory test.",
                 started_on=datetime.date(2020 + n % 5, 1 + n % 12, 1), started_precision=DatePrecision.MONTH,
                 sectors=["health"], languages=["en", "sw"], status=Status.PUBLISHED, published_at=published_at)
        for n in range(1000)
    )
    copy(Adoption, count // 1000 - 1)
    add_sources()
    assert Adoption.objects.published().count() == count


def add_sources() -> None:
    """One source for each record without one, its URL naming the record."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Evidence._meta.db_table} (adoption_id, url, kind, title, publisher, quote, "  # noqa: S608
            "link_status, created_at) SELECT id, 'https://example.org/source/' || id, 'model_card', 'Model card', "
            f"'', '', 'unchecked', now() FROM {Adoption._meta.db_table} AS adoption WHERE NOT EXISTS "
            f"(SELECT 1 FROM {Evidence._meta.db_table} AS evidence WHERE evidence.adoption_id = adoption.id)"
        )


def copy(model, times: int) -> None:
    """Each row of `model`'s table written `times` more times (new ids)."""
    columns = ", ".join(field.column for field in model._meta.concrete_fields if not field.primary_key)
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table}, "  # noqa: S608
                       "generate_series(1, %s)", [times])


def export_peak(client, url: str) -> tuple[int, int, int]:
    """(lines, bytes, peak bytes allocated while answering and reading the whole export)."""
    tracemalloc.start()
    try:
        response = client.get(url)
        assert response.status_code == 200
        lines = size = 0
        for chunk in response.streaming_content:
            lines += chunk.count(b"\n")
            size += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return lines, size, peak


def test_an_export_of_100k_records_takes_the_memory_of_one_of_10k(anon):
    url = "/api/v1/adoptions/?format=csv"
    add_records(10_000)
    lines, small_size, small_peak = export_peak(anon, url)
    assert lines == 10_000 + 1  # and the header

    copy(Adoption, 9)
    add_sources()
    lines, size, peak = export_peak(anon, url)
    assert lines == 100_000 + 1
    # A list built whole holds every record: ten times the memory for ten times the records, and more than
    # the output's size. Streamed, the peak is about one chunk's whatever the count.
    assert size > 9 * small_size
    assert peak < 1.5 * small_peak, (peak, small_peak)
    assert peak < size / 3, (peak, size)
