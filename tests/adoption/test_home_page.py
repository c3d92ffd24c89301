"""The first page lists published adoptions with totals by origin country, and nothing unpublished."""

import csv
import io
import re

import pytest

from adoption.choices import Status
from tests.factories import AdoptionFactory, CountryFactory, ModelFamilyFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def test_home_lists_published_and_hides_unpublished(client):
    china = CountryFactory(iso2="CN", iso3="CHN", numeric="156", name="China")
    qwen = ModelFamilyFactory(slug="qwen", name="Qwen", developer=OrganizationFactory(country=china),
                              origin_country=china)
    AdoptionFactory(family=qwen, adopter=OrganizationFactory(name="AI Singapore"), product_name="Qwen-SEA-LION-v4",
                    published=True)
    AdoptionFactory(family=qwen, status=Status.SUBMITTED, product_name="Secret draft model")
    AdoptionFactory(family=qwen, retracted=True, product_name="Retracted model")

    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "AI Singapore" in body and "Qwen-SEA-LION-v4" in body
    assert "Secret draft model" not in body
    assert "Retracted model" not in body
    assert "China" in body


def test_home_escapes_user_text(client):
    AdoptionFactory(product_name="<script>alert(1)</script>", published=True)
    body = client.get("/").content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def _number(pattern: str, body: str) -> int:
    match = re.search(pattern, body)
    assert match, pattern
    return int(match.group(1))


@pytest.mark.parametrize("split", ["origin_country", "family", "relation", "none"])
def test_the_home_page_the_map_and_the_api_count_the_same_adopters(client, split):
    """Issue 11: an adopter on US and CN models is one adopter on the home page, on /map/ (its total, its
    table, its SVG), in the API and in the CSV's shares, however the map is split."""
    china = CountryFactory(iso2="CN", iso3="CHN", numeric="156", name="China")
    usa = CountryFactory(iso2="US", iso3="USA", numeric="840", name="United States")
    singapore = CountryFactory()
    qwen = ModelFamilyFactory(slug="qwen", origin_country=china, developer=OrganizationFactory(country=china))
    llama = ModelFamilyFactory(slug="llama", origin_country=usa, developer=OrganizationFactory(country=usa))
    aisg = OrganizationFactory(name="AI Singapore", country=singapore, city="Singapore")
    govtech = OrganizationFactory(name="GovTech", country=singapore, city="Singapore")
    for adopter, family, relation in ((aisg, llama, "fine_tune"), (aisg, qwen, "deployment"), (aisg, qwen, "fine_tune"),
                                      (govtech, qwen, "fine_tune")):
        AdoptionFactory(adopter=adopter, family=family, relation=relation, published=True)

    home = client.get("/").content.decode()
    adopters = _number(r"<strong>(\d+)</strong> adopters?</li>", home)
    assert adopters == 2
    query = {"unit": "adopters", "split": split}
    api = client.get("/api/v1/maps/adoption/", query).json()
    assert api["total"] == adopters and [(g["key"], g["total"]) for g in api["groups"]] == [("SG", 2)]
    assert all(count <= api["total"] for count in api["split_totals"].values())
    page = client.get("/map/", query).content.decode()
    assert _number(r"<strong>(\d+)</strong> adopters?\b", page) == adopters
    assert _number(r'<th scope="row"><a href="/countries/SG/">Singapore</a></th>\s*<td class="num">(\d+)</td>',
                   page) == adopters
    assert re.search(r"<title>Singapore: 2 adopters\b", page)
    svg = client.get("/map/map.svg", query).content.decode()
    assert f"{adopters} adopters in 1 country." in svg and re.search(r"<title>Singapore: 2 adopters\b", svg)
    geojson = client.get("/api/v1/maps/adoption/", {**query, "format": "geojson"}).json()
    assert geojson["total"] == adopters and geojson["features"][0]["properties"]["total"] == adopters
    rows = list(csv.DictReader(io.StringIO(client.get("/api/v1/maps/adoption/", {**query, "format": "csv"})
                                           .content.decode())))
    group = api["groups"][0]
    assert {row["split_key"]: (int(row["count"]), float(row["share"])) for row in rows} == {
        key: (count, round(count / adopters, 4)) for key, count in group["counts"].items()}
