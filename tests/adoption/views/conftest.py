"""Fixtures of the page tests: a small catalogue and a published record on the map."""

import pytest

from tests.factories import AdoptionFactory, CheckpointFactory, CountryFactory, ModelFamilyFactory, OrganizationFactory


@pytest.fixture
def china(db):
    return CountryFactory(iso2="CN", iso3="CHN", numeric="156", name="China")


@pytest.fixture
def usa(db):
    return CountryFactory(iso2="US", iso3="USA", numeric="840", name="United States")


@pytest.fixture
def singapore(db):
    return CountryFactory()


@pytest.fixture
def qwen(china):
    return ModelFamilyFactory(slug="qwen", name="Qwen", developer=OrganizationFactory(name="Alibaba", country=china),
                              origin_country=china)


@pytest.fixture
def llama(usa):
    return ModelFamilyFactory(slug="llama", name="Llama", developer=OrganizationFactory(name="Meta", country=usa),
                              origin_country=usa)


@pytest.fixture
def qwen3(qwen):
    return CheckpointFactory(family=qwen, repo_id="Qwen/Qwen3-32B")


@pytest.fixture
def aisg(singapore):
    return OrganizationFactory(name="AI Singapore", slug="ai-singapore", country=singapore, city="Singapore")


@pytest.fixture
def published(aisg, qwen):
    return AdoptionFactory(adopter=aisg, family=qwen, product_name="Qwen-SEA-LION-v4", published=True)
