"""Errors a newcomer can act on: each says what was wrong and where the valid values are."""

import pytest

from adoption.choices import Relation, Stage
from tests.factories import CountryFactory, ModelFamilyFactory, OrganizationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

SUBMISSIONS = "/api/v1/submissions/"


@pytest.fixture
def catalogue(db):
    country = CountryFactory(iso2="SG", name="Singapore")
    return {"family": ModelFamilyFactory(slug="qwen"), "adopter": OrganizationFactory(slug="ai-sg", country=country)}


def _submission(**fields):
    body = {"adopter": "ai-sg", "family": "qwen", "relation": "fine_tune"}
    body.update(fields)
    return body


def test_a_wrong_choice_lists_the_valid_values(as_contributor, catalogue):
    response = as_contributor.post(SUBMISSIONS, _submission(relation="finetuning", stage="live"), format="json")
    assert response.status_code == 400
    relation, stage = response.json()["relation"][0], response.json()["stage"][0]
    assert "finetuning" in relation
    assert all(value in relation for value in Relation.values)
    assert all(value in stage for value in Stage.values)


@pytest.mark.parametrize(("field", "value", "where"), [
    ("family", "qwen9", "/api/v1/families/"),
    ("adopter", "nobody", "/api/v1/organizations/"),
])
def test_an_unknown_reference_says_where_the_valid_ones_are(as_contributor, catalogue, field, value, where):
    response = as_contributor.post(SUBMISSIONS, _submission(**{field: value}), format="json")
    assert response.status_code == 400
    message = response.json()[field][0]
    assert value in message and where in message


def test_an_unknown_country_points_to_iso_codes(as_contributor, catalogue):
    body = _submission(adopter=None, new_adopter={"name": "Lab", "country": "XY"})
    del body["adopter"]
    response = as_contributor.post(SUBMISSIONS, body, format="json")
    assert response.status_code == 400
    message = response.json()["new_adopter"]["country"][0]
    assert "XY" in message and "ISO 3166-1 alpha-2" in message and "/api/v1/countries/" in message


def test_a_bearer_header_gets_a_401_that_says_to_use_token(db):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer abc123")
    response = client.post(SUBMISSIONS, {}, format="json")
    assert response.status_code == 401
    assert "Token" in response.json()["detail"] and "Bearer" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Token")
    # Reads stay open to anonymous clients whatever the header says: no 401 for a GET of public data.
    assert client.get("/api/v1/families/").status_code == 401


def test_an_address_without_a_scheme_gets_one_message(as_curator, catalogue):
    response = as_curator.patch("/api/v1/organizations/ai-sg/", {"website": "example.org"}, format="json")
    assert response.status_code == 400
    assert response.json()["website"] == ["Give an http:// or https:// address, e.g. https://example.org."]


def test_an_evidence_address_without_a_scheme_gets_one_message(as_contributor, catalogue):
    response = as_contributor.post(SUBMISSIONS, _submission(evidence=[{"url": "example.org/post"}]), format="json")
    assert response.status_code == 400
    assert response.json()["evidence"] == {"0": {"url": ["Enter a full web address starting with http:// or https://."]}}
