"""Reads from a read replica (registry.replica) against a real streaming pair of our own: a primary and a
pg_basebackup standby. Pausing the standby's replay makes it lag as long as a test needs."""

import contextlib
import http.cookiejar
import json
import os
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.lab import PostgresCluster, RedisServer, Site, manage, wait_for

SETUP = """
from rest_framework.authtoken.models import Token
from adoption.roles import CONTRIBUTOR, CURATOR
from adoption.services import moderation
from tests.factories import AdoptionFactory, EvidenceFactory, ModelFamilyFactory, OrganizationFactory, _role_user
contributor = _role_user("lab-contributor", CONTRIBUTOR)
contributor.set_password("lab-password-for-pages")
contributor.save()
curator = _role_user("lab-curator", CURATOR, CONTRIBUTOR)
family = ModelFamilyFactory(slug="lab-family")
org = OrganizationFactory(slug="lab-org", name="Lab Org")
AdoptionFactory(adopter=org, family=family, published=True)
pending = AdoptionFactory(adopter=org, family=family, created_by=contributor)
EvidenceFactory(adoption=pending)
moderation.adoption_submit(adoption=pending, user=contributor)
# Last line (the console mailer prints the emails before).
print(Token.objects.create(user=contributor).key, Token.objects.create(user=curator).key, pending.pk)
"""
PROPOSAL = {"adopter": "lab-org", "family": "lab-family", "relation": "fine_tune", "stage": "pilot",
            "started_on": "2025-10", "evidence": [{"url": "https://example.org/lab", "kind": "official_announcement"}]}
MAP = "/api/v1/maps/adoption/?group_by=country&split=none"


@pytest.fixture(scope="module")
def pair():
    """The registry served with a primary and a streaming standby of it, a Redis for the shared cache, and a
    published record on `lab-org`, a submitted one waiting for review, a contributor's and a curator's token."""
    lab = Path(tempfile.mkdtemp(prefix="registry-replica-"))
    if os.geteuid() == 0:
        shutil.chown(lab, "postgres")
    primary = PostgresCluster.create(lab).start()
    standby = site = redis = None
    try:
        primary.create_database()
        env = {"DATABASE_URL": primary.url()}
        manage(env, "migrate", "--no-input")
        contributor, curator, pending = manage(env, "shell", "-c", SETUP).stdout.splitlines()[-1].split()
        standby = primary.standby()
        redis = RedisServer(lab).start()
        env |= {"DATABASE_REPLICA_URL": standby.url(), "CACHE_URL": redis.url(),
                # Pages without a collectstatic run first.
                "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
        manage(env, "check")
        site = Site(env, lab / "gunicorn.log", workers=2, threads=2).start()
        wait_for(lambda: _answer(site, "/api/v1/"), what="the site to answer")
        yield {"primary": primary, "standby": standby, "site": site, "contributor": contributor,
               "curator": curator, "pending": int(pending)}
    finally:
        if site is not None:
            print(site.output()[-20000:])  # shown when a test failed
        for part in (site, redis):
            if part is not None:
                part.stop()
        for cluster in (standby, primary):
            if cluster is not None and cluster.running:
                cluster.stop("immediate")
        shutil.rmtree(lab, ignore_errors=True)


def call(site, method: str, path: str, *, token: str | None = None, body: dict | None = None):
    """(status, JSON body) of one API request, as an anonymous client or with a token."""
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Token {token}"} if token else {})
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(site.url(path), data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _answer(site, path):
    try:
        return site.get(path, timeout=5)[0] == 200
    except OSError:
        return False


@contextlib.contextmanager
def replay_paused(standby):
    """The standby receives the primary's WAL but applies none of it: a replica lagging for as long as this lasts."""
    standby.sql("SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        standby.sql("SELECT pg_wal_replay_resume()")


def org_name(site, token=None) -> str:
    status, body = call(site, "GET", "/api/v1/organizations/lab-org/", token=token)
    assert status == 200, body
    return body["name"]


def published_on_lab_org(site, token=None) -> int:
    status, body = call(site, "GET", "/api/v1/adoptions/?adopter=lab-org", token=token)
    assert status == 200, body
    return body["count"]


def test_anonymous_reads_are_served_by_the_replica(pair):
    site, primary = pair["site"], pair["primary"]
    with replay_paused(pair["standby"]):
        primary.sql("UPDATE adoption_organization SET name = 'Lab Org Renamed' WHERE slug = 'lab-org'")
        assert org_name(site) == "Lab Org"  # the replica has not replayed the change
        status, page = site.get("/organizations/lab-org/")
        assert status == 200 and b"Lab Org Renamed" not in page
    wait_for(lambda: org_name(site) == "Lab Org Renamed", what="the replica to replay the rename")
    assert b"Lab Org Renamed" in site.get("/organizations/lab-org/")[1]


def test_a_user_reads_their_own_writes_while_the_replica_lags(pair):
    site, contributor, curator, pending = pair["site"], pair["contributor"], pair["curator"], pair["pending"]
    status, before = call(site, "GET", MAP)
    assert status == 200
    with replay_paused(pair["standby"]):
        status, created = call(site, "POST", "/api/v1/submissions/", token=contributor, body=PROPOSAL)
        assert status == 201, created
        status, mine = call(site, "GET", "/api/v1/submissions/?page_size=1000", token=contributor)
        assert status == 200 and created["id"] in [row["id"] for row in mine["results"]]
        assert call(site, "GET", f"/api/v1/submissions/{created['id']}/", token=contributor)[0] == 200

        for action in ("claim", "approve"):
            status, body = call(site, "POST", f"/api/v1/submissions/{pending}/{action}/", token=curator, body={})
            assert status == 200, body
        assert published_on_lab_org(site, token=curator) == 2  # the curator sees what they published
        assert published_on_lab_org(site) == 1  # everyone else reads the lagging replica
        # A map is cached under the data version the approval moved: it is computed on the primary, which
        # has that version, not on the replica, whose answer would stay cached with the old count.
        status, after = call(site, "GET", MAP)
        assert status == 200 and after["total"] == before["total"] + 1
    wait_for(lambda: published_on_lab_org(site) == 2, what="the replica to replay the approval")
    assert call(site, "GET", MAP)[1]["total"] == before["total"] + 1


class Browser:
    """A client keeping its cookies, that logs in through the log-in page and sends the CSRF token."""

    def __init__(self, site):
        self.site, self.jar = site, http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        return next(cookie.value for cookie in self.jar if cookie.name == "csrftoken")

    def open(self, path: str, *, data: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(self.site.url(path), data=data, headers=headers or {})  # noqa: S310
        with self.opener.open(request, timeout=30) as response:
            return response.status, response.read()

    def log_in(self, username: str, password: str) -> None:
        self.open("/accounts/login/")
        form = {"username": username, "password": password, "csrfmiddlewaretoken": self.csrf()}
        status, page = self.open("/accounts/login/", data=urllib.parse.urlencode(form).encode())
        assert status == 200 and b"Log out" in page, page[:2000]


def test_a_signed_in_browser_sees_its_own_writes_on_the_pages_while_the_replica_lags(pair):
    browser = Browser(pair["site"])
    browser.log_in("lab-contributor", "lab-password-for-pages")  # a new session, read from the primary
    with replay_paused(pair["standby"]):
        status, body = browser.open("/api/v1/submissions/", data=json.dumps(PROPOSAL).encode(),
                                    headers={"Content-Type": "application/json", "X-CSRFToken": browser.csrf()})
        assert status == 201
        created = json.loads(body)["id"]
        status, page = browser.open("/me/submissions/")
        assert status == 200 and f"#{created} ".encode() in page


def test_reads_fall_back_to_the_primary_while_the_replica_is_down(pair):
    site, primary, standby, contributor = pair["site"], pair["primary"], pair["standby"], pair["contributor"]
    standby.stop()
    try:
        primary.sql("UPDATE adoption_organization SET name = 'Lab Org Moved' WHERE slug = 'lab-org'")
        for _ in range(4):  # both workers
            assert org_name(site) == "Lab Org Moved"
            assert site.get("/adoptions/")[0] == 200
            assert call(site, "GET", "/api/v1/submissions/", token=contributor)[0] == 200
    finally:
        standby.start()
    # Back: after its short back-off, each process reads from the replica again.
    with replay_paused(standby):
        primary.sql("UPDATE adoption_organization SET name = 'Lab Org Back' WHERE slug = 'lab-org'")
        wait_for(lambda: all(org_name(site) == "Lab Org Moved" for _ in range(4)), timeout=30,
                 what="both processes to read from the replica again")
