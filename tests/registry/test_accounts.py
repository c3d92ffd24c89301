"""Accounts: sign up into the contributor group, log in and out, password reset by email, the API token page."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from rest_framework.authtoken.models import Token

from adoption.roles import CONTRIBUTOR

pytestmark = pytest.mark.django_db

SIGNUP = {"username": "newbie", "email": "newbie@example.org", "password1": "a-long-passphrase-42",
          "password2": "a-long-passphrase-42"}


def _activation_link(message) -> str:
    return re.search(r"http://testserver(/accounts/signup/confirm/\S+/)", message.body).group(1)


def test_sign_up_joins_contributors_and_signs_in_from_the_emailed_link(client):
    response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 200 and "Check your email" in response.content.decode()
    user = get_user_model().objects.get(username="newbie")
    assert not user.is_active  # nobody can use the account before the email's owner confirms it
    assert list(user.groups.values_list("name", flat=True)) == [CONTRIBUTOR]
    assert [m.to for m in mail.outbox] == [["newbie@example.org"]]
    link = _activation_link(mail.outbox[0])
    assert "Activate" in client.get(link).content.decode()
    response = client.post(link)
    assert response.status_code == 302 and response["Location"] == "/contribute/"
    assert client.get("/contribute/").status_code == 200  # signed in
    client.logout()
    assert client.post(link).status_code == 400  # used once


def _page(response, email: str) -> str:
    """The page without what differs on every answer (CSP nonces, CSRF tokens) or was typed (the email)."""
    body = response.content.decode().replace(email, "EMAIL")
    return re.sub(r'(nonce|value)="[^"]*"', r'\1=""', body)


def test_a_broken_activation_link_is_a_clear_400(client):
    response = client.get("/accounts/signup/confirm/Mg/not-a-token/")
    assert response.status_code == 400 and "no longer works" in response.content.decode()


def test_sign_up_answers_the_same_for_an_existing_email_and_mails_its_owner(client):
    get_user_model().objects.create_user("taken", "taken@example.org", "x")
    fresh = client.post("/accounts/signup/", {**SIGNUP, "username": "other", "email": "fresh@example.org"})
    client.cookies.clear()
    existing = client.post("/accounts/signup/", {**SIGNUP, "email": "TAKEN@example.org"})
    assert existing.status_code == fresh.status_code == 200
    assert _page(existing, "TAKEN@example.org") == _page(fresh, "fresh@example.org")
    assert not get_user_model().objects.filter(username="newbie").exists()
    owner_mail = mail.outbox[-1]
    assert owner_mail.to == ["taken@example.org"] and "You already have an account" in owner_mail.subject
    assert "taken" in owner_mail.body and "/accounts/password_reset/" in owner_mail.body


def test_sign_up_answers_the_same_for_a_taken_username(client):
    get_user_model().objects.create_user("newbie", "first@example.org", "x")
    response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 200 and "Check your email" in response.content.decode()
    assert get_user_model().objects.filter(username__iexact="newbie").count() == 1
    assert mail.outbox[-1].to == ["newbie@example.org"] and "taken" in mail.outbox[-1].subject


def test_sign_up_grants_the_role_through_the_roles_service(client, monkeypatch):
    from adoption.services import roles
    calls = []
    real = roles.role_grant
    monkeypatch.setattr("registry.accounts.role_grant", lambda **kw: calls.append(kw) or real(**kw))
    client.post("/accounts/signup/", SIGNUP)
    assert [(c["user"].username, c["role"]) for c in calls] == [("newbie", CONTRIBUTOR)]


def test_sign_up_errors_keep_input(client):
    get_user_model().objects.create_user("taken", "taken@example.org", "x")
    response = client.post("/accounts/signup/", {**SIGNUP, "email": "TAKEN@example.org", "password2": "other"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'value="newbie"' in body and 'value="TAKEN@example.org"' in body
    assert "already exists" not in body and 'id="id_password2_error"' in body
    assert "<title>Sign up" in body


def test_sign_up_is_rate_limited(client, settings):
    settings.PAGE_RATE_LIMITS = {"signup": "2/hour"}
    for n in range(2):
        client.post("/accounts/signup/", {**SIGNUP, "username": f"user{n}", "email": f"u{n}@example.org"})
        client.logout()
    response = client.post("/accounts/signup/", {**SIGNUP, "username": "third", "email": "t@example.org"})
    assert response.status_code == 429
    assert not get_user_model().objects.filter(username="third").exists()


def test_sign_up_escapes_input(client):
    response = client.post("/accounts/signup/", {**SIGNUP, "username": "<script>alert(1)</script>"})
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body


def test_sign_up_needs_csrf():
    client = Client(enforce_csrf_checks=True)
    assert client.post("/accounts/signup/", SIGNUP).status_code == 403
    assert not get_user_model().objects.exists()


def test_log_in_and_out(client, contributor):
    body = client.get("/accounts/login/").content.decode()
    assert '<label for="id_username">Username</label>' in body
    response = client.post("/accounts/login/", {"username": "carla", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert "carla" in client.get("/").content.decode()
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/me/submissions/").status_code == 302


def test_wrong_password_says_so(client, contributor):
    response = client.post("/accounts/login/", {"username": "carla", "password": "nope"})
    assert response.status_code == 200 and "did not match" in response.content.decode()


def test_password_reset_by_email(client, contributor):
    client.post("/accounts/password_reset/", {"email": contributor.email})
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    assert "Choose a new password" in response.content.decode()
    response = client.post(response.redirect_chain[-1][0], {"new_password1": "another-long-pass-77",
                                                             "new_password2": "another-long-pass-77"})
    assert response.status_code == 302
    contributor.refresh_from_db()
    assert contributor.check_password("another-long-pass-77")


def test_api_token_page(signed_in, client, contributor):
    assert client.get("/accounts/token/").status_code == 302
    client = signed_in(contributor)
    assert "You have no token yet" in client.get("/accounts/token/").content.decode()
    client.post("/accounts/token/", {"action": "create"})
    token = Token.objects.get(user=contributor)
    assert token.key in client.get("/accounts/token/").content.decode()
    client.post("/accounts/token/", {"action": "regenerate"})
    assert Token.objects.get(user=contributor).key != token.key
    client.post("/accounts/token/", {"action": "revoke"})
    assert not Token.objects.filter(user=contributor).exists()
