"""API test fixtures: token-authenticated clients per role, and rates no test reaches for tests that need them."""

import pytest


@pytest.fixture
def anon(api_client_for):
    return api_client_for()


@pytest.fixture
def as_contributor(api_client_for, contributor):
    return api_client_for(contributor)


@pytest.fixture
def as_other(api_client_for, other_contributor):
    return api_client_for(other_contributor)


@pytest.fixture
def as_curator(api_client_for, curator):
    return api_client_for(curator)


@pytest.fixture
def as_curator2(api_client_for, second_curator):
    return api_client_for(second_curator)


@pytest.fixture
def as_superuser(api_client_for, superuser):
    return api_client_for(superuser)


@pytest.fixture
def no_throttles(settings):
    """Rates no test run reaches, for tests that send many requests on purpose."""
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": dict.fromkeys(rates, "1000000/min")}
