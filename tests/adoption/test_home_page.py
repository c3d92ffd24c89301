"""The first page lists published adoptions with totals by origin country, and nothing unpublished."""

import pytest

from adoption.choices import Status
from tests.factories import AdoptionFactory, CountryFactory, ModelFamilyFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def test_home_lists_published_and_hides_unpublished(client):
    china = CountryFactory(iso2="CN", iso3="CHN", numeric="156", name="China")
    qwen = ModelFamilyFactory(slug="qwen", name="Qwen", developer=OrganizationFactory(country=china),
                              origin_country=china)
    AdoptionFactory(family=qwen, adopter=OrganizationFactory(name="AI Singapore"), product_name="Qwen-SEA-LION-v4")
    AdoptionFactory(family=qwen, status=Status.SUBMITTED, product_name="Secret draft model")
    AdoptionFactory(family=qwen, status=Status.RETRACTED, product_name="Retracted model")

    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "AI Singapore" in body and "Qwen-SEA-LION-v4" in body
    assert "Secret draft model" not in body
    assert "Retracted model" not in body
    assert "China" in body


def test_home_escapes_user_text(client):
    AdoptionFactory(product_name="<script>alert(1)</script>")
    body = client.get("/").content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
