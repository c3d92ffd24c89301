"""API test fixtures: token-authenticated clients per role, and a clean throttle state per test."""

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Throttle counters live in the cache: start each test from zero so tests do not throttle each other."""
    cache.clear()
    yield
    cache.clear()


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def anon(db):
    return client_for()


@pytest.fixture
def as_contributor(contributor):
    return client_for(contributor)


@pytest.fixture
def as_other(other_contributor):
    return client_for(other_contributor)


@pytest.fixture
def as_curator(curator):
    return client_for(curator)


@pytest.fixture
def as_curator2(second_curator):
    return client_for(second_curator)


@pytest.fixture
def as_superuser(superuser):
    return client_for(superuser)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Users are made for every matrix cell; a cheap hasher keeps that fast (tokens are what the API checks)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def no_throttles(settings):
    """Rates no test run reaches, for tests that send many requests on purpose."""
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": dict.fromkeys(rates, "1000000/min")}
