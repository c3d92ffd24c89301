"""Failed logins lock an account and an address out on every login path (django-axes), for a while only;
forged X-Forwarded-For headers do not escape any limit; password-reset emails are capped."""

import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

pytestmark = pytest.mark.django_db

PASSWORD = "the-right-passphrase-42"
LIMIT = 3


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT


@pytest.fixture
def member(db):
    return get_user_model().objects.create_user("member", "member@example.org", PASSWORD, is_staff=True,
                                                is_superuser=True)


def _page_login(client, password, username="member", **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def _admin_login(client, password, username="member", **extra):
    return client.post("/admin/login/", {"username": username, "password": password}, **extra)


def _token(client, password, username="member", **extra):
    return client.post("/api/v1/auth/token/", {"username": username, "password": password},
                       content_type="application/json", **extra)


PATHS = {"page": _page_login, "admin": _admin_login, "token": _token}


@pytest.mark.parametrize("path", PATHS)
def test_wrong_passwords_lock_the_account_even_for_the_right_one(client, member, path):
    attempt = PATHS[path]
    for n in range(LIMIT - 1):
        assert attempt(client, f"wrong-{n}").status_code in (200, 400)
    locked = attempt(client, "wrong-last")
    assert locked.status_code == 429
    response = attempt(client, PASSWORD)
    assert response.status_code == 429 and "Retry-After" in response
    text = response.content.decode()
    assert "Too many failed log-ins" in text and "try again in 15 minutes" in text
    if path == "token":
        assert "token" not in response.json()
    else:
        assert "_auth_user_id" not in client.session


def test_the_lock_out_covers_every_path(client, member):
    for n in range(LIMIT):
        _page_login(client, f"wrong-{n}")
    assert _token(client, PASSWORD).status_code == 429
    assert _admin_login(client, PASSWORD).status_code == 429


@pytest.mark.parametrize("path", ["page", "token"])
def test_a_rotating_forwarded_header_does_not_escape_the_limit(client, member, path):
    attempt = PATHS[path]
    for n in range(LIMIT):
        attempt(client, f"wrong-{n}", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    response = attempt(client, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert response.status_code == 429


def test_one_address_is_locked_out_across_accounts(client, member):
    # Guessing many accounts' passwords from one address: the address is locked, for every account.
    for n in range(LIMIT):
        _token(client, "guess", username=f"someone{n}", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert _token(client, PASSWORD).status_code == 429
    # Another client (address) is not locked out of an account it never failed on.
    assert _token(client, PASSWORD, REMOTE_ADDR="192.0.2.9").status_code == 200


def test_with_a_trusted_proxy_its_forwarded_address_counts(client, member, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for n in range(LIMIT):
        _token(client, "guess", username=f"someone{n}", HTTP_X_FORWARDED_FOR="203.0.113.5")
    # Same proxy (REMOTE_ADDR), another client behind it: not locked; the guessing client is.
    assert _token(client, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 200
    assert _token(client, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    # A client prepending its own entry is still the address our proxy saw.
    assert _token(client, PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.5").status_code == 429


def test_the_lock_out_expires(client, member, settings):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=2)
    for n in range(LIMIT):
        _page_login(client, f"wrong-{n}")
    assert _page_login(client, PASSWORD).status_code == 429
    time.sleep(2.5)
    response = _page_login(client, PASSWORD)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(member.pk)


@pytest.mark.parametrize("path", ["page", "token"])
def test_a_success_before_the_limit_starts_the_count_again(client, member, path):
    attempt = PATHS[path]
    for n in range(LIMIT - 1):
        attempt(client, f"wrong-{n}")
    assert attempt(client, PASSWORD).status_code in (200, 302)
    client.logout()
    for n in range(LIMIT - 1):
        attempt(client, f"wrong-again-{n}")
    assert attempt(client, PASSWORD).status_code in (200, 302)


def test_reset_emails_are_capped_per_account(client, member, settings):
    settings.PAGE_RATE_LIMITS = {**settings.PAGE_RATE_LIMITS, "reset": "100/hour", "reset-account": "2/day"}
    for n in range(4):
        response = client.post("/accounts/password_reset/", {"email": "MEMBER@example.org"},
                               REMOTE_ADDR=f"192.0.2.{n}", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert len(mail.outbox) == 2
    assert response.status_code == 429 and "Too many password reset emails" in response.content.decode()


def test_reset_emails_are_capped_per_address(client, member, settings):
    settings.PAGE_RATE_LIMITS = {**settings.PAGE_RATE_LIMITS, "reset": "2/hour", "reset-account": "100/day"}
    others = [get_user_model().objects.create_user(f"u{n}", f"u{n}@example.org", PASSWORD) for n in range(4)]
    codes = [client.post("/accounts/password_reset/", {"email": user.email},
                         HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n, user in enumerate(others)]
    assert len(mail.outbox) == 2
    assert codes == [302, 302, 429, 429]
