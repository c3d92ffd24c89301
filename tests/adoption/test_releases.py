"""Data releases: `make_release` writes a valid Frictionless data package whose counts equal the API's; a release
is versioned YYYY.MM.N, made again only when the data changed, never rewritten; the API and /data/ list it."""

import csv
import datetime
import hashlib
import io
import json
from pathlib import Path

import frictionless
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from adoption.choices import Status
from adoption.models import Release
from adoption.releases import ReleaseExists, release_make
from tests.factories import (
    AdoptionFactory,
    CountryFactory,
    EvidenceFactory,
    ModelFamilyFactory,
    OrganizationFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]
DAY = datetime.datetime(2026, 12, 3, 9, 0, tzinfo=datetime.UTC)
NAMES = ["adoptions.csv", "evidence.csv", "organizations.csv", "families.csv", "adoptions.parquet",
         "datapackage.json", "CITATION.cff", "SHA256SUMS"]


@pytest.fixture
def storage_dir(settings, tmp_path) -> Path:
    settings.STORAGES = {**settings.STORAGES, "releases": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    return tmp_path


@pytest.fixture
def registry():
    """Published records (one with a partner and two sources, text a spreadsheet would run as a formula),
    a draft and a retracted record that no release may hold, and an unpublished organization."""
    singapore = CountryFactory()
    aisg = OrganizationFactory(name="AI Singapore", slug="aisg", country=singapore, aliases=["AISG"])
    qwen = ModelFamilyFactory(slug="qwen", name="Qwen", first_release=datetime.date(2023, 8, 1),
                              first_release_precision="month")
    first = AdoptionFactory(adopter=aisg, family=qwen, published=True, summary="=1+1 is not a formula here")
    first.partners.add(OrganizationFactory(name="Partner, Ltd", slug="partner"))
    EvidenceFactory(adoption=first, url="https://example.org/second-source")
    AdoptionFactory(family=qwen, published=True, started_on=None, started_precision="")
    EvidenceFactory(adoption=AdoptionFactory(status=Status.DRAFT), url="https://example.org/draft-source")
    AdoptionFactory(retracted=True)
    OrganizationFactory(slug="hidden-proposal", is_published=False)


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_a_release_is_a_valid_data_package_whose_counts_equal_the_api(storage_dir, registry, client):
    release = release_make(now=DAY)
    folder = storage_dir / "2026.12.0"
    assert release.version == "2026.12.0" and release.date == datetime.date(2026, 12, 3)
    assert sorted(path.name for path in folder.iterdir()) == sorted(NAMES)
    assert [file["name"] for file in release.files] == NAMES

    report = frictionless.validate(folder / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])

    adoptions = client.get("/api/v1/adoptions/").json()["count"]
    evidence = client.get("/api/v1/evidence/").json()["count"]
    assert (adoptions, evidence) == (2, 3)
    assert release.records == adoptions == len(_rows(folder / "adoptions.csv"))
    assert len(_rows(folder / "evidence.csv")) == evidence
    assert len(_rows(folder / "organizations.csv")) == client.get("/api/v1/organizations/").json()["count"]
    assert "hidden-proposal" not in {row["slug"] for row in _rows(folder / "organizations.csv")}
    assert len(_rows(folder / "families.csv")) == client.get("/api/v1/families/").json()["count"]


def test_the_tables_have_the_api_exports_columns_and_the_parquet_the_same_rows(storage_dir, registry, client):
    release_make(now=DAY)
    folder = storage_dir / "2026.12.0"
    for name in ("adoptions", "evidence"):
        export = client.get(f"/api/v1/{name}/?format=csv").getvalue().decode()
        # The same bytes: same columns, rows and cell guard (the release orders by id, the export newest first).
        assert sorted(export.splitlines()) == sorted((folder / f"{name}.csv").read_text().splitlines())
    rows = _rows(folder / "adoptions.csv")
    assert {row["summary"] for row in rows} >= {"'=1+1 is not a formula here"}
    table = pq.read_table(folder / "adoptions.parquet")
    assert table.column_names == list(rows[0])
    assert table.num_rows == len(rows)
    assert str(table.schema.field("id").type) == "int64"
    assert str(table.schema.field("created_at").type) == "timestamp[us, tz=UTC]"
    assert table.column("id").to_pylist() == [int(row["id"]) for row in rows]

    package = json.loads((folder / "datapackage.json").read_text())
    for resource in package["resources"]:
        assert all(field["description"] for field in resource["schema"]["fields"])
    families = {row["slug"]: row for row in _rows(folder / "families.csv")}
    assert families["qwen"]["first_release"] == "2023-08"
    organizations = {row["slug"]: row for row in _rows(folder / "organizations.csv")}
    assert organizations["aisg"]["country_iso2"] == "SG" and organizations["aisg"]["aliases"] == "AISG"


def test_sha256sums_and_the_citation_match_the_files(storage_dir, registry):
    release = release_make(now=DAY)
    folder = storage_dir / release.version
    listed = dict(reversed(line.split("  ")) for line in (folder / "SHA256SUMS").read_text().splitlines())
    assert sorted(listed) == sorted(set(NAMES) - {"SHA256SUMS"})
    for file in release.files:
        data = (folder / file["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == file["sha256"] == listed.get(file["name"], file["sha256"])
        assert len(data) == file["bytes"]
    citation = (folder / "CITATION.cff").read_text()
    assert "cff-version: 1.2.0" in citation and 'version: "2026.12.0"' in citation
    assert "date-released: 2026-12-03" in citation


def test_a_second_run_makes_a_new_release_only_when_the_data_changed(storage_dir, registry):
    first = release_make(now=DAY)
    assert release_make(now=DAY + datetime.timedelta(hours=2)) is None
    AdoptionFactory(published=True)
    second = release_make(now=DAY + datetime.timedelta(hours=3))
    assert (first.version, second.version, second.records) == ("2026.12.0", "2026.12.1", first.records + 1)
    AdoptionFactory(published=True)
    next_month = release_make(now=datetime.datetime(2027, 1, 1, tzinfo=datetime.UTC))
    assert next_month.version == "2027.01.0"
    assert list(Release.objects.values_list("version", flat=True)) == ["2027.01.0", "2026.12.1", "2026.12.0"]
    # The earlier release's files are as they were written.
    assert len(_rows(storage_dir / "2026.12.0" / "adoptions.csv")) == first.records


def test_a_version_whose_files_exist_is_never_rewritten(storage_dir, registry):
    (storage_dir / "2026.12.0").mkdir()
    (storage_dir / "2026.12.0" / "adoptions.csv").write_text("left over\n")
    with pytest.raises(ReleaseExists, match="never rewritten"):
        release_make(now=DAY)
    assert (storage_dir / "2026.12.0" / "adoptions.csv").read_text() == "left over\n"
    assert not Release.objects.exists()


def test_the_api_and_the_data_page_list_releases_and_serve_their_files(storage_dir, registry, client):
    old = release_make(now=DAY)
    AdoptionFactory(published=True)
    new = release_make(now=DAY)
    answer = client.get("/api/v1/releases/")
    assert answer.status_code == 200
    listed = answer.json()
    assert [item["version"] for item in listed] == [new.version, old.version]
    assert listed[0]["date"] == "2026-12-03" and listed[0]["records"] == new.records
    file = listed[0]["files"][0]
    assert set(file) == {"name", "url", "sha256", "bytes"} and file["name"] == "adoptions.csv"
    download = client.get(file["url"])
    assert download.status_code == 200
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == file["sha256"]
    assert client.get(f"/data/{new.version}/secrets.txt").status_code == 404
    assert client.get("/data/1999.01.0/adoptions.csv").status_code == 404

    page = client.get("/data/").content.decode()
    assert new.version in page and old.version in page and "sha256sum -c SHA256SUMS" in page
    assert f"data release {new.version}" in page  # how to cite the latest


def test_a_listed_file_lost_from_storage_is_a_404_not_a_500(storage_dir, registry, client):
    release = release_make(now=DAY)
    next(storage_dir.rglob("evidence.csv")).unlink()  # e.g. a database restored without the release files
    assert client.get(f"/data/{release.version}/evidence.csv").status_code == 404
    assert client.get(f"/data/{release.version}/adoptions.csv").status_code == 200


def test_the_data_page_without_releases(client):
    assert "No release yet" in client.get("/data/").content.decode()
    assert client.get("/api/v1/releases/").json() == []


@pytest.mark.django_db(transaction=True)
def test_make_release_command_prints_a_summary_and_says_when_nothing_changed(storage_dir):
    AdoptionFactory(published=True)
    out = io.StringIO()
    call_command("make_release", stdout=out)
    version = Release.objects.get().version
    assert f"Release {version}: 1 records, 8 files" in out.getvalue()
    assert "adoptions: 1 rows" in out.getvalue()
    out = io.StringIO()
    call_command("make_release", stdout=out)
    assert f"no change since {version}" in out.getvalue()
    assert Release.objects.count() == 1


def test_make_release_command_refuses_to_rewrite(storage_dir):
    version = f"{timezone.localdate():%Y.%m}.0"
    (storage_dir / version).mkdir()
    (storage_dir / version / "SHA256SUMS").write_text("")
    with pytest.raises(CommandError, match="never rewritten"):
        call_command("make_release", stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_make_one_release(registry, storage_dir, monkeypatch):
    import threading
    import time

    from django.db import connection

    from adoption import releases

    if connection.vendor != "postgresql":
        pytest.skip("the demo's SQLite runs one process")
    store = releases._store

    def slow_store(*args, **kwargs):  # widens the window in which a second run would collide
        time.sleep(0.5)
        return store(*args, **kwargs)

    monkeypatch.setattr(releases, "_store", slow_store)
    made, failed = [], []

    def run():
        try:
            made.append(release_make(now=DAY))
        except Exception as error:  # noqa: BLE001 (the test reports any)
            failed.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == []
    assert sorted(release is None for release in made) == [False, True]  # the second found nothing new
    assert Release.objects.count() == 1
