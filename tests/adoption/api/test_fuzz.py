"""Hostile input never makes the API answer 5xx: NUL bytes, lone surrogates, huge or deeply nested
bodies, wrong types, unknown fields, garbage query strings; plus a Hypothesis property over any JSON."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adoption.models import Adoption
from tests.factories import AdoptionFactory, CheckpointFactory, ModelFamilyFactory, OrganizationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]
SUBMISSIONS = "/api/v1/submissions/"


@pytest.fixture(autouse=True)
def _unthrottled(no_throttles):
    """Hypothesis sends more bodies than the submissions scope allows in an hour."""


@pytest.fixture
def catalogue():
    OrganizationFactory(slug="aisg", name="AI Singapore")
    CheckpointFactory(family=ModelFamilyFactory(slug="qwen"), repo_id="Qwen/Qwen3-32B")


def post_raw(client, url, raw: bytes | str, content_type="application/json"):
    return client.generic("POST", url, raw, content_type=content_type)


VALID = {"adopter": "aisg", "family": "qwen", "relation": "fine_tune"}


@pytest.mark.parametrize("payload", [
    {**VALID, "product_name": "A\x00B"},
    {**VALID, "summary": "\ud800 lone surrogate"},
    {**VALID, "evidence": [{"url": "https://x.org/\x00", "kind": "press"}]},
    {**VALID, "sectors": ["health\x00"]},
    {**VALID, "\x00": 1},
    {**VALID, "adopter": "ai\x00sg"},
    {**VALID, "checkpoint": "Qwen/\x00"},
])
def test_unstorable_strings_are_400(as_contributor, catalogue, payload):
    raw = json.dumps(payload)  # escapes \x00 and the surrogate as \u0000 / \ud800, as a client would
    response = post_raw(as_contributor, SUBMISSIONS, raw)
    assert response.status_code == 400
    assert not Adoption.objects.exists()


@pytest.mark.parametrize("payload", [
    [VALID],
    "a string",
    42,
    None,
    {**VALID, "adopter": 12},
    {**VALID, "adopter": ["aisg"]},
    {**VALID, "adopter": {"slug": ["aisg"]}},
    {**VALID, "checkpoint": 10**40},
    {**VALID, "checkpoint": 3.5},
    {**VALID, "checkpoint": True},
    {**VALID, "evidence": [["https://x.org"]]},
    {**VALID, "evidence": {"url": "https://x.org"}},
    {**VALID, "evidence": [{"url": "https://x.org", "published_on": "99999-01-01"}]},
    {**VALID, "evidence": [{"url": "https://x.org", "extra": True}]},
    {**VALID, "evidence": [{"url": "https://x.org"}] * 50},
    {**VALID, "sectors": [{"a": 1}]},
    {**VALID, "languages": "en"},
    {**VALID, "started_on": ["2025"]},
    {**VALID, "started_on": "0000"},
    {**VALID, "ended_on": "2025-02-30"},
    {**VALID, "new_adopter": "Someone"},
    {**VALID, "new_adopter": {"name": "X", "country": {"iso2": None}}},
    {**VALID, "submit": "maybe"},
    {**VALID, "summary": {"nested": {"deeper": [1, 2, 3]}}},
    {**VALID, "unknown": "field"},
])
def test_wrong_types_and_unknown_fields_are_400(as_contributor, catalogue, payload):
    response = as_contributor.post(SUBMISSIONS, payload, format="json")
    assert response.status_code == 400, response.content[:300]
    assert isinstance(response.json(), dict)


@pytest.mark.parametrize("raw", [
    "{" * 100_000,
    "[" * 100_000 + "]" * 100_000,
    '{"a":' * 50_000 + "1" + "}" * 50_000,
    '{"adopter": NaN}',
    '{"adopter": Infinity}',
    "{'single': 'quotes'}",
    '{"adopter": "aisg",}',
    "\xff\xfe",
])
def test_malformed_and_deeply_nested_json_is_400(as_contributor, raw):
    assert post_raw(as_contributor, SUBMISSIONS, raw).status_code == 400


def test_huge_body_is_refused(as_contributor, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = post_raw(as_contributor, SUBMISSIONS, json.dumps({**VALID, "summary": "x" * 20_000}))
    assert response.status_code == 413


def test_non_utf8_and_other_content_types(as_contributor):
    assert post_raw(as_contributor, SUBMISSIONS, b"\xff\xfe{}").status_code == 400
    assert post_raw(as_contributor, SUBMISSIONS, "a=b", "application/x-www-form-urlencoded").status_code == 415
    assert post_raw(as_contributor, SUBMISSIONS, "<xml/>", "application/xml").status_code == 415


@pytest.mark.parametrize("query", [
    "q=%00", "q=" + "x" * 5000, "country=%00", "family=%00", "adopter=%ff%fe", "checkpoint=99999999999999999999999",
    "page=0", "page=-1", "page=abc", "page=99999999999999999999", "page_size=-5", "page_size=abc",
    "since=2025-02-30", "until=%00", "ordering=-", "ordering=,,,", "region=%00%00%00", "language=%00",
    "sector=" + "%00" * 3,
])
def test_garbage_query_strings_are_4xx(anon, query):
    AdoptionFactory(published=True)
    response = anon.get(f"/api/v1/adoptions/?{query}")
    assert response.status_code in (200, 400, 404), (query, response.status_code)


@pytest.mark.parametrize("path", [
    "/api/v1/adoptions/99999999999999999999999/", "/api/v1/checkpoints/99999999999999999999999/",
    "/api/v1/submissions/99999999999999999999999/submit/", "/api/v1/organizations/%00/",
    "/api/v1/countries/%C3%A9%C3%A9/",
])
def test_garbage_paths_are_404(as_contributor, path):
    response = as_contributor.generic("POST" if path.endswith("submit/") else "GET", path, "{}",
                                      content_type="application/json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_bad_if_match_headers(as_contributor, catalogue):
    pk = as_contributor.post(SUBMISSIONS, VALID, format="json").json()["id"]
    for header in ("abc", '"-1"', '"' + "9" * 30 + '"', "\x00"):
        response = as_contributor.patch(f"{SUBMISSIONS}{pk}/", {"summary": "x"}, format="json", HTTP_IF_MATCH=header)
        assert response.status_code == 400, header


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20,
)
FIELDS = (
    "adopter", "new_adopter", "family", "checkpoint", "relation", "stage", "product_name", "started_on", "ended_on",
    "sectors", "languages", "summary", "evidence", "submit", "status", "version",
)
submission_like = st.fixed_dictionaries({}, optional=dict.fromkeys(FIELDS, json_values))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.one_of(submission_like, json_values))
def test_any_json_body_gets_a_4xx_or_a_created_record_never_a_5xx(as_contributor, catalogue, payload):
    create = as_contributor.post(SUBMISSIONS, payload, format="json")
    assert create.status_code in (201, 400), create.content[:300]
    target = Adoption.objects.filter(created_by__username="carla").order_by("pk").first()
    if target is not None:
        edit = as_contributor.patch(f"{SUBMISSIONS}{target.pk}/", payload, format="json")
        assert edit.status_code in (200, 400, 409, 412), edit.content[:300]
        change = as_contributor.post(f"/api/v1/adoptions/{target.pk}/change-requests/", payload, format="json")
        assert change.status_code in (201, 400, 404, 409), change.content[:300]
