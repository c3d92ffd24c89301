"""No dead links: starting at `/`, follow every internal link of every page reachable from it, anonymously,
as a contributor and as a curator, and expect no 404 (nor another dead end: 400, 405, 5xx) anywhere.

The registry is the reference data (real records with their evidence, checkpoints, partners and
developers) plus what only signed-in users see: a draft proposing a new organization, records submitted,
in review, sent back, rejected, retracted, a pending correction and a merged organization. A crawl visits
each kind of link a few times, a kind being (the page's URL pattern, the link's URL pattern, its query
parameter names), so paginated lists, sort orders and hundreds of records do not multiply the visits while
every kind of page is still reached. Static files are not served in tests (no collectstatic): they are
checked against the static finders instead.
"""

import json
from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import Resolver404, resolve

from adoption.choices import EvidenceKind, Relation, Stage, Status
from adoption.models import Adoption, Country, ModelFamily, Organization
from adoption.services import change_requests, moderation, records
from tests.factories import OrganizationFactory

VISITS_PER_KIND = 3
MAX_REQUESTS = 1500  # per user; a safety net, far above what the kinds allow
HOST = "testserver"
SKIPPED_PREFIXES = ("/admin/",)  # Django's own admin; only its login page is ours to link
ALLOWED_UNDER_SKIPPED = ("/admin/login/",)
# 401 and 403 say "not you", not "nowhere"; an API answer also names endpoints that only take a POST
# (the token exchange), so 405 is fine there. Any other 4xx or 5xx is a dead end.
NOT_DEAD = (401, 403)
NOT_DEAD_IN_API = (401, 403, 405)


class _Links(HTMLParser):
    """The URLs a browser would GET from a page: links, stylesheets, icons, images, scripts, GET forms."""

    ATTRIBUTES = {"a": "href", "link": "href", "img": "src", "script": "src", "iframe": "src", "source": "src"}

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            if (attrs.get("method") or "get").lower() == "get" and attrs.get("action"):
                self.found.append(attrs["action"])
        elif (value := attrs.get(self.ATTRIBUTES.get(tag, ""))) is not None:
            self.found.append(value)


def _html_links(body: str) -> list[str]:
    parser = _Links()
    parser.feed(body)
    return parser.found


def _json_links(data) -> list[str]:
    """Internal URLs in a JSON answer (the API root and `next` links name them absolutely)."""
    if isinstance(data, dict):
        return [link for value in data.values() for link in _json_links(value)]
    if isinstance(data, list):
        return [link for value in data for link in _json_links(value)]
    if isinstance(data, str) and (data.startswith(f"http://{HOST}/") or data.startswith("/api/")):
        return [data]
    return []


def _internal(base: str, href: str) -> str | None:
    """The path and query `href` leads to on this site, or None for other sites, mailto:, fragments."""
    href = (href or "").strip()
    if not href or href.startswith("#"):
        return None
    parts = urlsplit(urljoin(f"http://{HOST}{base}", href))
    if parts.scheme not in ("http", "https") or parts.hostname != HOST:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _route(path: str) -> str:
    try:
        return resolve(path).route
    except Resolver404:
        return f"unresolved {path}"


def _view_name(path: str) -> str:
    try:
        return resolve(path).view_name
    except Resolver404:
        return path


def _kind(referrer: str, url: str) -> tuple:
    parts = urlsplit(url)
    return _route(urlsplit(referrer).path), _route(parts.path), tuple(sorted({k for k, _ in parse_qsl(parts.query)}))


def crawl(client: Client) -> tuple[list[tuple[str, str, int]], Counter, Counter]:
    """Breadth-first from `/`: [(page, link, status)] for every link that fails, the statuses
    seen and the views that answered 200. Redirects are followed as links of the page that gave them."""
    failures, statuses, pages, seen, per_kind = [], Counter(), Counter(), {"/"}, Counter()
    queue = deque([("(start)", "/", NOT_DEAD)])
    static = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else f"/{settings.STATIC_URL}"
    while queue and sum(statuses.values()) < MAX_REQUESTS:
        referrer, url, not_dead = queue.popleft()
        path = urlsplit(url).path
        if path.startswith(static):
            if not finders.find(path.removeprefix(static)):
                failures.append((referrer, url, 404))
            continue
        response = client.get(url)
        statuses[response.status_code] += 1
        if response.status_code == 200:
            pages[_view_name(path)] += 1
        if response.status_code >= 400 and response.status_code not in not_dead:
            failures.append((referrer, url, response.status_code))
            continue
        if response.streaming:  # an export: read it to the end (an error mid-stream is a failure too)
            b"".join(response.streaming_content)
            continue
        content_type = response.get("Content-Type", "")
        if response.status_code in (301, 302, 303, 307, 308):
            found, accepted = [response["Location"]], not_dead
        elif "text/html" in content_type:
            found, accepted = _html_links(response.content.decode()), NOT_DEAD
        elif "json" in content_type:
            found, accepted = _json_links(json.loads(response.content or b"null")), NOT_DEAD_IN_API
        else:
            continue
        for href in found:
            link = _internal(url, href)
            if link is None or link in seen:
                continue
            if link.startswith(SKIPPED_PREFIXES) and not link.startswith(ALLOWED_UNDER_SKIPPED):
                continue
            kind = _kind(url, link)
            if per_kind[kind] >= VISITS_PER_KIND:
                continue
            per_kind[kind] += 1
            seen.add(link)
            queue.append((url, link, accepted))
    return failures, statuses, pages


@pytest.fixture(scope="module")
def reference_registry(reference_data):
    """The reference data, loaded once for the module (tests/conftest.py)."""
    return reference_data


def _source(n: int) -> list[dict]:
    return [{"url": f"https://example.org/crawl-source-{n}", "kind": EvidenceKind.OFFICIAL_ANNOUNCEMENT,
             "title": "Announcement", "publisher": "Example", "quote": "We build on it."}]


@pytest.fixture
def private_records(reference_registry, contributor, curator, second_curator):
    """What only signed-in users see, made through the services as the pages would."""
    qwen, llama = ModelFamily.objects.get(slug="qwen"), ModelFamily.objects.get(slug="llama")
    adopter = Adoption.objects.published().select_related("adopter").first().adopter
    content = {"family": qwen, "relation": Relation.FINE_TUNE, "stage": Stage.PILOT, "started_on": "2025-06"}

    def propose(n, **extra):
        data = {**content, "adopter": adopter, "product_name": f"Crawl product {n}", **extra}
        return records.adoption_create(user=contributor, data=data, evidence=_source(n))

    new_adopter = {"name": "Kigali Speech Co-op", "kind": "startup", "country": Country.objects.get(iso2="RW"),
                   "city": "Kigali"}
    records.adoption_create(user=contributor, data={**content, "product_name": "Draft with a new adopter"},
                            evidence=_source(0), new_adopter=new_adopter)
    moderation.adoption_submit(adoption=propose(1), user=contributor)
    moderation.adoption_claim(adoption=moderation.adoption_submit(adoption=propose(2), user=contributor),
                              user=curator)
    sent_back = moderation.adoption_claim(adoption=moderation.adoption_submit(adoption=propose(3), user=contributor),
                                          user=curator)
    moderation.adoption_request_changes(adoption=sent_back, user=curator, comment="Cite the model card, please.")
    rejected = moderation.adoption_claim(adoption=moderation.adoption_submit(adoption=propose(4), user=contributor),
                                         user=curator)
    moderation.adoption_reject(adoption=rejected, user=curator, comment="Not an adoption.")
    retracted = Adoption.objects.published().filter(family=llama).first()
    moderation.adoption_retract(adoption=retracted, user=second_curator, comment="The source was withdrawn.")
    corrected = Adoption.objects.published().exclude(pk=retracted.pk).first()
    change_requests.change_request_create(adoption=corrected, user=contributor, proposed={"stage": Stage.PRODUCTION},
                                     comment="It is in production now.")
    OrganizationFactory(name=f"{adopter.name} (old name)", slug="crawl-merged", merged_into=adopter,
                        country=adopter.country)
    assert Adoption.objects.filter(status=Status.DRAFT).exists()
    assert Organization.objects.filter(is_published=False).exists()


PUBLIC_PAGES = {
    "adoption:home", "adoption:map", "adoption:map-svg", "adoption:adoption-list", "adoption:adoption-detail",
    "adoption:organization-list", "adoption:organization-detail", "adoption:family-list", "adoption:family-detail",
    "adoption:country-list", "adoption:country-detail", "login", "api-docs", "api:root", "api:maps-adoption",
}
SIGNED_IN_PAGES = {
    *PUBLIC_PAGES - {"login"}, "account", "adoption:contribute", "adoption:my-submissions",
    "adoption:propose-change", "api-token", "password_change",
}
PAGES = {
    "anonymous": {*PUBLIC_PAGES, "signup", "password_reset"},
    "contributor": {*SIGNED_IN_PAGES, "adoption:submission-edit"},
    "curator": {*SIGNED_IN_PAGES, "adoption:moderation-queue", "adoption:moderation-review",
                "adoption:change-request-review"},
}


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "contributor", "curator"])
def test_no_link_leads_nowhere(private_records, who, request, signed_in):
    client = Client() if who == "anonymous" else signed_in(request.getfixturevalue(who))
    failures, statuses, pages = crawl(client)
    # Every kind of page was reached, so "no failure" means something.
    assert not PAGES[who] - set(pages), sorted(PAGES[who] - set(pages))
    assert not failures, "\n".join(f"{status} {link}  (linked from {page})" for page, link, status in failures)
