"""The Atom feed: publications, changes and retractions, newest first, with the adoption list's filters."""

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from adoption.choices import Relation, Status
from adoption.models import ModerationEvent
from adoption.selectors import PUBLIC_EVENTS
from adoption.selectors.events import EVENT_KINDS
from adoption.services import change_requests, moderation
from tests.factories import AdoptionFactory, CountryFactory, ModelFamilyFactory, OrganizationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

ATOM = "{http://www.w3.org/2005/Atom}"
FEED = "/feeds/adoptions.atom"


def parse(response) -> ET.Element:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314 -- our own feed, parsed to check it
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{name}") is not None and root.find(f"{ATOM}{name}").text, name
    assert root.find(f"{ATOM}id").text.startswith("http://testserver/")  # an absolute IRI
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert entry.find(f"{ATOM}{name}").text, name
        assert entry.find(f"{ATOM}id").text.startswith("tag:testserver,")
        assert entry.find(f"{ATOM}link").get("href")
    return root


def entries(root) -> list[dict]:
    return [
        {"id": entry.find(f"{ATOM}id").text, "title": entry.find(f"{ATOM}title").text,
         "link": entry.find(f"{ATOM}link").get("href"), "updated": entry.find(f"{ATOM}updated").text,
         "summary": entry.find(f"{ATOM}summary").text or ""}
        for entry in root.findall(f"{ATOM}entry")
    ]


@pytest.fixture
def catalogue():
    aisg = OrganizationFactory(name="AI Singapore", slug="ai-singapore", country=CountryFactory())
    kenya = CountryFactory(iso2="KE", iso3="KEN", numeric="404", name="Kenya")
    jacaranda = OrganizationFactory(name="Jacaranda Health", slug="jacaranda", country=kenya)
    qwen = ModelFamilyFactory(slug="qwen", name="Qwen")
    llama = ModelFamilyFactory(slug="llama", name="Llama")
    return {"aisg": aisg, "jacaranda": jacaranda, "qwen": qwen, "llama": llama}


def publish(curator, **fields):
    record = AdoptionFactory(status=Status.IN_REVIEW, **fields)
    return moderation.adoption_approve(adoption=record, user=curator)


def at(record, action, when):
    """Put an event of the record at a known time (events made in one test share a second)."""
    ModerationEvent.objects.filter(adoption=record, action=action).update(created_at=when)


def test_every_public_event_has_a_kind():
    assert set(EVENT_KINDS) == PUBLIC_EVENTS


def test_feed_lists_publications_changes_and_retractions_newest_first(client, catalogue, curator, contributor):
    base = timezone.now() - datetime.timedelta(days=3)
    first = publish(curator, adopter=catalogue["aisg"], family=catalogue["qwen"], relation=Relation.FINE_TUNE)
    at(first, "approve", base)
    second = publish(curator, adopter=catalogue["jacaranda"], family=catalogue["llama"], created_by=contributor)
    at(second, "approve", base + datetime.timedelta(hours=1))
    proposal = change_requests.change_request_create(adoption=first, user=contributor, proposed={"stage": "pilot"})
    change_requests.change_request_approve(change_request=proposal, user=curator)
    at(first, "change_approved", base + datetime.timedelta(hours=2))
    moderation.adoption_retract(adoption=second, user=curator, comment="The source was withdrawn.")
    at(second, "retract", base + datetime.timedelta(hours=3))

    found = entries(parse(client.get(FEED)))

    assert [entry["title"] for entry in found] == [
        "Retracted: Jacaranda Health builds on Llama (fine-tune)",
        "Changed: AI Singapore builds on Qwen (fine-tune)",
        "Published: Jacaranda Health builds on Llama (fine-tune)",
        "Published: AI Singapore builds on Qwen (fine-tune)",
    ]
    assert [entry["link"] for entry in found] == [
        f"http://testserver/adoptions/{pk}/" for pk in (second.pk, first.pk, second.pk, first.pk)
    ]
    assert len({entry["id"] for entry in found}) == 4  # one id per event, not per record
    assert found[0]["updated"].startswith((base + datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    assert "The source was withdrawn." in found[0]["summary"]  # a retraction's reason is public
    assert "stage" in found[1]["summary"]


def test_drafts_and_unpublished_records_never_appear(client, catalogue, curator, contributor):
    AdoptionFactory(status=Status.DRAFT, adopter=catalogue["aisg"], family=catalogue["qwen"], created_by=contributor)
    submitted = AdoptionFactory(status=Status.DRAFT, adopter=catalogue["aisg"], family=catalogue["llama"],
                                created_by=contributor, product_name="Secret draft")
    from tests.factories import EvidenceFactory

    EvidenceFactory(adoption=submitted)
    moderation.adoption_submit(adoption=submitted, user=contributor)
    moderation.adoption_claim(adoption=submitted, user=curator)
    moderation.adoption_request_changes(adoption=submitted, user=curator, comment="Private remark")
    assert ModerationEvent.objects.count() == 3

    body = client.get(FEED)
    root = parse(body)
    assert entries(root) == []
    assert b"Secret draft" not in body.content and b"Private remark" not in body.content


def test_filters_are_the_lists_filters(client, catalogue, curator):
    publish(curator, adopter=catalogue["aisg"], family=catalogue["qwen"])
    publish(curator, adopter=catalogue["jacaranda"], family=catalogue["llama"])

    def titles(query):
        return [entry["title"] for entry in entries(parse(client.get(FEED + query)))]

    assert titles("?family=QWEN") == ["Published: AI Singapore builds on Qwen (fine-tune)"]
    assert titles("?country=ke") == ["Published: Jacaranda Health builds on Llama (fine-tune)"]
    assert titles("?region=35") == ["Published: AI Singapore builds on Qwen (fine-tune)"]
    assert titles("?adopter=jacaranda&family=qwen") == []
    assert len(titles("?family=qwen,llama")) == 2
    root = parse(client.get(FEED + "?family=qwen"))
    assert root.find(f"{ATOM}link[@rel='alternate']").get("href") == "http://testserver/adoptions/?family=qwen"


@pytest.mark.parametrize("query", ["?family=nope", "?colour=red", "?relation=fork", "?ordering=id", "?page=2",
                                   "?since=2025-13"])
def test_bad_filters_answer_400_naming_the_parameter(client, query):
    response = client.get(FEED + query)
    assert response.status_code == 400
    assert response.content.decode().startswith(query[1:].split("=")[0] + ":")


def test_user_text_is_escaped(client, catalogue, curator):
    adopter = OrganizationFactory(name="Lab <b>&</b> Co", slug="lab", country=CountryFactory())
    publish(curator, adopter=adopter, family=catalogue["qwen"], summary="<script>alert(1)</script>",
            product_name="P&Q")
    response = client.get(FEED)
    assert b"<script>" not in response.content
    (entry,) = entries(parse(response))
    assert entry["title"] == "Published: Lab <b>&</b> Co builds on Qwen (fine-tune)"  # plain text, parsed back
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in entry["summary"]  # HTML-escaped inside the HTML summary
    assert "P&amp;Q" in entry["summary"]


def test_the_feed_is_linked_from_every_filtered_page(client, catalogue, curator):
    publish(curator, adopter=catalogue["aisg"], family=catalogue["qwen"])
    pages = {
        "/adoptions/?family=qwen&ordering=-started_on&page=1": "/feeds/adoptions.atom?family=qwen",
        "/adoptions/": "/feeds/adoptions.atom",
        "/organizations/ai-singapore/": "/feeds/adoptions.atom?adopter=ai-singapore",
        "/families/qwen/": "/feeds/adoptions.atom?family=qwen",
        "/countries/SG/": "/feeds/adoptions.atom?country=SG",
        "/map/?family=qwen&split=family": "/feeds/adoptions.atom?family=qwen",
    }
    for page, feed in pages.items():
        html = client.get(page).content.decode()
        head = html.split("</head>")[0]
        assert '<link rel="alternate" type="application/atom+xml"' in head, page
        assert f'href="{feed}"' in head, page
        assert client.get(feed).status_code == 200
    body = client.get("/adoptions/?family=qwen").content.decode().split("</head>")[1]
    assert 'href="/feeds/adoptions.atom?family=qwen"' in body  # a visible link too
