"""GET /api/v1/ecosystem/...: the figures of imported snapshots, strict parameters, and clear answers before
the first import (on SQLite too, where the import itself is refused)."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from .snapshot import MODELS, jsonl, registry
from .test_import import run

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_snapshots(tmp_path):
    registry()
    run(jsonl(tmp_path / "august.jsonl"), date="2025-08-31")
    run(jsonl(tmp_path / "july.jsonl", malformed=[]), date="2025-07-31")


def test_the_snapshots_newest_first(two_snapshots, api_client_for):
    assert api_client_for().get("/api/v1/ecosystem/snapshots/").json() == [
        {"date": "2025-08-31", "models": 14, "edges": 14, "malformed": 6},
        {"date": "2025-07-31", "models": 14, "edges": 14, "malformed": 0},
    ]


def test_families_default_to_the_latest_snapshot(two_snapshots, api_client_for):
    client = api_client_for()
    families = client.get("/api/v1/ecosystem/families/").json()
    assert [(f["family"], f["derivatives"]["direct"], f["derivatives"]["all"]) for f in families] == [
        ("qwen", 4, 7), ("llama", 1, 2), ("mistral", 1, 1)]
    assert client.get("/api/v1/ecosystem/families/?snapshot=2025-07-31").json() == families


def test_shares_by_attribution_and_measure(two_snapshots, api_client_for):
    answer = api_client_for().get("/api/v1/ecosystem/shares/?attribution=uploader&measure=models").json()
    assert answer == {"snapshot": "2025-08-31", "attribution": "uploader", "measure": "models", "total": 14,
                      "shares": {"CN": round(2 / 14, 4), "SG": round(1 / 14, 4)}, "unknown": round(11 / 14, 4)}
    default = api_client_for().get("/api/v1/ecosystem/shares/").json()
    assert (default["attribution"], default["measure"], default["total"]) == ("base_origin", "downloads", 1726)


def test_new_derivatives_by_month_and_by_quarter(two_snapshots, api_client_for):
    client = api_client_for()
    months = client.get("/api/v1/ecosystem/new-derivatives/?interval=month").json()
    assert [(p["period"], p["total"]) for p in months["periods"]] == [
        ("2024-09", 1), ("2025-01", 4), ("2025-02", 3), ("2025-03", 3)]
    quarters = client.get("/api/v1/ecosystem/new-derivatives/?interval=quarter&snapshot=2025-08-31").json()
    assert quarters["periods"][1] == {"period": "2025-Q1", "total": 10,
                                      "families": {"qwen": 6, "llama": 2, "mistral": 1},
                                      "shares": {"qwen": 0.6, "llama": 0.2, "mistral": 0.1}}
    assert quarters["undated"] == 1


def test_the_change_between_two_snapshots(two_snapshots, api_client_for, tmp_path):
    # June held models 1 to 6 only: no merges, no Mistral.
    run(jsonl(tmp_path / "june.jsonl", models=MODELS[:6], malformed=[]), date="2025-06-30")
    client = api_client_for()
    families = client.get("/api/v1/ecosystem/families/?compare=2025-06-30").json()
    assert [(f["family"], f["change"]) for f in families] == [
        ("qwen", {"direct": 4 - 2, "all": 7 - 3, "downloads": 1693 - 1650}),
        ("llama", {"direct": 0, "all": 2 - 1, "downloads": 50 - 20}),
        ("mistral", {"direct": 1, "all": 1, "downloads": 5}),
    ]
    shares = client.get("/api/v1/ecosystem/shares/?measure=models&compare=2025-06-30").json()
    assert shares["compare"] == "2025-06-30"
    assert shares["change"] == {
        "total": 14 - 6,
        "shares": {"CN": round(round(7 / 14, 4) - round(5 / 6, 4), 4),
                   "US": round(round(1 / 14, 4) - round(1 / 6, 4), 4)},
        "unknown": round(6 / 14, 4)}
    assert client.get("/api/v1/ecosystem/shares/?compare=2020-01-01").status_code == 404


@pytest.mark.parametrize(("query", "parameter", "words"), [
    ("?attribution=country", "attribution", "base_origin, uploader"),
    ("?measure=", "measure", "Give a value"),
    ("?snapshot=31/08/2025", "snapshot", "YYYY-MM-DD"),
    ("?snapshot=2025-02-30", "snapshot", "YYYY-MM-DD"),
    ("?measures=models", "measures", "snapshot, compare, attribution, measure"),
    ("?compare=last-week", "compare", "YYYY-MM-DD"),
])
def test_bad_parameters_are_a_400_naming_what_is_allowed(two_snapshots, api_client_for, query, parameter, words):
    response = api_client_for().get(f"/api/v1/ecosystem/shares/{query}")
    assert response.status_code == 400
    assert words in response.json()[parameter][0]


def test_the_parameters_follow_the_one_grammar(two_snapshots, api_client_for):
    # As on the maps and lists: values in any case, DRF's ?format= (JSON or the browsable API), a cache-buster.
    client = api_client_for()
    response = client.get("/api/v1/ecosystem/shares/?attribution=Uploader&measure=MODELS&format=json&_=17")
    assert response.status_code == 200
    assert (response.json()["attribution"], response.json()["measure"]) == ("uploader", "models")
    assert client.get("/api/v1/ecosystem/snapshots/?format=json").status_code == 200
    response = client.get("/api/v1/ecosystem/families/?format=csv")
    assert response.status_code == 400 and response.json() == {"format": ["Choose one of: json, api."]}
    response = client.get("/api/v1/ecosystem/new-derivatives/?interval=Year&snapshot=2025-07-31")
    assert response.status_code == 200 and response.json()["interval"] == "year"


def test_a_date_without_a_snapshot_is_a_404_saying_where_the_dates_are(two_snapshots, api_client_for):
    response = api_client_for().get("/api/v1/ecosystem/families/?snapshot=2025-06-30")
    assert response.status_code == 404
    assert "/api/v1/ecosystem/snapshots/" in response.json()["detail"]


@pytest.mark.both_databases
def test_before_any_import_the_snapshots_are_empty_and_the_figures_a_404(api_client_for):
    client = api_client_for()
    assert client.get("/api/v1/ecosystem/snapshots/").json() == []
    for path in ("families", "shares", "new-derivatives"):
        response = client.get(f"/api/v1/ecosystem/{path}/")
        assert response.status_code == 404
        assert "No Hub snapshot has been imported yet" in response.json()["detail"]


@pytest.mark.both_databases
def test_the_import_needs_postgresql(tmp_path):
    if connection.vendor == "postgresql":
        pytest.skip("the refusal is SQLite's")
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("import_hub_snapshot", str(jsonl(tmp_path / "models.jsonl")), "--date", "2025-08-31")


def test_the_family_page_shows_its_derivatives_on_the_hub(two_snapshots, client):
    page = client.get("/families/qwen/").content.decode()
    # The date and counts in the reader's locale (English here).
    assert "In the Hub snapshot of Aug. 31, 2025, 7 models descend from" in page
    assert "(4 of them directly)" in page and "downloaded 1,693 times" in page
    assert '<td>Merges</td><td class="num">3</td>' in page


@pytest.mark.both_databases
def test_before_any_import_the_family_page_has_no_hub_section(client):
    from tests.factories import ModelFamilyFactory

    ModelFamilyFactory(slug="qwen")
    page = client.get("/families/qwen/")
    assert page.status_code == 200 and "On the Hugging Face Hub" not in page.content.decode()


def test_a_figure_is_one_query(two_snapshots, api_client_for, django_assert_num_queries):
    client = api_client_for()
    for path in ("families/", "families/?snapshot=2025-07-31", "shares/?measure=models", "new-derivatives/"):
        with django_assert_num_queries(1):
            assert client.get(f"/api/v1/ecosystem/{path}").status_code == 200


@pytest.mark.both_databases
def test_stored_figures_are_served_on_either_database(api_client_for):
    # The figures are read with one SQL statement (no ORM): its dates and JSON come back as text on SQLite.
    from adoption.models import HubFigure, HubSnapshot

    for date, share in (("2025-07-31", 0.4), ("2025-08-31", 0.5)):
        snapshot = HubSnapshot.objects.create(date=date, models=2, edges=1, malformed=0)
        HubFigure.objects.create(snapshot=snapshot, kind="shares:base_origin:downloads", payload={
            "attribution": "base_origin", "measure": "downloads", "total": 10, "shares": {"CN": share},
            "unknown": round(1 - share, 4)})
    client = api_client_for()
    latest = client.get("/api/v1/ecosystem/shares/").json()
    assert latest == {"snapshot": "2025-08-31", "attribution": "base_origin", "measure": "downloads", "total": 10,
                      "shares": {"CN": 0.5}, "unknown": 0.5}
    compared = client.get("/api/v1/ecosystem/shares/?snapshot=2025-07-31&compare=2025-08-31").json()
    assert (compared["snapshot"], compared["compare"]) == ("2025-07-31", "2025-08-31")
    assert compared["change"] == {"total": 0, "shares": {"CN": -0.1}, "unknown": 0.1}
