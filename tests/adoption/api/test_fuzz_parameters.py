"""Hostile parameter values never make the API or a list page answer 5xx.

Hypothesis draws values for every query parameter of every API operation in the OpenAPI schema (and of the
pages that share the FilterSets and the map parameters) and for every path parameter, from the characters
that broke us before: control characters and NUL, digits `int()` refuses although `isdigit()` accepts them
('³'), other scripts' digits, separators, far-future dates and odd offsets. Every answer under /api/ must
be a status the schema documents for that operation, with a JSON body when it is an error; every page
answers 200 or 400.
"""

import datetime
import os
from functools import cache
from urllib.parse import quote

import pytest
import yaml
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adoption.choices import Status
from adoption.filtersets import AdoptionFilterSet, ModelFamilyFilterSet, OrganizationFilterSet, SubmissionFilterSet
from tests.factories import (
    AdoptionFactory,
    CheckpointFactory,
    CountryFactory,
    EvidenceFactory,
    ModelFamilyFactory,
    OrganizationFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

SAMPLES = [
    "³", "²³", "1³", "¹²", "١٢", "٣", "１２", "Ⅻ", "𝟗", "߁", "\x00", "a\x00", "\n", "1\n", "\r\n", "\t", "\x1f", "\x7f",
    " ", "%", "%00", "\u2028", "\ufeff", "\u200b", "9" * 25, "-1", "0", "00", "1.5", "1e3", "+1", "true", "null", ",",
    ",,", "a,b", "-", "9999", "9999-12", "9999-12-31", "0000", "0001-01-01", "2025-02-30",
    "8144-07-24T02:03:57.320+22:00", "2025-01-01T00:00:00-23:59", "2025-01-01T00:00:00+14:00", "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00+01:00", "Qwen/Qwen3-32B", "../", "é", "İ", "ß", "ǅ",
]
CATEGORIES = ("Cc", "Nd", "No", "Nl", "Zs", "Zl", "Zp", "Pd", "Po", "Sm", "Lo", "Lu", "Ll", "Lt", "Mn")
tricky = st.one_of(
    st.sampled_from(SAMPLES),
    st.text(st.characters(categories=CATEGORIES), min_size=1, max_size=6),
    st.builds(lambda a, b: a + b, st.sampled_from(["1", "sg", "qwen", "2025", "001"]), st.sampled_from(SAMPLES)),
)
FUZZ = settings(max_examples=int(os.environ.get("FUZZ_PARAMETER_EXAMPLES", "150")), deadline=None,
                database=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
MAP_PARAMETERS = ("group_by", "split", "unit", "format", "as_of", "family", "origin_country", "relation", "stage",
                  "adopter_kind", "sector", "language", "region", "country", "since", "until")
PAGES = {
    "/adoptions/": (*AdoptionFilterSet.base_filters, "page"),
    "/organizations/": (*OrganizationFilterSet.base_filters, "page"),
    "/families/": (*ModelFamilyFilterSet.base_filters, "page"),
    "/moderation/": (*SubmissionFilterSet.base_filters, "page"),
    "/map/": MAP_PARAMETERS,
    "/map/map.svg": MAP_PARAMETERS,
}
METHODS = ("get", "post", "put", "patch", "delete")


@cache
def api_schema() -> dict:
    return yaml.safe_load(Client().get("/api/schema/").content)


def operations() -> list[tuple[str, str, dict]]:
    return [(path, method, operation) for path, item in api_schema()["paths"].items()
            for method, operation in item.items() if method in METHODS]


def query_operations():
    found = []
    for path, method, operation in operations():
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        if method == "get" and "{" not in path and names:
            found.append((path, names))
    return found


@pytest.fixture
def registry(no_throttles, contributor, curator):
    """A little of everything, so filters meet rows: published and pending records, a derived checkpoint."""
    adopter = OrganizationFactory(slug="aisg", country=CountryFactory())
    family = ModelFamilyFactory(slug="qwen")
    base = CheckpointFactory(family=family, repo_id="Qwen/Qwen3-32B")
    checkpoint = CheckpointFactory(family=family, repo_id="org/derived", derived_from=base)
    for status in (Status.PUBLISHED, Status.SUBMITTED):
        EvidenceFactory(adoption=AdoptionFactory(
            adopter=adopter, family=family, checkpoint=checkpoint, status=status, created_by=contributor,
            sectors=["health"], languages=["en", "ms"], started_on=datetime.date(2024, 5, 1),
        ))


def _client(role, request):
    api_client_for = request.getfixturevalue("api_client_for")
    if role == "anonymous":
        return api_client_for()
    client = api_client_for(request.getfixturevalue(role))
    client.force_login(request.getfixturevalue(role))  # the pages read the session
    return client


def documented(operation: dict, status: int) -> bool:
    return str(status) in operation["responses"] or "default" in operation["responses"]


def check_api_answer(response, operation: dict, label: str):
    assert response.status_code < 500, label
    assert documented(operation, response.status_code), (label, response.status_code, response.content[:200])
    if response.status_code >= 400:
        assert response["Content-Type"].startswith("application/json"), (label, response["Content-Type"])
        assert "detail" in response.json() or response.status_code == 400, label


@pytest.mark.parametrize("role", ["anonymous", "curator"])
@FUZZ
@given(data=st.data())
def test_any_query_value_on_any_list_is_a_documented_answer(role, request, registry, data):
    path, names = data.draw(st.sampled_from(query_operations()), label="operation")
    chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True), label="parameters")
    query = {name: data.draw(tricky, label=name) for name in chosen}
    response = _client(role, request).get(path, query)
    operation = api_schema()["paths"][path]["get"]
    check_api_answer(response, operation, f"GET {path}?{query!r}")


@pytest.mark.parametrize("role", ["anonymous", "curator"])
@FUZZ
@given(data=st.data())
def test_any_path_value_on_any_operation_is_a_documented_json_answer(role, request, registry, data):
    path, method, operation = data.draw(st.sampled_from([o for o in operations() if "{" in o[0]]), label="operation")
    value = data.draw(tricky, label="value")
    url = path.replace(path[path.index("{"):path.index("}") + 1], quote(value, safe=""))
    response = _client(role, request).generic(method.upper(), url, "{}", content_type="application/json")
    check_api_answer(response, operation, f"{method.upper()} {url}")


@pytest.mark.parametrize("role", ["anonymous", "curator"])
@FUZZ
@given(data=st.data())
def test_any_filter_value_on_a_list_page_is_200_or_400(role, request, registry, data):
    path = data.draw(st.sampled_from(sorted(PAGES)), label="page")
    chosen = data.draw(st.lists(st.sampled_from(PAGES[path]), min_size=1, max_size=3, unique=True), label="names")
    query = {name: data.draw(tricky, label=name) for name in chosen}
    response = _client(role, request).get(path, query)
    expected = (302,) if path == "/moderation/" and role == "anonymous" else (200, 400)  # to the log-in page
    assert response.status_code in expected, (path, query, response.status_code)
