"""Playwright against pytest-django's live server, driving Debian's Chromium (never a downloaded browser).

Every request the pages make is intercepted: anything not for the live server is aborted and recorded,
so a test can assert that nothing leaves 127.0.0.1. Console errors and page errors are recorded too.
"""

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .pages import registry_pages  # noqa: F401 -- the pages the accessibility and layout tests visit

# The sync Playwright API runs an event loop in this thread; the ORM calls of the test are still safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        # In CI the set-up installs Chromium, so a missing browser is a failure there, not a skip.
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is not installed; .ci/run should have installed it (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium, or run make test as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Session:
    """One browser context (its own cookies) with the requests and console errors it saw."""

    def __init__(self, browser, base_url: str, viewport: dict):
        self.base_url = base_url
        self.context = browser.new_context(viewport=viewport, base_url=base_url)
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _route(self, route):
        host = urlsplit(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def sessions(browser, live_server):
    """A factory of browser sessions; each is checked for outside requests and console errors at the end."""
    opened: list[Session] = []

    def open_session(viewport=DESKTOP) -> Session:
        session = Session(browser, live_server.url, viewport)
        opened.append(session)
        return session

    yield open_session
    for session in opened:
        session.close()
    assert [url for s in opened for url in s.outside] == [], "a page requested something outside 127.0.0.1"
    assert [err for s in opened for err in s.errors] == [], "console errors"
