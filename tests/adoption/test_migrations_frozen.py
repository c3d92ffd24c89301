"""Migrations stand alone: each runs the SQL it was written with, not the application's code of the day.

A migration that imported the map code would change what an old migration does whenever the grains
change (and break when that code moves). The data steps of 0004, 0006 and 0008 hold their SQL as
literals; here they are run against records to show they still fill what they filled.
"""

import ast
import datetime
import importlib
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

import adoption.migrations
from adoption.choices import Relation, Stage, Status
from adoption.models import AdopterPresence, MapSummary, PublicationSpan
from tests.factories import AdoptionFactory, ModelFamilyFactory, OrganizationFactory

MIGRATIONS = Path(adoption.migrations.__file__).parent
# What makemigrations itself writes into 0001: the custom constraint classes the models are declared
# with (the model state names them by import path, like any field or constraint class).
FRAMEWORK_IMPORTS = {"adoption.models.constraints"}


def _adoption_imports(path: Path) -> list[str]:
    """Every import of the adoption package in a file (module level or inside a function), and every
    import by name (importlib, __import__), which would get around the check."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__"):
                found.append("<import by name>")
    return [name for name in found
            if name == "<import by name>" or name.startswith(".") or name.split(".")[0] == "adoption"]


def test_no_migration_imports_application_code():
    files = sorted(MIGRATIONS.glob("*.py"))
    assert len(files) > 10
    offending = {
        path.name: names
        for path in files
        if (names := [n for n in _adoption_imports(path) if n not in FRAMEWORK_IMPORTS])
    }
    assert offending == {}


def _migration(name: str):
    return importlib.import_module(f"adoption.migrations.{name}")


def _run(name: str, step: str) -> None:
    """Run a migration's data step over the current database (the tables it writes exist: they are the
    models' tables today)."""
    getattr(_migration(name), step)(apps, SimpleNamespace(connection=connection, execute=_execute))


def _execute(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


@pytest.fixture
def published(db):
    """Two published records and a draft, the migrations' tables emptied (the test fills them). Raw
    published rows, not through the services: the migrations' SQL under test builds the tables from them."""
    adopter = OrganizationFactory()
    family = ModelFamilyFactory()
    AdoptionFactory(adopter=adopter, family=family, status=Status.PUBLISHED, relation=Relation.FINE_TUNE.value,
                    stage=Stage.PRODUCTION.value, started_on=datetime.date(2025, 3, 1), sectors=["health", "health"],
                    languages=["ms"])
    AdoptionFactory(adopter=adopter, family=family, status=Status.PUBLISHED, relation=Relation.FINE_TUNE.value,
                    stage=Stage.PILOT.value, started_on=datetime.date(2024, 7, 1), sectors=["finance"])
    AdoptionFactory(adopter=adopter, family=family, status=Status.DRAFT)
    for model in (MapSummary, AdopterPresence, PublicationSpan):
        model.objects.all().delete()
    return adopter, family


def _cells(grain: int) -> set[tuple]:
    return set(MapSummary.objects.filter(grain=grain).values_list("country", "family_id", "month", "tag", "n"))


def test_0004_fills_the_summary_from_the_published_records(published):
    _adopter, family = published
    _run("0004_map_summary", "create_version_and_fill")
    assert _cells(1) == {("SG", family.id, 0, "", 2)}
    assert _cells(6) == {("SG", family.id, 202503, "", 1), ("SG", family.id, 202407, "", 1)}
    assert _cells(10) == {("SG", family.id, 202500, "", 1), ("SG", family.id, 202400, "", 1)}
    # a sector named twice counts its record once
    assert _cells(7) == {("SG", family.id, 0, "health", 1), ("SG", family.id, 0, "finance", 1)}
    assert _cells(8) == {("SG", family.id, 0, "ms", 1)}
    assert set(MapSummary.objects.values_list("grain", flat=True)) == {1, 2, 3, 4, 5, 6, 7, 8, 10}


def test_0006_opens_a_span_per_published_record_and_refills_the_summary(published):
    adopter, family = published
    _run("0006_publication_spans", "fill_from_history")
    spans = PublicationSpan.objects.filter(published_until__isnull=True)
    assert sorted(spans.values_list("stage", flat=True)) == [Stage.PILOT.value, Stage.PRODUCTION.value]
    assert set(spans.values_list("adopter_id", "country", "family_id")) == {(adopter.id, "SG", family.id)}
    _run("0006_publication_spans", "refill_summary")
    assert _cells(1) == {("SG", family.id, 0, "", 2)}


def test_0008_fills_the_adopter_presence(published):
    adopter, family = published
    _run("0008_adopter_presence", "fill")
    rows = set(AdopterPresence.objects.values_list("grain", "adopter_id", "family_id", "value", "n"))
    assert rows == {
        (1, adopter.id, family.id, "", 2),
        (2, adopter.id, 0, "SG", 2),
        (3, adopter.id, 0, Relation.FINE_TUNE.value, 2),
        (4, adopter.id, 0, Stage.PILOT.value, 1),
        (4, adopter.id, 0, Stage.PRODUCTION.value, 1),
        (5, adopter.id, 0, "", 2),
    }
