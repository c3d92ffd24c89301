"""Fixtures of the adoption tests: a local web site for the evidence link checker."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


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
