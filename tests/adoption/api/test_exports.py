"""The list exports: `?format=csv|ndjson` on /api/v1/adoptions/ and /api/v1/evidence/, read back with Python's
csv and json and checked against the paginated JSON list; the download links on the /adoptions/ page."""

import csv
import datetime
import io
import json

import pytest
import yaml

from adoption.choices import DatePrecision, Status
from tests.factories import (
    AdoptionFactory,
    CheckpointFactory,
    CountryFactory,
    EvidenceFactory,
    ModelFamilyFactory,
    OrganizationFactory,
    RegionFactory,
)

pytestmark = [pytest.mark.django_db]
URL = "/api/v1/adoptions/"
EVIDENCE_URL = "/api/v1/evidence/"
FORMULA = "=HYPERLINK(\"http://evil.example\",\"click\")"


def published(**kwargs):
    return AdoptionFactory(status=Status.PUBLISHED, published_at=datetime.datetime(2025, 12, 1, tzinfo=datetime.UTC),
                           **kwargs)


@pytest.fixture
def world():
    """Published records at each start-date precision (and one undated), in Singapore and Kenya, on a US and a
    CN family; a draft and a retracted record with sources that no export may show."""
    RegionFactory(code="001", name="World", level="world")
    africa = RegionFactory(code="002", name="Africa", level="region")
    eastern = RegionFactory(code="014", name="Eastern Africa", level="subregion", parent=africa)
    singapore = CountryFactory()
    kenya = CountryFactory(iso2="KE", iso3="KEN", numeric="404", name="Kenya", region=africa, subregion=eastern)
    us = CountryFactory(iso2="US", iso3="USA", numeric="840", name="United States",
                        region=RegionFactory(code="019", name="Americas", level="region"), subregion=None)
    china = CountryFactory(iso2="CN", iso3="CHN", numeric="156", name="China")
    aisg = OrganizationFactory(name="AI Singapore", slug="aisg", kind="public_programme", country=singapore)
    jacaranda = OrganizationFactory(name="Jacaranda Health", slug="jacaranda", kind="ngo", country=kenya,
                                    city="Nairobi")
    partner = OrganizationFactory(name="Partner, Ltd", slug="partner-ltd", country=singapore)
    gemma = ModelFamilyFactory(slug="gemma", name="Gemma", origin_country=us, developer=OrganizationFactory(country=us))
    qwen = ModelFamilyFactory(slug="qwen", name="Qwen", origin_country=china,
                              developer=OrganizationFactory(country=china))
    records = {
        "day": published(
            adopter=aisg, family=gemma, product_name="Gemma-SEA-LION-v4", relation="continued_pretraining",
            started_on=datetime.date(2025, 8, 25), started_precision=DatePrecision.DAY,
            sectors=["public_sector", "health care"], languages=["id", "ms"], summary="Line one,\nline \"two\"",
        ),
        "month": published(
            adopter=aisg, family=qwen, checkpoint=CheckpointFactory(family=qwen, repo_id="Qwen/Qwen3-32B"),
            product_name=FORMULA, relation="fine_tune", stage="pilot",
            started_on=datetime.date(2025, 11, 1), started_precision=DatePrecision.MONTH, languages=["ms"],
        ),
        "year": published(
            adopter=jacaranda, family=gemma, product_name="UlizaLlama", relation="adapter",
            started_on=datetime.date(2024, 1, 1), started_precision=DatePrecision.YEAR, sectors=["health"],
        ),
        "undated": published(adopter=jacaranda, family=qwen, product_name="-5 dB", started_on=None,
                             started_precision=""),
        "draft": AdoptionFactory(adopter=aisg, family=qwen, status=Status.DRAFT, product_name="Draft"),
        "retracted": AdoptionFactory(adopter=aisg, family=qwen, status=Status.RETRACTED, product_name="Gone"),
    }
    records["day"].partners.add(partner)
    EvidenceFactory(adoption=records["day"], url="https://example.org/sea-lion", title="Model card")
    EvidenceFactory(adoption=records["day"], url="https://example.org/sea-lion-blog", title="@launch post",
                    published_on=datetime.date(2025, 9, 1))
    EvidenceFactory(adoption=records["month"], url="https://example.org/qwen-sea-lion", title=FORMULA)
    EvidenceFactory(adoption=records["year"], url="https://example.org/uliza")
    EvidenceFactory(adoption=records["draft"], url="https://example.org/draft")
    EvidenceFactory(adoption=records["retracted"], url="https://example.org/retracted")
    return records


def json_list(client, url, params) -> list[dict]:
    response = client.get(url, {**params, "page_size": 1000})
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def download(client, url, params, **headers):
    response = client.get(url, params, **headers)
    assert response.status_code == 200, response.content
    assert response.streaming
    return response, b"".join(response.streaming_content).decode()


def csv_rows(client, url, params) -> list[dict]:
    response, text = download(client, url, {**params, "format": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(text)))


def ndjson_items(client, url, params) -> list[dict]:
    response, text = download(client, url, {**params, "format": "ndjson"})
    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def as_cell(value) -> str:
    """What a CSV cell holds for a JSON value: text as given, a formula defused with a leading quote."""
    if value is None:
        return ""
    text = str(value)
    return f"'{text}" if text[:1] in "=+-@" and text else text


# The nested objects of a JSON item that may be null, with their fields (empty cells then).
NULLABLE_OBJECTS = {"checkpoint": ("id", "repo_id", "name"), "country": ("iso2", "name"),
                    "origin_country": ("iso2", "name")}


def expected_row(item: dict) -> dict:
    """The CSV row a JSON item should give, spelled out here independently of the export code."""
    row = {}

    def flatten(value, prefix):
        for key, sub in value.items():
            name = f"{prefix}{key}"
            if key in ("partners", "evidence"):
                continue
            if sub is None and key in NULLABLE_OBJECTS:
                sub = dict.fromkeys(NULLABLE_OBJECTS[key])
            if isinstance(sub, dict):
                flatten(sub, f"{name}_")
            elif isinstance(sub, list):
                row[name] = as_cell("; ".join(sub))
            else:
                row[name] = as_cell(sub)

    flatten(item, "")
    row["started_on_precision"] = row.pop("started_precision")
    row["partner_slugs"] = " ".join(partner["slug"] for partner in item["partners"])
    row["partner_names"] = as_cell("; ".join(partner["name"] for partner in item["partners"]))
    row["evidence_urls"] = " ".join(source["url"] for source in item["evidence"])
    return row


FILTERS = [
    {},
    {"family": "QWEN"},
    {"country": "sg", "ordering": "product_name"},
    {"region": "35"},
    {"origin_country": "US", "since": "2024", "ordering": "-started_on"},
    {"sector": "health", "stage": "production,pilot,announced"},
    {"q": "sea-lion"},
    {"family": "gemma", "country": "KE"},
]


@pytest.mark.both_databases
@pytest.mark.parametrize("params", FILTERS)
def test_csv_rows_are_the_json_list_flattened(anon, world, params):
    items = json_list(anon, URL, params)
    rows = csv_rows(anon, URL, params)
    assert [int(row["id"]) for row in rows] == [item["id"] for item in items]
    for item, row in zip(items, rows, strict=True):
        assert row == expected_row(item)


@pytest.mark.both_databases
@pytest.mark.parametrize("params", FILTERS)
def test_ndjson_lines_are_the_json_list_items(anon, world, params):
    assert ndjson_items(anon, URL, params) == json_list(anon, URL, params)


@pytest.mark.both_databases
def test_the_csv_states_each_start_date_with_its_precision(anon, world):
    rows = {row["product_name"]: row for row in csv_rows(anon, URL, {})}
    assert rows["Gemma-SEA-LION-v4"]["started_on"] == "2025-08-25"
    assert rows["Gemma-SEA-LION-v4"]["started_on_precision"] == "day"
    assert rows[f"'{FORMULA}"]["started_on"] == "2025-11"
    assert rows[f"'{FORMULA}"]["started_on_precision"] == "month"
    assert rows["UlizaLlama"]["started_on"] == "2024"
    assert rows["UlizaLlama"]["started_on_precision"] == "year"
    assert rows["'-5 dB"]["started_on"] == rows["'-5 dB"]["started_on_precision"] == ""


@pytest.mark.both_databases
def test_the_csv_lists_joined_and_nested_objects_flattened(anon, world):
    row = next(row for row in csv_rows(anon, URL, {}) if row["product_name"] == "Gemma-SEA-LION-v4")
    assert row["adopter_slug"] == "aisg"
    assert row["adopter_country_iso2"] == "SG"
    assert row["family_origin_country_iso2"] == "US"
    assert row["evidence_urls"] == "https://example.org/sea-lion https://example.org/sea-lion-blog"
    assert row["partner_slugs"] == "partner-ltd"
    assert row["partner_names"] == "Partner, Ltd"
    assert row["sectors"] == "public_sector; health care"
    assert row["summary"] == "Line one,\nline \"two\""


@pytest.mark.both_databases
def test_the_csv_defuses_formulas_and_keeps_codes_as_text(anon, world):
    _, text = download(anon, URL, {"format": "csv"})
    # A cell a spreadsheet would run starts with a quote; the NDJSON keeps the text exact.
    assert '"\'=HYPERLINK(""http://evil.example"",""click"")"' in text
    assert FORMULA in {item["product_name"] for item in ndjson_items(anon, URL, {})}
    # Text is quoted (codes stay text), numbers are not.
    record = world["year"]
    assert f'\n{record.pk},"jacaranda","Jacaranda Health","ngo","KE","Kenya","Nairobi",' in text


@pytest.mark.both_databases
def test_drafts_and_retracted_records_are_not_exported(anon, world):
    exported = {int(row["id"]) for row in csv_rows(anon, URL, {})}
    assert exported == {world[name].pk for name in ("day", "month", "year", "undated")}
    assert {item["id"] for item in ndjson_items(anon, URL, {})} == exported
    assert exported == {item["id"] for item in json_list(anon, URL, {})}
    sources = {row["url"] for row in csv_rows(anon, EVIDENCE_URL, {})}
    assert "https://example.org/draft" not in sources
    assert "https://example.org/retracted" not in sources


@pytest.mark.both_databases
@pytest.mark.parametrize("params", [{}, {"family": "qwen"}, {"country": "SG", "since": "2025-09"}, {"region": "002"}])
def test_the_evidence_export_has_one_row_per_source_of_the_listed_records(anon, world, params):
    items = json_list(anon, URL, params)
    expected = sorted((item["id"], source["url"]) for item in items for source in item["evidence"])
    rows = csv_rows(anon, EVIDENCE_URL, params)
    assert sorted((int(row["adoption_id"]), row["url"]) for row in rows) == expected
    lines = ndjson_items(anon, EVIDENCE_URL, params)
    assert sorted((line["adoption_id"], line["url"]) for line in lines) == expected
    paginated = json_list(anon, EVIDENCE_URL, params)
    assert paginated == lines
    by_url = {source["url"]: source for item in items for source in item["evidence"]}
    for line in lines:
        assert {key: value for key, value in line.items() if key != "adoption_id"} == by_url[line["url"]]
    for row in rows:
        source = by_url[row["url"]]
        assert row["title"] == as_cell(source["title"])
        assert row["published_on"] == (source["published_on"] or "")
        assert row["link_status"] == source["link_status"]


@pytest.mark.both_databases
@pytest.mark.parametrize(("url", "params", "filename"), [
    (URL, {"format": "csv"}, "adoptions.csv"),
    (URL, {"format": "ndjson", "family": "QWEN", "country": "sg"}, "adoptions_family-qwen_country-SG.ndjson"),
    (URL, {"format": "csv", "country": "sg", "family": "qwen,gemma", "ordering": "-id"},
     "adoptions_family-gemma+qwen_country-SG.csv"),
    (URL, {"format": "csv", "q": "A/B \"c\" ../é", "region": "35"}, "adoptions_region-035_q-A-B-c.csv"),
    (EVIDENCE_URL, {"format": "csv", "stage": "pilot"}, "evidence_stage-pilot.csv"),
])
def test_the_file_name_names_the_filters(anon, world, url, params, filename):
    response, _ = download(anon, url, params)
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'


@pytest.mark.both_databases
def test_an_accept_header_asks_for_an_export_too(anon, world):
    response, text = download(anon, URL, {"family": "qwen"}, HTTP_ACCEPT="text/csv")
    assert response["Content-Type"].startswith("text/csv")
    assert len(list(csv.DictReader(io.StringIO(text)))) == 2
    response = anon.get(URL, HTTP_ACCEPT="application/json")
    assert response["Content-Type"] == "application/json" and "results" in response.json()


@pytest.mark.both_databases
@pytest.mark.parametrize("url", [URL, EVIDENCE_URL])
@pytest.mark.parametrize("export", ["csv", "ndjson", "CSV"])
@pytest.mark.parametrize(("params", "field"), [
    ({"family": "nope"}, "family"),
    ({"stage": "sometime"}, "stage"),
    ({"colour": "red"}, "colour"),
    ({"country": ""}, "country"),
    ({"since": "2025-13"}, "since"),
])
def test_a_bad_filter_is_a_json_400_whatever_the_format(anon, world, url, export, params, field):
    response = anon.get(url, {**params, "format": export})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert field in response.json()


@pytest.mark.both_databases
@pytest.mark.parametrize("url", [URL, EVIDENCE_URL])
@pytest.mark.parametrize("export", ["xlsx", ""])
def test_an_unknown_format_is_a_400_naming_the_formats(anon, world, url, export):
    response = anon.get(url, {"format": export})
    assert response.status_code == 400
    assert response.json() == {"format": ["Choose one of: json, api, csv, ndjson."]}


@pytest.mark.both_databases
def test_a_single_record_is_not_offered_as_csv(anon, world):
    response = anon.get(f"{URL}{world['day'].pk}/", {"format": "csv"})
    assert response.status_code == 400
    assert response.json()["format"] == ["Choose one of: json, api."]


@pytest.mark.both_databases
def test_an_empty_export_has_the_header_only(anon, world):
    _, text = download(anon, URL, {"format": "csv", "family": "gemma", "country": "CN"})
    assert next(csv.reader(io.StringIO(text)))[:3] == ["id", "adopter_slug", "adopter_name"]
    assert text.count("\n") == 1
    _, text = download(anon, URL, {"format": "ndjson", "family": "gemma", "country": "CN"})
    assert text == ""


@pytest.mark.both_databases
def test_the_adoptions_page_links_the_exports_of_what_it_shows(client, anon, world):
    response = client.get("/adoptions/", {"family": "qwen", "country": "", "ordering": "-started_on", "page": "1"})
    assert response.status_code == 200
    links = dict(response.context["downloads"])
    assert links["CSV"] == "/api/v1/adoptions/?family=qwen&ordering=-started_on&format=csv"
    assert links["JSON Lines (NDJSON)"] == "/api/v1/adoptions/?family=qwen&ordering=-started_on&format=ndjson"
    assert links["their sources (CSV)"] == "/api/v1/evidence/?family=qwen&format=csv"
    html = response.content.decode()
    assert 'href="/api/v1/adoptions/?family=qwen&amp;ordering=-started_on&amp;format=csv"' in html
    # Each link answers the records the page lists.
    shown = [adoption.pk for adoption in response.context["page"].object_list]
    assert len(shown) == 2
    assert [int(row["id"]) for row in csv.DictReader(io.StringIO(follow(anon, links["CSV"])))] == shown
    assert [json.loads(line)["id"] for line in follow(anon, links["JSON Lines (NDJSON)"]).splitlines()] == shown
    sources = csv.DictReader(io.StringIO(follow(anon, links["their sources (CSV)"])))
    assert [row["url"] for row in sources] == ["https://example.org/qwen-sea-lion"]  # the undated one has none


@pytest.mark.both_databases
def test_the_adoptions_page_links_leave_out_the_empty_fields_of_its_form(client, anon, world):
    response = client.get("/adoptions/", {"q": "", "family": "qwen", "stage": "", "ordering": ""})
    links = dict(response.context["downloads"])
    assert links["CSV"] == "/api/v1/adoptions/?family=qwen&format=csv"
    assert len(list(csv.DictReader(io.StringIO(follow(anon, links["CSV"]))))) == 2


def follow(client, link: str) -> str:
    response = client.get(link)
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


@pytest.mark.both_databases
def test_the_adoptions_page_offers_no_export_of_a_bad_query(client, world):
    response = client.get("/adoptions/", {"family": "nope"})
    assert response.status_code == 400
    assert response.context["downloads"] == []
    assert "format=csv" not in response.content.decode()


def test_the_schema_documents_the_export_formats(anon):
    openapi = yaml.safe_load(anon.get("/api/schema/").content)
    for path in (URL, EVIDENCE_URL):
        operation = openapi["paths"][path]["get"]
        parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
        assert sorted(parameters["format"]["schema"]["enum"]) == ["csv", "json", "ndjson"]
        assert parameters["format"]["description"]
        content = operation["responses"]["200"]["content"]
        assert {"application/json", "text/csv", "application/x-ndjson"} <= set(content)
        assert "Paginated" in content["application/json"]["schema"]["$ref"]
        for code in ("400", "404"):  # errors are JSON whatever the format
            assert set(operation["responses"][code]["content"]) == {"application/json"}
        assert "ordering" not in parameters if path == EVIDENCE_URL else "ordering" in parameters
        assert {"family", "country", "region", "since"} <= set(parameters)


@pytest.mark.parametrize("method", ["trace", "put", "delete"])
def test_a_method_the_list_lacks_is_a_405_whatever_the_format(method):
    from rest_framework.test import APIClient

    response = getattr(APIClient(), method)("/api/v1/adoptions/?format=csv&country=0")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
