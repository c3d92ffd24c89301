"""Service failures lose nothing (issue 14): the broker down while people work, a worker killed mid-task.

Everything is real and private to each test: a PostgreSQL cluster, a Redis broker, the registry served
by gunicorn, Celery worker processes, an SMTP server and a webhook receiver on loopback.
"""

import email
import json
import socket
import socketserver
import subprocess
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.lab import Site, Worker, manage, wait_for

VISIBILITY_TIMEOUT = 3  # seconds a message may stay unacknowledged before Redis gives it to a worker again

# Users, an organization and a model family, and a webhook following every record; prints the API tokens.
SETUP = """
import json
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from adoption.roles import CONTRIBUTOR, CURATOR
from adoption.services import webhooks
from adoption.services.roles import role_grant
from tests.factories import ModelFamilyFactory, OrganizationFactory

tokens = {}
for name, role in (("carla", CONTRIBUTOR), ("cora", CURATOR)):
    user = get_user_model().objects.create_user(name, f"{name}@example.org", "correct-horse-battery")
    role_grant(user=user, role=role)
    tokens[name] = Token.objects.create(user=user).key
OrganizationFactory(slug="acme", name="Acme")
ModelFamilyFactory(slug="qwen")
if "%(webhook)s":
    webhooks.webhook_create(user=user, url="%(webhook)s", secret="s" * 20)
print(json.dumps(tokens))
"""

SUBMISSION = {
    "adopter": "acme", "family": "qwen", "relation": "fine_tune", "stage": "production",
    "product_name": "Acme Assistant", "started_on": "2025-03",
    "evidence": [{"url": "https://example.org/acme-assistant", "kind": "model_card", "title": "Model card"}],
    "submit": True,
}


class SmtpSink:
    """A small SMTP server on loopback keeping the messages it accepted. With `hang_first`, the first
    message is read to its end but never answered: its sender hangs there until it goes away."""

    def __init__(self, *, hang_first: bool = False):
        self.messages, self.hang_first, self.hung = [], hang_first, threading.Event()
        sink = self

        class Session(socketserver.StreamRequestHandler):
            def handle(self):
                self.wfile.write(b"220 sink ESMTP\r\n")
                data = None
                for line in self.rfile:
                    if data is None:
                        verb = line[:4].upper()
                        reply = {b"DATA": b"354 end with .\r\n", b"QUIT": b"221 bye\r\n"}.get(verb, b"250 ok\r\n")
                        data = [] if verb == b"DATA" else None
                        self.wfile.write(reply)
                        if verb == b"QUIT":
                            return
                    elif line.rstrip(b"\r\n") != b".":
                        data.append(line)
                    elif sink.hang_first and not sink.hung.is_set():
                        sink.hung.set()
                        self.rfile.read()  # no answer: wait for the sender to close (or die)
                        return
                    else:
                        sink.messages.append(email.message_from_bytes(b"".join(data)))
                        data = None
                        self.wfile.write(b"250 accepted\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Session)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class WebhookReceiver:
    """A loopback HTTP server answering 204 to every POST and keeping (delivery id, body)."""

    def __init__(self):
        self.received = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((self.headers["X-Registry-Delivery"], json.loads(body)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def smtp():
    sink = SmtpSink()
    yield sink
    sink.close()


@pytest.fixture
def receiver():
    server = WebhookReceiver()
    yield server
    server.close()


def _lab(lab_postgres, lab_redis, smtp, **extra) -> dict:
    env = {
        "DATABASE_URL": lab_postgres.url(), "CELERY_BROKER_URL": lab_redis.url(),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}", "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8", **extra,
    }
    manage(env, "migrate", "--no-input")
    return env


def _shell(env, code: str) -> str:
    """Run Python in a `manage.py shell` of the lab's; the last line it printed."""
    try:
        return manage(env, "shell", "-c", code).stdout.strip().rpartition("\n")[2]
    except subprocess.CalledProcessError as error:
        pytest.fail(f"manage.py shell failed:\n{error.stderr[-3000:]}")


def _setup(env, webhook: str = "") -> dict:
    return json.loads(_shell(env, SETUP % {"webhook": webhook}))


def _post(site: Site, path: str, data: dict, token: str) -> tuple[int, dict, float]:
    """POST JSON with a token; (status, answer, seconds taken)."""
    request = urllib.request.Request(  # noqa: S310 (loopback)
        site.url(path), data=json.dumps(data).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    return status, json.loads(body or b"{}"), time.monotonic() - started


def _serving(site: Site) -> bool:
    try:
        return site.get("/api/v1/", timeout=5)[0] == 200
    except OSError:
        return False


def _sweep(env) -> int:
    """One run of the periodic sweep of unsent tasks, in a process of its own; how many it sent."""
    return int(_shell(env, "from adoption.tasks import resend_unsent_tasks; print(resend_unsent_tasks())"))


def _unsent(lab_postgres) -> list[str]:
    return lab_postgres.sql("SELECT task FROM adoption_unsenttask ORDER BY id").splitlines()


def test_work_done_while_the_broker_is_down_is_sent_once_it_is_back(
    lab_postgres, lab_redis, lab_dir, smtp, receiver
):
    env = _lab(lab_postgres, lab_redis, smtp)
    tokens = _setup(env, webhook=receiver.url)
    site = Site(env, lab_dir / "gunicorn.log").start()
    worker = Worker(env, lab_dir / "worker.log").start()
    try:
        wait_for(lambda: _serving(site), what="the site to answer")
        lab_redis.stop()

        status, record, submit_took = _post(site, "/api/v1/submissions/", SUBMISSION, tokens["carla"])
        assert status == 201, record
        status, answer, claim_took = _post(site, f"/api/v1/submissions/{record['id']}/claim/", {}, tokens["cora"])
        assert status == 200, answer
        status, answer, approve_took = _post(
            site, f"/api/v1/submissions/{record['id']}/approve/", {"comment": "Well sourced."}, tokens["cora"]
        )
        assert status == 200, answer
        print(f"\nbroker down: submit {submit_took:.2f} s, claim {claim_took:.2f} s, approve {approve_took:.2f} s")

        # Both committed; what they queued waits in the database.
        assert lab_postgres.sql("SELECT id, status FROM adoption_adoption") == f"{record['id']}|published"
        unsent = _unsent(lab_postgres)
        assert "adoption.tasks.send_moderation_email" in unsent
        assert "adoption.tasks.dispatch_webhooks" in unsent
        assert "adoption.tasks.check_evidence_link" in unsent
        assert _sweep(env) == 0  # still down: the sweep sends nothing and keeps them all
        assert _unsent(lab_postgres) == unsent

        lab_redis.start()
        with ThreadPoolExecutor(2) as pool:  # two sweeps at once share the rows, never send one twice
            sent = sum(pool.map(_sweep, [env, env]))
        assert sent == len(unsent)
        assert _unsent(lab_postgres) == []

        wait_for(lambda: smtp.messages and receiver.received, timeout=45,
                 what="the email and the webhook delivery")
        assert _sweep(env) == 0
        time.sleep(2)  # time enough for a duplicate to arrive, were one queued
    finally:
        worker.stop()
        site.stop()

    assert len(smtp.messages) == 1
    assert smtp.messages[0]["To"] == "carla@example.org"
    assert "is now published" in smtp.messages[0].get_payload()
    assert len(receiver.received) == 1
    delivery, body = receiver.received[0]
    assert body["adoption"]["id"] == record["id"] and body["event"]["action"] == "approve"
    assert lab_postgres.sql("SELECT id, status FROM adoption_webhookdelivery") == f"{delivery}|delivered"


def test_a_broker_that_stops_answering_holds_a_request_only_seconds(lab_postgres, lab_redis, lab_dir, smtp):
    env = _lab(lab_postgres, lab_redis, smtp)
    tokens = _setup(env)
    site = Site(env, lab_dir / "gunicorn.log").start()
    silent = None
    try:
        wait_for(lambda: _serving(site), what="the site to answer")
        # In the broker's place, a server that accepts connections and never answers (a hung host, a
        # half-open connection): without socket timeouts, a send would wait on it for ever.
        lab_redis.stop()
        silent = socket.create_server(("127.0.0.1", lab_redis.port))
        status, record, took = _post(site, "/api/v1/submissions/", SUBMISSION, tokens["carla"])
        print(f"\nunresponsive broker: submit {took:.2f} s")
    finally:
        site.stop()
        if silent is not None:
            silent.close()

    assert status == 201, record
    assert _unsent(lab_postgres) == ["adoption.tasks.check_evidence_link"]


def test_a_task_whose_worker_is_killed_runs_again_and_mails_once(lab_postgres, lab_redis, lab_dir):
    smtp = SmtpSink(hang_first=True)
    env = _lab(lab_postgres, lab_redis, smtp, CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT))
    _setup(env)
    approve = (
        "from adoption.choices import Status; from adoption.models import ModelFamily, Organization;"
        "from adoption.services import moderation; from django.contrib.auth import get_user_model;"
        "from tests.factories import AdoptionFactory, EvidenceFactory;"
        "users = get_user_model().objects;"
        "record = AdoptionFactory(status=Status.IN_REVIEW, created_by=users.get(username='carla'),"
        " reviewer=users.get(username='cora'), adopter=Organization.objects.get(slug='acme'),"
        " family=ModelFamily.objects.get(slug='qwen'));"
        "EvidenceFactory(adoption=record);"
        "moderation.adoption_approve(adoption=record, user=users.get(username='cora'), comment='')"
    )
    _shell(env, approve)  # the decision email is queued on the broker
    first = Worker(env, lab_dir / "worker-1.log", name="first").start()
    second = Worker(env, lab_dir / "worker-2.log", name="second")
    try:
        wait_for(smtp.hung.is_set, timeout=45, what="the first worker to send the email")
        first.kill()  # mid-task: the message was never acknowledged
        assert lab_postgres.sql("SELECT count(*) FROM adoption_moderationevent WHERE notified_at IS NOT NULL") == "0"

        time.sleep(VISIBILITY_TIMEOUT + 1)
        second.start()
        wait_for(lambda: smtp.messages, timeout=45, what="the second worker to send the email")
        time.sleep(2)  # time enough for a duplicate to arrive, were one sent
    finally:
        second.stop()
        first.stop()
        smtp.close()

    assert len(smtp.messages) == 1
    assert smtp.messages[0]["To"] == "carla@example.org"
    assert lab_postgres.sql("SELECT count(*) FROM adoption_moderationevent WHERE notified_at IS NOT NULL") == "1"
    # The same message, given again: the second worker ran the task the first one died in.
    assert _task_ids(first.output()) & _task_ids(second.output())


def _task_ids(log: str) -> set[str]:
    marker = "Task adoption.tasks.send_moderation_email["
    return {line.split(marker, 1)[1].split("]", 1)[0] for line in log.splitlines() if marker in line}
