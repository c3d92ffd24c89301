"""Evidence link health: checked over HTTP, never against private addresses."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from adoption.choices import LinkStatus
from adoption.services import links
from adoption.tasks import check_evidence_link, sweep_evidence_links
from tests.factories import EvidenceFactory


class Handler(BaseHTTPRequestHandler):
    routes = {
        "/card": (200, None),
        "/moved": (301, "/card"),
        "/loop": (302, "/loop"),
        "/gone": (404, None),
        "/no-head": (200, None),
        "/to-private": (302, "http://10.0.0.1/admin"),
    }

    def _answer(self):
        if self.path == "/no-head" and self.command == "HEAD":
            self.send_response(405)
            self.end_headers()
            return
        status, location = self.routes.get(self.path, (404, None))
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_HEAD = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def site(settings):
    """A local web server the checker may reach because the test allows loopback explicitly."""
    settings.LINK_CHECK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/card", LinkStatus.OK),
        ("/moved", LinkStatus.REDIRECTED),
        ("/gone", LinkStatus.BROKEN),
        ("/loop", LinkStatus.BROKEN),
        ("/no-head", LinkStatus.OK),
        ("/to-private", LinkStatus.BLOCKED),
    ],
)
def test_link_status_over_http(site, path, expected):
    assert links.link_status_for(site + path) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost:8000/admin/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://172.16.5.4/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://0.0.0.0/",
    ],
)
def test_private_and_loopback_addresses_are_blocked_without_a_request(url, settings):
    settings.LINK_CHECK_ALLOWED_NETWORKS = []
    assert links.link_status_for(url) == LinkStatus.BLOCKED


def test_unresolvable_host_is_broken():
    assert links.link_status_for("https://no-such-host.invalid/page") == LinkStatus.BROKEN


@pytest.mark.django_db
def test_the_task_records_health_and_time(site):
    evidence = EvidenceFactory(url=site + "/moved")
    assert check_evidence_link.delay(evidence.pk).get() == LinkStatus.REDIRECTED
    evidence.refresh_from_db()
    assert evidence.link_status == LinkStatus.REDIRECTED and evidence.link_checked_at is not None
    assert evidence.history.count() == 1  # the checker is not a curator's edit


@pytest.mark.django_db
def test_the_sweep_checks_unchecked_sources(site):
    first = EvidenceFactory(url=site + "/card")
    second = EvidenceFactory(url=site + "/gone")
    assert sweep_evidence_links.delay().get() == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.link_status, second.link_status) == (LinkStatus.OK, LinkStatus.BROKEN)
    assert links.evidence_due_for_check() == []
