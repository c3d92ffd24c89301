"""Bulk proposals through the API: a dry run reports every row's errors and duplicates, a clean file lands as
submissions in the curators' queue, a file that is not UTF-8 CSV or JSON Lines is a clear 400."""

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from adoption.choices import Status
from adoption.models import Adoption, ImportBatch, Organization
from adoption.services.imports import CSV_COLUMNS
from tests.factories import AdoptionFactory, CountryFactory, EvidenceFactory, ModelFamilyFactory, OrganizationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

URL = "/api/v1/imports/"


@pytest.fixture
def catalogue():
    kenya = CountryFactory(iso2="KE", iso3="KEN", numeric="404", name="Kenya")
    return {"qwen": ModelFamilyFactory(slug="qwen", name="Qwen"), "llama": ModelFamilyFactory(slug="llama"),
            "kenya": kenya, "aisg": OrganizationFactory(name="AI Singapore", slug="aisg", is_published=True)}


def _row(n: int, **cells) -> dict:
    return {"new_adopter_name": f"Clinic Network {n}", "new_adopter_kind": "company", "new_adopter_country": "KE",
            "new_adopter_city": "Nairobi", "family": "qwen", "relation": "fine_tune", "stage": "pilot",
            "product_name": f"Assistant {n}", "started_on": "2025-06", "sectors": "health, education",
            "languages": "sw", "evidence_url": f"https://example.org/news/{n}", "evidence_kind": "press", **cells}


def _csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _upload(client, content: bytes, name: str = "proposals.csv", **data):
    return client.post(URL, {"file": SimpleUploadedFile(name, content), **data}, format="multipart")


def test_a_500_row_file_is_reported_row_by_row_then_lands_in_the_queue(catalogue, contributor, curator,
                                                                        api_client_for):
    rows = [_row(n) for n in range(500)]
    rows[9].update(family="no-such-family")
    rows[99].update(relation="borrowing")
    rows[199].update(evidence_url="")  # a submission needs a source
    rows[299].update(new_adopter_country="XX")
    rows[399].update(started_on="2099-01")
    client = api_client_for(contributor)

    report = _upload(client, _csv(rows))

    assert report.status_code == 201, report.content
    body = report.json()
    assert body["dry_run"] is True and body["rows"] == 500 and body["valid"] == 495 and body["created"] == []
    by_row = {(error["row"], error["field"]) for error in body["errors"]}
    # Rows are the file's lines: the header is line 1, so the 10th record is line 11.
    assert {(11, "family"), (101, "relation"), (201, "evidence_url"), (301, "new_adopter_country")} <= by_row
    assert {row for row, _field in by_row} == {11, 101, 201, 301, 401}
    assert all(error["message"] for error in body["errors"])
    assert Adoption.objects.count() == 0 and not Organization.objects.filter(name__startswith="Clinic").exists()

    for index, fix in ((9, {"family": "qwen"}), (99, {"relation": "fine_tune"}),
                       (199, {"evidence_url": "https://example.org/news/199"}), (299, {"new_adopter_country": "KE"}),
                       (399, {"started_on": "2024-01"})):
        rows[index].update(fix)
    done = _upload(client, _csv(rows), dry_run="false")  # checked again as it is imported

    assert done.status_code == 201
    assert done.json()["errors"] == [] and done.json()["dry_run"] is False and len(done.json()["created"]) == 500
    records = Adoption.objects.filter(pk__in=done.json()["created"])
    assert records.filter(status=Status.SUBMITTED, created_by=contributor).count() == 500
    assert records.first().evidence.count() == 1 and records.first().sectors == ["health", "education"]
    queue = api_client_for(curator).get("/api/v1/submissions/", {"status": "submitted", "page_size": 1000}).json()
    assert queue["count"] == 500
    batch = ImportBatch.objects.get(pk=done.json()["id"])
    assert records.filter(import_batch=batch).count() == 500


def test_an_import_with_an_invalid_row_creates_nothing(catalogue, contributor, api_client_for):
    answer = _upload(api_client_for(contributor), _csv([_row(1), _row(2, relation="")]), dry_run="false")
    assert answer.status_code == 201
    assert answer.json()["created"] == [] and answer.json()["errors"][0]["row"] == 3
    assert Adoption.objects.count() == 0


def test_duplicates_within_the_file_and_against_the_registry(catalogue, contributor, api_client_for):
    known = AdoptionFactory(adopter=catalogue["aisg"], family=catalogue["qwen"], published=True)
    EvidenceFactory(adoption=known, url="https://example.org/sea-lion")
    rows = [
        {"adopter": "aisg", "family": "qwen", "relation": "fine_tune", "evidence_url": "https://example.org/a"},
        _row(1), _row(1, product_name="Assistant 1", evidence_url="https://example.org/news/1"),
    ]
    report = _upload(api_client_for(contributor), _csv(rows)).json()
    duplicates = {item["row"]: item for item in report["duplicates"]}
    assert duplicates[2]["ids"] == [known.pk]  # same adopter and family as a published record
    assert duplicates[3]["rows"] == [4] and duplicates[4]["rows"] == [3]  # the same proposal twice
    # Both rows proposed the same new adopter: it is one organization, shared (DESIGN §2).
    assert report["errors"] == []


def test_json_lines_take_the_submission_body(catalogue, contributor, api_client_for):
    lines = [
        {"new_adopter": {"name": "Sahel Lab", "country": "KE"}, "family": "llama", "relation": "deployment",
         "evidence": [{"url": "https://example.org/sahel", "kind": "press"},
                      {"url": "https://example.org/sahel-2", "kind": "other"}]},
        {"adopter": "aisg", "family": "qwen", "relation": "fine_tune", "evidence": [{"url": "ftp://x"}]},
    ]
    content = ("\n".join(json.dumps(line) for line in lines) + "\nnot json\n[1, 2]\n").encode()
    report = _upload(api_client_for(contributor), content, name="rows.jsonl").json()
    assert report["rows"] == 4 and report["valid"] == 1
    assert [(error["row"], error["field"]) for error in report["errors"]] == [
        (2, "evidence_url"), (3, ""), (4, "")]
    assert "Not valid JSON" in report["errors"][1]["message"]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("rows.csv", "adopter,family\r\naisg,qwen\r\n".encode("utf-16"), "not UTF-8"),
    ("rows.xlsx", b"PK\x03\x04binary", "not a CSV"),
    ("rows.csv", b"adopter,colour\r\naisg,blue\r\n", "Unknown column: colour"),
    ("rows.csv", b"   \n", "empty"),
    ("rows.csv", b"adopter,family,relation\r\n", "no rows"),
])
def test_a_file_that_cannot_be_read_is_a_clear_400(catalogue, contributor, api_client_for, name, content, message):
    answer = _upload(api_client_for(contributor), content, name=name)
    assert answer.status_code == 400
    assert message in answer.json()["file"][0]
    assert not ImportBatch.objects.exists()


def test_limits_on_size_and_rows(catalogue, contributor, api_client_for, settings):
    settings.IMPORT_MAX_ROWS = 3
    answer = _upload(api_client_for(contributor), _csv([_row(n) for n in range(4)]))
    assert answer.status_code == 400 and "at most 3" in answer.json()["file"][0]
    settings.IMPORT_MAX_BYTES = 100
    answer = _upload(api_client_for(contributor), _csv([_row(1)]))
    assert answer.status_code == 400 and "at most 100 are accepted" in answer.json()["file"][0]


def test_reports_are_their_uploaders(catalogue, contributor, other_contributor, curator, api_client_for):
    report = _upload(api_client_for(contributor), _csv([_row(1)])).json()
    assert api_client_for(contributor).get(f"{URL}{report['id']}/").json()["valid"] == 1
    assert api_client_for(other_contributor).get(f"{URL}{report['id']}/").status_code == 404
    assert api_client_for(curator).get(f"{URL}{report['id']}/").status_code == 200
    assert [item["id"] for item in api_client_for(contributor).get(URL).json()["results"]] == [report["id"]]
    assert api_client_for(other_contributor).get(URL).json()["count"] == 0
    assert api_client_for().post(URL, {}, format="multipart").status_code == 401


def test_a_misspelt_field_is_refused(catalogue, contributor, api_client_for):
    answer = _upload(api_client_for(contributor), _csv([_row(1)]), dryrun="false")
    assert answer.status_code == 400 and answer.json()["dryrun"] == ["Unknown field."]


@pytest.mark.parametrize(("content", "name", "expected"), [
    # A cell longer than the csv module reads is a clear 400, not a 500.
    (b"adopter,summary\r\naisg," + b"x" * 140_000 + b"\r\n", "big.csv", "cannot be read as CSV"),
])
def test_a_cell_too_long_to_read_is_a_400(catalogue, contributor, api_client_for, content, name, expected):
    answer = _upload(api_client_for(contributor), content, name=name)
    assert answer.status_code == 400 and expected in answer.json()["file"][0]


def test_json_lines_are_lines_at_newlines_only_and_deep_nesting_is_a_row_error(catalogue, contributor,
                                                                                api_client_for):
    good = json.dumps({"adopter": "aisg", "family": "qwen", "relation": "fine_tune", "summary": "a\u2028b\x0bc",
                       "evidence": [{"url": "https://example.org/x", "kind": "press"}]}, ensure_ascii=False)
    content = (good + "\n" + "[" * 100_000 + "\n").encode()
    report = _upload(api_client_for(contributor), content, name="rows.jsonl").json()
    assert report["rows"] == 2 and report["valid"] == 1
    assert report["errors"] == [{"row": 2, "field": "", "message": "Not valid JSON here: nested too deeply."}]


def test_dry_runs_are_deleted_after_their_days_and_imports_kept(catalogue, contributor, api_client_for, settings):
    from datetime import timedelta

    from django.utils import timezone

    from adoption.tasks import forget_old_dry_runs

    client = api_client_for(contributor)
    old_check = _upload(client, _csv([_row(1)])).json()
    old_import = _upload(client, _csv([_row(2)]), dry_run="false").json()
    new_check = _upload(client, _csv([_row(3)])).json()
    ImportBatch.objects.filter(pk__in=[old_check["id"], old_import["id"]]).update(
        created_at=timezone.now() - timedelta(days=settings.IMPORT_DRY_RUN_DAYS + 1))

    assert forget_old_dry_runs() == 1  # the nightly beat task
    assert client.get(f"{URL}{old_check['id']}/").status_code == 404
    assert {item["id"] for item in client.get(URL).json()["results"]} == {old_import["id"], new_check["id"]}
    assert Adoption.objects.filter(import_batch_id=old_import["id"]).count() == 1  # its proposal stays
