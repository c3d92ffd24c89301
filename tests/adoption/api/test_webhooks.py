"""The webhooks API: your own webhooks only, filters in the list's vocabulary, the secret never shown."""

import socket

import pytest

from adoption.choices import DeliveryStatus, Status
from adoption.models import ModerationEvent, Webhook, WebhookDelivery
from adoption.services import webhooks
from tests.factories import AdoptionFactory, ModelFamilyFactory

# The list and its filters must work on the demo's SQLite too.
pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]
SECRET = "correct-horse-battery-staple-42"
PUBLIC_URL = "https://93.184.215.14/registry-hook"  # a literal public address: no DNS needed


def body(**changes):
    return {"url": PUBLIC_URL, "filters": {"family": "qwen"}, "secret": SECRET, **changes}


@pytest.fixture
def qwen():
    return ModelFamilyFactory(slug="qwen", name="Qwen")


def test_create_list_read_and_delete_your_own(as_contributor, qwen):
    created = as_contributor.post("/api/v1/webhooks/", body(filters={"family": ["QWEN"], "region": "35"}),
                                  format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["url"] == PUBLIC_URL and data["filters"] == {"family": "qwen", "region": "035"}
    assert data["deliveries"] == f"http://testserver/api/v1/webhooks/{data['id']}/deliveries/"
    listed = as_contributor.get("/api/v1/webhooks/").json()
    assert [hook["id"] for hook in listed["results"]] == [data["id"]]
    assert as_contributor.get(f"/api/v1/webhooks/{data['id']}/").json()["filters"] == {"family": "qwen",
                                                                                       "region": "035"}
    assert as_contributor.delete(f"/api/v1/webhooks/{data['id']}/").status_code == 204
    assert not Webhook.objects.exists()


@pytest.mark.parametrize("path", ["/api/v1/webhooks/", "/api/v1/imports/", "/api/v1/releases/"])
def test_lists_without_filters_refuse_an_unknown_parameter(as_contributor, qwen, path):
    # A misspelt filter must not pass for a filtered answer: these lists take only their pages and format.
    response = as_contributor.get(path, {"family": "qwen"})
    assert response.status_code == 400
    assert response.json() == {"family": ["Unknown parameter. Allowed: page, page_size, format."]}
    assert as_contributor.get(path, {"page_size": "5", "format": "json", "_": "17"}).status_code == 200


def test_the_secret_is_never_in_a_response(as_contributor, qwen):
    responses = [as_contributor.post("/api/v1/webhooks/", body(), format="json")]
    hook_id = responses[0].json()["id"]
    responses += [as_contributor.get("/api/v1/webhooks/"), as_contributor.get(f"/api/v1/webhooks/{hook_id}/"),
                  as_contributor.get(f"/api/v1/webhooks/{hook_id}/deliveries/"),
                  as_contributor.post("/api/v1/webhooks/", body(filters={"family": "nope"}), format="json")]
    for response in responses:
        assert SECRET.encode() not in response.content
        assert b"secret" not in response.content or response.status_code == 400
    assert Webhook.objects.get().secret == SECRET  # kept to sign with


def test_another_users_webhook_is_not_found(as_contributor, as_other, as_curator, qwen, contributor):
    hook = webhooks.webhook_create(user=contributor, url=PUBLIC_URL, filters={}, secret=SECRET)
    for client in (as_other, as_curator):
        assert client.get(f"/api/v1/webhooks/{hook.pk}/").status_code == 404
        assert client.get(f"/api/v1/webhooks/{hook.pk}/deliveries/").status_code == 404
        assert client.delete(f"/api/v1/webhooks/{hook.pk}/").status_code == 404
        assert client.get("/api/v1/webhooks/").json()["results"] == []
    assert Webhook.objects.filter(pk=hook.pk).exists()


def test_anonymous_callers_are_refused(anon, contributor):
    hook = webhooks.webhook_create(user=contributor, url=PUBLIC_URL, filters={}, secret=SECRET)
    assert anon.get("/api/v1/webhooks/").status_code == 401
    assert anon.post("/api/v1/webhooks/", body(), format="json").status_code == 401
    assert anon.delete(f"/api/v1/webhooks/{hook.pk}/").status_code == 401
    assert anon.get(f"/api/v1/webhooks/{hook.pk}/deliveries/").status_code == 401


@pytest.mark.parametrize(("changes", "field", "text"), [
    ({"filters": {"family": "nope"}}, "filters", "Unknown family 'nope'"),
    ({"filters": {"colour": "red"}}, "filters", "Unknown parameter"),
    ({"filters": {"stage": "beta"}}, "filters", "Unknown value 'beta'"),
    ({"filters": "family=qwen"}, "filters", "Give the filters as an object"),
    ({"url": "http://192.168.1.10/hook"}, "url", "non-public address"),
    ({"url": "http://localhost:8000/"}, "url", "localhost"),
    ({"url": "ftp://93.184.215.14/"}, "url", "http:// or https://"),
    ({"secret": "short"}, "secret", "at least 16"),
    ({"secret": None}, "secret", ""),
    ({"status": "delivered"}, "status", "Unknown field"),
])
def test_bad_input_answers_400_with_field_messages(as_contributor, qwen, changes, field, text):
    response = as_contributor.post("/api/v1/webhooks/", body(**changes), format="json")
    assert response.status_code == 400
    errors = response.json()[field]
    flat = str(errors)
    assert text in flat
    assert not Webhook.objects.exists()


def test_filter_messages_are_keyed_by_parameter(as_contributor, qwen):
    response = as_contributor.post("/api/v1/webhooks/", body(filters={"family": "nope", "stage": "beta"}),
                                   format="json")
    assert set(response.json()["filters"]) == {"family", "stage"}


def test_a_name_that_does_not_resolve_is_refused(as_contributor, qwen, monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror("no DNS here")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    response = as_contributor.post("/api/v1/webhooks/", body(url="https://hooks.example.org/"), format="json")
    assert response.status_code == 400
    assert "does not resolve" in response.json()["url"][0]


def test_creating_webhooks_is_rate_limited(as_contributor, qwen, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**rates, "webhooks": "2/hour"}}
    statuses = [as_contributor.post("/api/v1/webhooks/", body(), format="json").status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    assert as_contributor.get("/api/v1/webhooks/").status_code == 200  # reading is not limited by it


def test_the_owner_reads_the_delivery_log(as_contributor, contributor, qwen):
    hook = webhooks.webhook_create(user=contributor, url=PUBLIC_URL, filters={}, secret=SECRET)
    record = AdoptionFactory(family=qwen, status=Status.PUBLISHED)
    event = ModerationEvent.objects.create(adoption=record, action="approve", from_status="in_review",
                                           to_status="published")
    WebhookDelivery.objects.create(
        webhook=hook, event=event, kind="published", body="{}", status=DeliveryStatus.RETRYING,
        attempts=[{"at": "2026-12-03T10:00:00+00:00", "status_code": 500, "error": "the receiver did not accept it",
                   "duration_ms": 12}],
    )
    response = as_contributor.get(f"/api/v1/webhooks/{hook.pk}/deliveries/")
    assert response.status_code == 200
    (delivery,) = response.json()["results"]
    assert delivery["event"] == event.pk and delivery["adoption"] == record.pk and delivery["kind"] == "published"
    assert delivery["status"] == "retrying"
    assert delivery["attempts"][0]["status_code"] == 500 and delivery["attempts"][0]["duration_ms"] == 12


def test_a_user_has_at_most_a_few_webhooks(as_contributor, contributor, qwen, no_throttles):
    for _ in range(webhooks.MAX_WEBHOOKS_PER_USER):
        webhooks.webhook_create(user=contributor, url=PUBLIC_URL, filters={}, secret=SECRET)
    response = as_contributor.post("/api/v1/webhooks/", body(), format="json")
    assert response.status_code == 400 and "delete one first" in response.json()["url"][0]


def test_webhooks_are_documented(anon):
    import yaml

    schema = yaml.safe_load(anon.get("/api/schema/").content)
    create = schema["paths"]["/api/v1/webhooks/"]["post"]
    assert "X-Registry-Signature" in create["description"]
    assert "/api/v1/webhooks/{id}/deliveries/" in schema["paths"]
    assert "delete" in schema["paths"]["/api/v1/webhooks/{id}/"]
    output = schema["components"]["schemas"]["Webhook"]["properties"]
    assert "secret" not in output
    request = schema["components"]["schemas"]["WebhookInputRequest"]["properties"]
    assert request["secret"]["writeOnly"] is True
