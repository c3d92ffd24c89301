"""One parameter grammar on every endpoint that filters published adoptions (DESIGN §4): the list API, the
submissions API, the map and time series APIs, the adoptions page, the map page, its SVG and the curators'
queue answer the same query with the same records, and refuse the same mistakes naming what is allowed."""

import datetime
import re

import pytest

from adoption.choices import DatePrecision, Relation
from tests.factories import AdoptionFactory, CountryFactory, ModelFamilyFactory, OrganizationFactory, RegionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

PRODUCTS = ("sea-lion", "sg-llama", "ke-llama", "ke-mistral")


def _json_count(response) -> int:
    return response.json()["count"]


def _map_total(response) -> int:
    return response.json()["total"]


def _series_total(response) -> int:
    body = response.json()
    return sum(sum(period["counts"].values()) for period in body["series"]) + body["undated"]


def _page_products(response) -> int:
    return sum(name in response.content.decode() for name in PRODUCTS)


def _map_caption(response) -> int:
    found = re.search(r"(\d+) adoptions? in \d+ ", response.content.decode())
    return int(found[1]) if found else 0


# name, path, who, how many records the answer counts (None: the endpoint lists other records)
ENDPOINTS = [
    ("api-adoptions", "/api/v1/adoptions/", None, _json_count),
    ("api-submissions", "/api/v1/submissions/", "curator", _json_count),
    ("api-map", "/api/v1/maps/adoption/", None, _map_total),
    ("api-timeseries", "/api/v1/maps/timeseries/", None, _series_total),
    ("page-adoptions", "/adoptions/", None, _page_products),
    ("page-map", "/map/", None, _map_caption),
    ("page-map-svg", "/map/map.svg", None, _map_caption),
    ("page-moderation", "/moderation/", "curator", None),  # the queue shows records waiting, not these
]

# A query and the products it keeps.
MATCHES = [
    ({}, PRODUCTS),
    ({"family": "QWEN,llama"}, ("sea-lion", "sg-llama", "ke-llama")),
    ({"family": ["qwen", "mistral"]}, ("sea-lion", "ke-mistral")),  # the parameter repeated
    ({"region": "35"}, ("sea-lion", "sg-llama")),  # leading zeros optional
    ({"region": "035,002"}, PRODUCTS),
    ({"region": "142"}, ("sea-lion", "sg-llama")),  # any M49 level
    ({"region": "1"}, PRODUCTS),
    ({"country": "ke"}, ("ke-llama", "ke-mistral")),
    ({"origin_country": "us,fr"}, ("sg-llama", "ke-llama", "ke-mistral")),
    ({"relation": "FINE_TUNE"}, ("sea-lion", "ke-llama")),
    ({"relation": "fine_tune,deployment", "country": "SG"}, ("sea-lion", "sg-llama")),
    ({"since": "2025", "until": "2025"}, ("sea-lion", "ke-llama")),  # until: the last day of 2025
    ({"until": "2024-06"}, ("sg-llama", "ke-mistral")),
    ({"sector": "health,education"}, ("sea-lion", "ke-mistral")),
    ({"language": "SW"}, ("ke-llama",)),
]

# A query, the parameter the error names, and a text the message must hold.
MISTAKES = [
    ({"famly": "qwen"}, "famly", "family"),
    ({"family": "gpt-9"}, "family", "/api/v1/families/"),
    ({"relation": "bogus"}, "relation", "fine_tune"),
    ({"region": "999"}, "region", "M49"),
    ({"country": "XX"}, "country", "ISO 3166-1"),
    ({"since": "2025-13"}, "since", "2025-13"),
    ({"since": "2025", "until": "2024"}, "until", "before its start"),
    ({"stage": "production,nonsense"}, "stage", "pilot"),
]


@pytest.fixture
def registry(db, curator):
    asia = RegionFactory(code="142", name="Asia", level="region")
    africa = RegionFactory(code="002", name="Africa", level="region")
    singapore = CountryFactory()
    kenya = CountryFactory(
        iso2="KE", iso3="KEN", numeric="404", name="Kenya", region=africa,
        subregion=RegionFactory(code="202", name="Sub-Saharan Africa", level="subregion", parent=africa),
    )
    assert singapore.region == asia
    china = CountryFactory(iso2="CN", iso3="CHN", numeric="156", name="China")
    usa = CountryFactory(iso2="US", iso3="USA", numeric="840", name="United States", region=None, subregion=None)
    france = CountryFactory(iso2="FR", iso3="FRA", numeric="250", name="France", region=None, subregion=None)
    families = {slug: ModelFamilyFactory(slug=slug, developer__country=origin, origin_country=origin)
                for slug, origin in (("qwen", china), ("llama", usa), ("mistral", france))}
    aisg = OrganizationFactory(name="AI Singapore", country=singapore)
    nairobi = OrganizationFactory(name="Nairobi Labs", country=kenya)
    for product, adopter, family, relation, started, sectors, languages in (
        ("sea-lion", aisg, "qwen", Relation.FINE_TUNE, datetime.date(2025, 3, 1), ["health"], ["ms"]),
        ("sg-llama", aisg, "llama", Relation.DEPLOYMENT, datetime.date(2024, 6, 1), ["finance"], ["en"]),
        ("ke-llama", nairobi, "llama", Relation.FINE_TUNE, datetime.date(2025, 12, 1), [], ["sw"]),
        ("ke-mistral", nairobi, "mistral", Relation.DEPLOYMENT, datetime.date(2023, 1, 1), ["education"], []),
    ):
        AdoptionFactory(
            product_name=product, adopter=adopter, family=families[family], relation=relation, started_on=started,
            started_precision=DatePrecision.MONTH, sectors=sectors, languages=languages, published=True,
        )
    return curator


@pytest.fixture
def client_as(signed_in, api_client_for, registry):
    """`client_as(who)`: anonymous, or signed in as the registry's curator (whose queue is an endpoint too)."""
    return lambda who: signed_in(registry) if who == "curator" else api_client_for()


@pytest.mark.parametrize(("name", "path", "who", "count"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
@pytest.mark.parametrize(("query", "kept"), MATCHES, ids=[str(m[0]) for m in MATCHES])
def test_a_query_means_the_same_records_everywhere(client_as, name, path, who, count, query, kept):
    response = client_as(who).get(path, query)
    assert response.status_code == 200, response.content[:500]
    if count is not None:
        assert count(response) == len(kept)
    if name == "page-adoptions":
        shown = {product for product in PRODUCTS if product in response.content.decode()}
        assert shown == set(kept)


@pytest.mark.parametrize(("name", "path", "who", "count"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
@pytest.mark.parametrize(("query", "parameter", "text"), MISTAKES, ids=[str(m[0]) for m in MISTAKES])
def test_a_mistake_is_the_same_400_everywhere(client_as, name, path, who, count, query, parameter, text):
    response = client_as(who).get(path, query)
    assert response.status_code == 400
    body = response.content.decode()
    if name.startswith("api-"):
        assert parameter in response.json()
        assert text in " ".join(response.json()[parameter])
    else:
        assert parameter in body
        assert text in body


@pytest.mark.parametrize("path", ["/api/v1/adoptions/", "/api/v1/maps/adoption/", "/adoptions/", "/map/"])
def test_an_unknown_parameter_names_the_allowed_ones(registry, api_client_for, path):
    response = api_client_for().get(path, {"famly": "qwen"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Unknown parameter" in body
    for allowed in ("family", "region", "since", "until", "origin_country"):
        assert allowed in body


@pytest.mark.parametrize(("path", "parameter"), [
    ("/api/v1/adoptions/", "since"), ("/api/v1/submissions/", "since"), ("/api/v1/maps/adoption/", "since"),
    ("/api/v1/maps/timeseries/", "since"), ("/api/v1/ecosystem/shares/", "snapshot"),
])
def test_an_api_parameter_repeated_with_a_blank_value_is_refused(registry, api_client_for, path, parameter):
    # A one-value parameter reads its last value: a blank one there would answer as if there were no filter.
    client = api_client_for(registry) if "submissions" in path else api_client_for()
    response = client.get(f"{path}?{parameter}=2024-01-01&{parameter}=")
    assert response.status_code == 400
    assert response.json()[parameter] == ["Give a value or leave the parameter out."]
