"""Webhooks: signed deliveries received by a real local server, retried with backoff, never sent to a
private address, only for the records their filters name."""

import hashlib
import hmac
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError

from adoption.choices import DeliveryStatus, Status
from adoption.models import Webhook, WebhookDelivery
from adoption.services import change_requests, moderation, webhooks
from adoption.tasks import WEBHOOK_MAX_RETRIES, WEBHOOK_RETRY_BACKOFF, deliver_webhook
from tests.factories import AdoptionFactory, CountryFactory, ModelFamilyFactory, OrganizationFactory

pytestmark = pytest.mark.django_db
SECRET = "s3cret-for-the-tests-only"


class Receiver(BaseHTTPRequestHandler):
    """Answers each POST with the next scripted status (200 once the script is used up) and keeps it."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
        status = self.server.script.pop(0) if self.server.script else 200
        self.send_response(status)
        if status in (301, 302):
            self.send_header("Location", "/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.received, server.script = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}/hook"
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def loopback_allowed(settings):
    """The tests' own switch: loopback may receive webhooks (production allows no private network)."""
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]


@pytest.fixture
def catalogue():
    aisg = OrganizationFactory(name="AI Singapore", slug="ai-singapore", country=CountryFactory())
    return {"aisg": aisg, "qwen": ModelFamilyFactory(slug="qwen", name="Qwen"),
            "llama": ModelFamilyFactory(slug="llama", name="Llama")}


@pytest.fixture
def eager_retries(settings):
    """Eager tasks run their retries in-process, one after the other, when errors do not propagate (the
    settings propagate them, so a retry would surface as an exception instead of running)."""
    from registry.celery import app

    settings.CELERY_TASK_EAGER_PROPAGATES = False
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True


def approve(curator, django_capture_on_commit_callbacks, **fields):
    record = AdoptionFactory(status=Status.IN_REVIEW, **fields)
    with django_capture_on_commit_callbacks(execute=True):
        return moderation.adoption_approve(adoption=record, user=curator)


@pytest.mark.both_databases
def test_a_publication_is_delivered_signed_to_a_local_server(
    receiver, loopback_allowed, catalogue, contributor, curator, django_capture_on_commit_callbacks,
):
    hook = webhooks.webhook_create(user=contributor, url=receiver.url, filters={"family": "QWEN"}, secret=SECRET)
    assert hook.filters == {"family": "qwen"}

    record = approve(curator, django_capture_on_commit_callbacks, adopter=catalogue["aisg"], family=catalogue["qwen"],
                     product_name="Qwen-SEA-LION")

    (request,) = receiver.received
    assert request["path"] == "/hook"
    assert request["headers"]["Content-Type"] == "application/json"
    expected = "sha256=" + hmac.new(SECRET.encode(), request["body"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request["headers"]["X-Registry-Signature"], expected)
    payload = json.loads(request["body"])
    assert payload["event"]["kind"] == "published" and payload["event"]["action"] == "approve"
    assert payload["adoption"]["id"] == record.pk
    assert payload["adoption"]["product_name"] == "Qwen-SEA-LION"
    assert payload["adoption"]["family"]["slug"] == "qwen" and payload["adoption"]["status"] == "published"
    assert SECRET not in request["body"].decode()
    delivery = WebhookDelivery.objects.get(webhook=hook)
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.delivered_at is not None
    assert [attempt["status_code"] for attempt in delivery.attempts] == [200]


def test_changes_and_retractions_are_delivered_too(
    receiver, loopback_allowed, catalogue, contributor, curator, second_curator, django_capture_on_commit_callbacks,
):
    webhooks.webhook_create(user=contributor, url=receiver.url, filters={}, secret=SECRET)
    record = approve(curator, django_capture_on_commit_callbacks, adopter=catalogue["aisg"], family=catalogue["qwen"])
    proposal = change_requests.change_request_create(adoption=record, user=contributor, proposed={"stage": "pilot"})
    with django_capture_on_commit_callbacks(execute=True):
        change_requests.change_request_approve(change_request=proposal, user=second_curator)
    with django_capture_on_commit_callbacks(execute=True):
        moderation.adoption_retract(adoption=record, user=curator, comment="Source withdrawn")

    bodies = [json.loads(request["body"]) for request in receiver.received]
    assert [body["event"]["kind"] for body in bodies] == ["published", "changed", "retracted"]
    assert bodies[1]["adoption"]["stage"] == "pilot"
    assert bodies[2]["adoption"]["status"] == "retracted" and bodies[2]["event"]["comment"] == "Source withdrawn"


@pytest.mark.both_databases
def test_a_record_the_filters_do_not_name_sends_nothing(
    receiver, loopback_allowed, catalogue, contributor, curator, django_capture_on_commit_callbacks,
):
    hook = webhooks.webhook_create(user=contributor, url=receiver.url, filters={"family": "qwen"}, secret=SECRET)
    approve(curator, django_capture_on_commit_callbacks, adopter=catalogue["aisg"], family=catalogue["llama"])
    draft = AdoptionFactory(status=Status.DRAFT, adopter=catalogue["aisg"], family=catalogue["qwen"],
                            created_by=contributor)
    with django_capture_on_commit_callbacks(execute=True):
        moderation.adoption_withdraw(adoption=draft, user=contributor)  # not a public event
    assert receiver.received == []
    assert not hook.deliveries.exists()


def test_a_failed_delivery_is_retried_with_backoff_until_it_succeeds(
    receiver, loopback_allowed, eager_retries, catalogue, contributor, curator, django_capture_on_commit_callbacks,
    monkeypatch,
):
    receiver.script = [500, 503, 302]  # a redirect is an answer, not followed
    countdowns = []
    original_retry = deliver_webhook.retry

    def spy(*args, **kwargs):
        countdowns.append(kwargs.get("countdown"))
        return original_retry(*args, **kwargs)

    monkeypatch.setattr(deliver_webhook, "retry", spy)
    monkeypatch.setattr("celery.utils.time.random.randrange", lambda n: n - 1)  # full jitter at its upper bound
    hook = webhooks.webhook_create(user=contributor, url=receiver.url, filters={}, secret=SECRET)

    approve(curator, django_capture_on_commit_callbacks, adopter=catalogue["aisg"], family=catalogue["qwen"])

    assert len(receiver.received) == 4
    assert len({request["body"] for request in receiver.received}) == 1  # the same signed bytes every time
    assert receiver.received[0]["headers"]["X-Registry-Signature"] == receiver.received[3]["headers"][
        "X-Registry-Signature"]
    assert countdowns == [WEBHOOK_RETRY_BACKOFF, WEBHOOK_RETRY_BACKOFF * 2, WEBHOOK_RETRY_BACKOFF * 4]
    delivery = hook.deliveries.get()
    assert [attempt["status_code"] for attempt in delivery.attempts] == [500, 503, 302, 200]
    assert "redirects are not followed" in delivery.attempts[2]["error"]
    assert delivery.status == DeliveryStatus.DELIVERED


def test_a_receiver_that_never_accepts_is_given_up_after_the_last_retry(
    receiver, loopback_allowed, eager_retries, catalogue, contributor, curator, django_capture_on_commit_callbacks,
):
    receiver.script = [500] * 20
    hook = webhooks.webhook_create(user=contributor, url=receiver.url, filters={}, secret=SECRET)
    approve(curator, django_capture_on_commit_callbacks, adopter=catalogue["aisg"], family=catalogue["qwen"])
    delivery = hook.deliveries.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert len(delivery.attempts) == len(receiver.received) == WEBHOOK_MAX_RETRIES + 1


def _no_connections(monkeypatch) -> list:
    """Record (and refuse) every outgoing connection the code under test tries to open."""
    attempts = []

    def refuse(address, *args, **kwargs):
        attempts.append(address)
        raise AssertionError(f"a connection to {address} was attempted")

    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def test_a_private_address_is_never_connected_to(
    receiver, settings, catalogue, contributor, curator, django_capture_on_commit_callbacks, monkeypatch,
):
    # Made while loopback was allowed (as a name that resolved publicly then would be), delivered without it.
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    hook = webhooks.webhook_create(user=contributor, url=receiver.url, filters={}, secret=SECRET)
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    attempts = _no_connections(monkeypatch)

    approve(curator, django_capture_on_commit_callbacks, adopter=catalogue["aisg"], family=catalogue["qwen"])

    assert attempts == []
    assert receiver.received == []
    delivery = hook.deliveries.get()
    assert delivery.status == DeliveryStatus.BLOCKED  # not retried: blocked at the first attempt
    assert len(delivery.attempts) == 1 and "non-public address (127.0.0.1)" in delivery.attempts[0]["error"]


def test_a_name_that_resolves_elsewhere_at_delivery_time_is_blocked(
    settings, catalogue, contributor, curator, django_capture_on_commit_callbacks, monkeypatch,
):
    """DNS rebinding: public when the webhook was made, a private address when the delivery is due."""
    answers = {"hooks.example.org": "93.184.215.14"}

    def resolve(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    hook = webhooks.webhook_create(user=contributor, url="https://hooks.example.org/in", filters={}, secret=SECRET)
    answers["hooks.example.org"] = "169.254.169.254"
    attempts = _no_connections(monkeypatch)

    approve(curator, django_capture_on_commit_callbacks, adopter=catalogue["aisg"], family=catalogue["qwen"])

    assert attempts == []
    assert hook.deliveries.get().status == DeliveryStatus.BLOCKED


@pytest.mark.parametrize(("url", "message"), [
    ("http://127.0.0.1:8000/hook", "non-public address"),
    ("http://localhost/hook", "localhost"),
    ("http://10.0.0.5/", "non-public address"),
    ("http://[::ffff:192.168.0.1]/", "non-public address"),
    ("http://169.254.169.254/latest/meta-data/", "non-public address"),
    ("ftp://93.184.215.14/", "http:// or https://"),
    ("hooks.example.org/in", "http:// or https://"),
    ("https://user:pw@93.184.215.14/", "user name or password"),
    ("https://no-such-host.invalid/", "does not resolve"),
])
def test_urls_that_cannot_receive_webhooks_are_refused(contributor, url, message):
    with pytest.raises(ValidationError) as caught:
        webhooks.webhook_create(user=contributor, url=url, filters={}, secret=SECRET)
    assert message in " ".join(caught.value.message_dict["url"])
    assert not Webhook.objects.exists()


@pytest.mark.both_databases
def test_filters_use_the_adoption_lists_vocabulary(contributor, catalogue):
    with pytest.raises(ValidationError) as caught:
        webhooks.webhook_filters_clean({"family": "nope", "colour": "red", "stage": "pilot"})
    errors = caught.value.message_dict
    assert set(errors) == {"family", "colour"}
    assert "Unknown family 'nope'" in errors["family"][0] and "Unknown parameter" in errors["colour"][0]
    assert webhooks.webhook_filters_clean({"family": ["QWEN", "llama"], "region": "35"}) == {
        "family": "llama,qwen", "region": "035"}
    for bad in ({"ordering": "id"}, {"page": "2"}, {"family": ""}, {"family": None}, ["family"]):
        with pytest.raises(ValidationError):
            webhooks.webhook_filters_clean(bad)


def test_the_sweep_sends_deliveries_whose_task_was_lost(
    receiver, loopback_allowed, catalogue, contributor, curator, monkeypatch,
):
    import datetime

    from django.utils import timezone

    from adoption.tasks import sweep_webhook_deliveries

    hook = webhooks.webhook_create(user=contributor, url=receiver.url, filters={}, secret=SECRET)
    record = AdoptionFactory(status=Status.IN_REVIEW, adopter=catalogue["aisg"], family=catalogue["qwen"])
    moderation.adoption_approve(adoption=record, user=curator)  # its on-commit dispatch never runs here
    from adoption.models import ModerationEvent
    from adoption.tasks import dispatch_webhooks

    event = ModerationEvent.objects.get(adoption=record, action="approve")
    monkeypatch.setattr(deliver_webhook, "delay", lambda *args: None)  # the broker loses the delivery task
    dispatch_webhooks(event.pk)
    monkeypatch.undo()
    delivery = hook.deliveries.get()
    assert delivery.status == DeliveryStatus.PENDING and receiver.received == []
    assert sweep_webhook_deliveries() == 0  # too recent: its task may still run

    WebhookDelivery.objects.filter(pk=delivery.pk).update(created_at=timezone.now() - datetime.timedelta(hours=1))
    assert sweep_webhook_deliveries() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and len(receiver.received) == 1
    assert sweep_webhook_deliveries() == 0  # delivered: never sent twice
