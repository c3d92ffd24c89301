"""A tiny, untimed run of the benchmark's code path: fill, rebuild, every measurement, the report."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from tests.benchmarks.bench_maps import Command


@pytest.mark.django_db(transaction=True)
def test_bench_maps_smoke_run():
    if connection.vendor != "postgresql":
        pytest.skip("the benchmark needs PostgreSQL")
    test_database = connection.settings_dict["NAME"]
    out = io.StringIO()
    call_command(Command(), sizes="300,600", repeat=1, budget=1, skip_throughput=True,
                 database=f"bench_smoke_{test_database}"[:60], drop_after=True, stdout=out)
    report = out.getvalue()
    assert connection.settings_dict["NAME"] == test_database  # the run hands the test database back
    for label in ("baseline: plain SQL GROUP BY", "default map", "unit=adopters", "as_of (spans)",
                  "304 revalidation", "approval with summary upkeep"):
        assert f"| 600 | {label} |" in report, label
    assert "Default map growth 300 -> 600" in report
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname LIKE 'bench_smoke_%%'")
        assert cursor.fetchall() == []
