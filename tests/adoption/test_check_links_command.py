"""manage.py check_links: checks evidence links in-process (the demo's way), with the link checker's
address rules: a local server the test allows answers; an address that is not allowed is never contacted."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
from django.core.management import call_command

from adoption.choices import LinkStatus
from adoption.management.commands.check_links import polite_order
from tests.factories import EvidenceFactory

pytestmark = pytest.mark.django_db


def _server(host: str):
    """A web server on `host` that records each request it gets."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            seen.append(self.path)
            status, location = {"/card": (200, None), "/gone": (404, None),
                                "/to-other": (302, self.server.redirect_to)}.get(self.path, (404, None))
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_HEAD = _answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    server.redirect_to = None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


@pytest.fixture
def servers(settings):
    """An allowed server on 127.0.0.1 (the test allows that one address) and a forbidden one on 127.0.0.2
    (loopback like any private address: the checker must never reach it)."""
    settings.LINK_CHECK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    allowed, allowed_seen = _server("127.0.0.1")
    forbidden, forbidden_seen = _server("127.0.0.2")
    allowed.redirect_to = f"http://127.0.0.2:{forbidden.server_port}/card"
    yield (f"http://127.0.0.1:{allowed.server_port}", allowed_seen,
           f"http://127.0.0.2:{forbidden.server_port}", forbidden_seen)
    for server in (allowed, forbidden):
        server.shutdown()
        server.server_close()


def test_check_links_records_health_and_prints_a_summary(servers):
    site, seen, forbidden_site, forbidden_seen = servers
    ok = EvidenceFactory(url=site + "/card")
    gone = EvidenceFactory(url=site + "/gone")
    private = EvidenceFactory(url=forbidden_site + "/card")
    via_redirect = EvidenceFactory(url=site + "/to-other")
    metadata = EvidenceFactory(url="http://169.254.169.254/latest/meta-data/")
    out = StringIO()
    call_command("check_links", "--per-host-delay", "0", stdout=out)
    for evidence in (ok, gone, private, via_redirect, metadata):
        evidence.refresh_from_db()
        assert evidence.link_checked_at is not None
    assert [e.link_status for e in (ok, gone, private, via_redirect, metadata)] == [
        LinkStatus.OK, LinkStatus.BROKEN, LinkStatus.BLOCKED, LinkStatus.BLOCKED, LinkStatus.BLOCKED]
    assert forbidden_seen == []  # neither directly nor through the redirect
    assert "/card" in seen and "/to-other" in seen
    summary = out.getvalue()
    assert "Checked 5 evidence link(s)" in summary
    assert "OK" in summary and "Broken" in summary and "Blocked" in summary
    # Nothing is due any more: a second run checks nothing and fetches nothing.
    seen.clear()
    out = StringIO()
    call_command("check_links", "--per-host-delay", "0", stdout=out)
    assert "Checked 0 evidence link(s)" in out.getvalue() and seen == []
    # --all checks every source again.
    call_command("check_links", "--all", "--per-host-delay", "0", stdout=StringIO())
    assert "/card" in seen


def test_check_links_waits_between_two_checks_of_one_host(servers):
    import time

    site = servers[0]
    for _ in range(3):
        EvidenceFactory(url=site + "/card")
    started = time.monotonic()
    call_command("check_links", "--per-host-delay", "0.5", stdout=StringIO())
    assert time.monotonic() - started >= 1.0  # three checks of one host: two waits


def test_hosts_take_turns():
    sources = [(1, "https://a.example/1"), (2, "https://a.example/2"), (3, "https://a.example/3"),
               (4, "https://b.example/1"), (5, "https://c.example/1")]
    assert [pk for pk, _ in polite_order(sources)] == [1, 4, 5, 2, 3]
