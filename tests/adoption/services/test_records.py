"""Drafts with evidence and proposed adopters, duplicates at submission, and change requests."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from adoption import selectors
from adoption.choices import Action, ChangeRequestStatus, Confidence, EvidenceKind, Relation, Stage, Status
from adoption.models import Adoption, ChangeRequest, ModerationEvent, Organization
from adoption.services import catalogue, change_requests, moderation, records
from adoption.services.errors import ActionForbidden, StaleVersion, TransitionNotAllowed
from tests.factories import (
    AdoptionFactory,
    CheckpointFactory,
    CountryFactory,
    EvidenceFactory,
    ModelFamilyFactory,
    OrganizationFactory,
)

# The demo runs on SQLite: these run there too (make test's second run).
pytestmark = pytest.mark.both_databases

SOURCE = {"url": "https://example.org/announcement", "kind": EvidenceKind.PRESS, "title": "Launch"}


@pytest.fixture
def family(db):
    return ModelFamilyFactory(slug="qwen", name="Qwen")


@pytest.fixture
def adopter(db):
    return OrganizationFactory(name="AI Singapore", slug="ai-singapore", aliases=["AISG"])


def data(adopter, family, **extra):
    return {"adopter": adopter, "family": family, "relation": Relation.FINE_TUNE, "product_name": "SEA-LION",
            "started_on": "2025-03", **extra}


@pytest.mark.django_db
def test_create_makes_a_draft_with_evidence_an_event_and_derived_confidence(contributor, adopter, family):
    model_card = {"url": "http://hf.co/aisingapore/sea-lion", "kind": EvidenceKind.MODEL_CARD}
    record = records.adoption_create(user=contributor, data=data(adopter, family), evidence=[SOURCE, model_card])
    assert record.status == Status.DRAFT
    assert record.created_by == contributor
    assert (record.started_on, record.started_precision) == (datetime.date(2025, 3, 1), "month")
    assert record.evidence.count() == 2
    assert record.confidence == Confidence.HIGH  # the model card outranks the press
    assert list(record.events.values_list("action", "to_status")) == [(Action.CREATE, Status.DRAFT)]
    assert record.history.first().history_user == contributor


@pytest.mark.django_db
def test_create_and_submit_at_once(contributor, adopter, family):
    record = records.adoption_create(user=contributor, data=data(adopter, family), evidence=[SOURCE], submit=True)
    assert record.status == Status.SUBMITTED
    assert record.submitted_at is not None
    assert list(record.events.values_list("action", flat=True)) == [Action.CREATE, Action.SUBMIT]


@pytest.mark.django_db
def test_submitting_without_evidence_is_refused_and_nothing_is_saved(contributor, adopter, family):
    with pytest.raises(ValidationError) as refused:
        records.adoption_create(user=contributor, data=data(adopter, family), evidence=[], submit=True)
    assert "evidence" in refused.value.message_dict
    assert not Adoption.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["example.org/page", "", "http://"])
def test_evidence_must_be_an_http_or_https_address(contributor, adopter, family, url):
    with pytest.raises(ValidationError) as refused:
        records.adoption_create(user=contributor, data=data(adopter, family), evidence=[{"url": url}])
    assert refused.value.message_dict["evidence"] == [
        "Source 1: Enter a full web address starting with http:// or https://."
    ]
    assert not Adoption.objects.exists()


NEVER_EVIDENCE = [
    ("ftp://example.org/file", "only http:// and https://"),
    ("javascript:alert(1)", "only http:// and https://"),
    ("file:///etc/passwd", "only http:// and https://"),
    ("http://127.0.0.1/admin", "non-public address (127.0.0.1)"),
    ("http://127.1/", "non-public address (127.0.0.1)"),
    ("http://0x7f000001/", "non-public address (127.0.0.1)"),
    ("http://2130706433/", "non-public address (127.0.0.1)"),
    ("http://0177.0.0.1/", "non-public address (127.0.0.1)"),
    ("http://[::1]:8000/", "non-public address (::1)"),
    ("http://[::ffff:127.0.0.1]/", "non-public address (::ffff:127.0.0.1)"),
    ("http://[::]/", "non-public address (::)"),
    ("http://0.0.0.0/", "non-public address (0.0.0.0)"),
    ("http://10.1.2.3/", "non-public address (10.1.2.3)"),
    ("https://192.168.1.1/router", "non-public address (192.168.1.1)"),
    ("http://169.254.169.254/latest/meta-data/", "non-public address (169.254.169.254)"),
    ("http://[fe80::1]/", "non-public address (fe80::1)"),
    ("http://224.0.0.1/", "non-public address (224.0.0.1)"),
    ("http://240.0.0.1/", "non-public address (240.0.0.1)"),
    ("http://localhost:8000/admin/", "localhost"),
    ("http://api.localhost/", "localhost"),
    ("https://user:secret@example.org/card", "user name or password"),
    ("https://token@example.org/card", "user name or password"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "reason"), NEVER_EVIDENCE)
def test_an_address_that_can_never_be_evidence_is_refused_naming_it(contributor, adopter, family, url, reason):
    with pytest.raises(ValidationError) as refused:
        records.adoption_create(user=contributor, data=data(adopter, family), evidence=[SOURCE, {"url": url}])
    [message] = refused.value.message_dict["evidence"]
    assert message.startswith(f"Source 2: {url} cannot be a source: ") and reason in message
    assert not Adoption.objects.exists()


@pytest.mark.django_db
def test_editing_a_draft_refuses_a_private_address_too(contributor, adopter, family):
    record = records.adoption_create(user=contributor, data=data(adopter, family), evidence=[SOURCE])
    with pytest.raises(ValidationError) as refused:
        records.adoption_update(adoption=record, user=contributor, data={}, evidence=[{"url": "http://10.0.0.7/"}])
    assert "http://10.0.0.7/ cannot be a source" in refused.value.message_dict["evidence"][0]
    assert list(record.evidence.values_list("url", flat=True)) == [SOURCE["url"]]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["https://8.8.8.8/page", "https://[2606:4700::1111]/", "https://intranet.example/",
                                 "https://localhost.example.org/"])
def test_public_literal_addresses_and_any_name_are_left_to_the_link_checker(contributor, adopter, family, url):
    record = records.adoption_create(user=contributor, data=data(adopter, family), evidence=[{"url": url}])
    assert record.evidence.get().url == url


@pytest.mark.django_db
def test_errors_come_back_keyed_by_field(contributor, family):
    with pytest.raises(ValidationError) as refused:
        records.adoption_create(
            user=contributor, data={"family": family, "relation": "telepathy", "started_on": "2025-13",
                                    "languages": ["English!"]},
            evidence=[],
        )
    errors = refused.value.message_dict
    assert {"adopter", "relation", "started_on", "languages"} <= set(errors)


@pytest.mark.django_db
def test_checkpoint_must_belong_to_the_family(contributor, adopter, family):
    other = CheckpointFactory(repo_id="meta-llama/Llama-3.1-8B")
    with pytest.raises(ValidationError) as refused:
        records.adoption_create(user=contributor, data=data(adopter, family, checkpoint=other), evidence=[SOURCE])
    assert "another family" in refused.value.message_dict["checkpoint"][0]


@pytest.mark.django_db
def test_a_proposed_adopter_stays_unpublished_until_approval(contributor, curator, family):
    singapore = CountryFactory()
    record = records.adoption_create(
        user=contributor, data=data(None, family), evidence=[SOURCE],
        new_adopter={"name": "Lion Labs", "kind": "startup", "country": singapore, "city": "Singapore"},
        submit=True,
    )
    org = Organization.objects.get(name="Lion Labs")
    assert record.adopter == org and not org.is_published and org.created_by == contributor
    assert org not in Organization.objects.published()
    moderation.adoption_claim(adoption=record, user=curator)
    moderation.adoption_approve(adoption=record, user=curator)
    org.refresh_from_db()
    assert org.is_published


@pytest.mark.django_db
def test_a_proposed_adopter_already_published_is_named_not_a_dead_end(contributor, adopter, family):
    organizations = Organization.objects.count()
    record = records.adoption_create(user=contributor, data=data(None, family), evidence=[SOURCE],
                                     new_adopter={"name": "ai  singapore", "country": adopter.country})
    by_alias = records.adoption_create(user=contributor, data=data(None, family), evidence=[SOURCE],
                                       new_adopter={"name": "A.I.S.G."})
    assert record.adopter == adopter and by_alias.adopter == adopter
    assert Organization.objects.count() == organizations
    adopter.refresh_from_db()
    assert adopter.name == "AI Singapore" and adopter.created_by is None  # a published one is not re-proposed


@pytest.mark.django_db
def test_someone_elses_unpublished_organization_cannot_be_the_adopter(contributor, other_contributor, family):
    theirs = OrganizationFactory(is_published=False, created_by=other_contributor)
    with pytest.raises(ValidationError) as refused:
        records.adoption_create(user=contributor, data=data(theirs, family), evidence=[SOURCE])
    assert "adopter" in refused.value.message_dict


# A proposed organization is shared, not owned (DESIGN §2)


@pytest.fixture
def rwanda(db):
    return CountryFactory(iso2="RW", iso3="RWA", numeric="646", name="Rwanda")


@pytest.fixture
def kenya(db):
    return CountryFactory(iso2="KE", iso3="KEN", numeric="404", name="Kenya")


def propose(user, family, name, country, *, submit=True, **details):
    return records.adoption_create(
        user=user, data=data(None, family, product_name="Kinyarwanda speech recognition"), evidence=[SOURCE],
        new_adopter={"name": name, "country": country, **details}, submit=submit,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("alices", ["pending", "rejected", "withdrawn"])
@pytest.mark.parametrize("bobs_name", ["kigali  speech co-op", "Kigali Spéech Co-óp", "KIGALI SPEECH COOP", "KSC"])
def test_a_later_proposal_of_the_same_organization_names_it(
    contributor, other_contributor, curator, family, rwanda, alices, bobs_name
):
    alice, bob = contributor, other_contributor
    first = propose(alice, family, "Kigali Speech Co-op", rwanda, kind="ngo", city="Kigali")
    org = catalogue.organization_update(organization=first.adopter, user=curator, data={"aliases": ["KSC"]})
    if alices == "rejected":
        moderation.adoption_claim(adoption=first, user=curator)
        moderation.adoption_reject(adoption=first, user=curator, comment="No source says so.")
    elif alices == "withdrawn":
        moderation.adoption_withdraw(adoption=first, user=alice)
    organizations = Organization.objects.count()

    second = propose(bob, family, bobs_name, rwanda, kind="startup", city="Musanze")

    assert second.adopter_id == org.pk and second.status == Status.SUBMITTED
    assert Organization.objects.count() == organizations
    assert selectors.adoption_duplicates(second, viewer=bob) == []  # Bob learns nothing of Alice's record
    org.refresh_from_db()
    if alices == "pending":  # Alice's proposal still stands as she made it
        assert (org.name, org.kind, org.city, org.created_by) == ("Kigali Speech Co-op", "ngo", "Kigali", alice)
        assert [row["adoption"] for row in selectors.adoption_duplicates(second)] == [first]  # the curator's view
    else:  # nobody else's live record names it: Bob's proposal refreshes it (the name matched already)
        assert (org.name, org.kind, org.city, org.created_by) == ("Kigali Speech Co-op", "startup", "Musanze", bob)
    assert not org.is_published
    moderation.adoption_claim(adoption=second, user=curator)
    moderation.adoption_approve(adoption=second, user=curator)
    org.refresh_from_db()
    assert org.is_published  # with the first approved record that names it


@pytest.mark.django_db
def test_the_same_name_in_another_country_is_another_organization(contributor, other_contributor, family, rwanda,
                                                                  kenya):
    first = propose(contributor, family, "Kigali Speech Co-op", rwanda)
    second = propose(other_contributor, family, "Kigali Speech Co-op", kenya)
    assert second.adopter != first.adopter
    assert (second.adopter.name, second.adopter.country_id, second.adopter.is_published) == (
        "Kigali Speech Co-op", "KE", False)
    assert second.adopter.slug != first.adopter.slug
    # Without a country the name alone cannot say which one: ask, rather than guess.
    with pytest.raises(ValidationError) as refused:
        propose(other_contributor, family, "kigali speech co-op", None)
    assert refused.value.message_dict["new_adopter"] == [
        "Several organizations are called kigali speech co-op: give the country to say which."
    ]


@pytest.mark.django_db
def test_a_proposal_without_a_country_names_the_one_organization_so_called(contributor, other_contributor, family,
                                                                           rwanda):
    first = propose(contributor, family, "Kigali Speech Co-op", rwanda)
    assert propose(other_contributor, family, "Kigali Speech Co-op", None).adopter == first.adopter


@pytest.mark.django_db
def test_a_joined_proposal_stays_usable_by_its_new_contributor(contributor, other_contributor, family, rwanda):
    first = propose(contributor, family, "Kigali Speech Co-op", rwanda)
    draft = propose(other_contributor, family, "Kigali Speech Co-op", rwanda, submit=False)
    edited = records.adoption_update(adoption=draft, user=other_contributor,
                                     data={"adopter": first.adopter, "summary": "Speech recognition."})
    assert moderation.adoption_submit(adoption=edited, user=other_contributor).status == Status.SUBMITTED
    assert first.adopter in Organization.objects.selectable_by(other_contributor)


@pytest.mark.django_db
def test_anonymous_cannot_create(adopter, family):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(ActionForbidden):
        records.adoption_create(user=AnonymousUser(), data=data(adopter, family), evidence=[SOURCE])


@pytest.mark.django_db
def test_update_edits_a_draft_replaces_evidence_and_keeps_link_health(contributor, adopter, family):
    record = records.adoption_create(user=contributor, data=data(adopter, family), evidence=[SOURCE])
    record.evidence.update(link_status="ok")
    new_source = {"url": "https://example.org/second", "kind": EvidenceKind.OFFICIAL_ANNOUNCEMENT}
    updated = records.adoption_update(
        adoption=record, user=contributor, data={"stage": Stage.PILOT}, evidence=[SOURCE, new_source],
        expected_version=record.version,
    )
    assert updated.stage == Stage.PILOT and updated.version == record.version + 1
    assert dict(updated.evidence.values_list("url", "link_status")) == {
        SOURCE["url"]: "ok", new_source["url"]: "unchecked",
    }
    assert updated.confidence == Confidence.HIGH
    assert updated.events.last().action == Action.EDIT


@pytest.mark.django_db
def test_stale_edit_is_refused_naming_who_changed_it(contributor, curator, adopter, family):
    record = records.adoption_create(user=contributor, data=data(adopter, family), evidence=[SOURCE])
    seen = record.version
    records.adoption_update(adoption=record, user=curator, data={"summary": "Curator's fix"}, expected_version=seen)
    with pytest.raises(StaleVersion, match="by cura"):
        records.adoption_update(adoption=record, user=contributor, data={"summary": "Mine"}, expected_version=seen)
    record.refresh_from_db()
    assert record.summary == "Curator's fix"


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.IN_REVIEW, Status.PUBLISHED, Status.REJECTED])
def test_only_drafts_and_records_sent_back_can_be_edited(contributor, status):
    record = AdoptionFactory(status=status, created_by=contributor)
    with pytest.raises(TransitionNotAllowed):
        records.adoption_update(adoption=record, user=contributor, data={"summary": "changed"})
    record.refresh_from_db()
    assert record.summary == ""


@pytest.mark.django_db
def test_others_cannot_edit_a_draft(contributor, other_contributor):
    record = AdoptionFactory(status=Status.DRAFT, created_by=contributor)
    with pytest.raises(ActionForbidden):
        records.adoption_update(adoption=record, user=other_contributor, data={"summary": "mine now"})


# Duplicates


@pytest.mark.django_db
def test_duplicates_same_adopter_and_family_and_similar_product_names(contributor, adopter, family):
    existing = AdoptionFactory(adopter=adopter, family=family, product_name="SEA-LION v3", published=True)
    other_product = AdoptionFactory(adopter=adopter, family=family, product_name="Something else entirely",
                                    published=True)
    # another adopter, the same product name
    elsewhere = AdoptionFactory(family=family, product_name="Sea Lion", published=True)
    AdoptionFactory(adopter=adopter, product_name="SEA-LION", published=True)  # another family: a different adoption
    record = records.adoption_create(user=contributor, data=data(adopter, family), evidence=[SOURCE])
    found = {row["adoption"]: row["reasons"] for row in selectors.adoption_duplicates(record)}
    assert list(found) == [existing, other_product, elsewhere]  # the most reasons first
    assert found[existing] == ["same adopter and family", "similar product name 'SEA-LION v3'"]
    assert found[other_product] == ["same adopter and family"]  # a reason on its own
    assert found[elsewhere] == ["similar product name 'Sea Lion'"]


@pytest.mark.django_db
def test_same_adopter_and_family_without_a_product_name(contributor, adopter, family):
    existing = AdoptionFactory(adopter=adopter, family=family, product_name="Sunflower-14B / Sunflower-32B",
                               published=True)
    record = records.adoption_create(user=contributor, data=data(adopter, family, product_name=""), evidence=[SOURCE])
    assert [row["adoption"] for row in selectors.adoption_duplicates(record)] == [existing]


@pytest.mark.django_db
def test_product_similarity_on_sqlite_matches_pg_trgm(contributor, adopter, family, monkeypatch):
    """The SQLite demo computes pg_trgm's similarity in Python: the same figures, the same duplicates."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("compares with PostgreSQL's own pg_trgm")
    pairs = [("SEA-LION", "SEA-LION v3"), ("Qwen", "Qwen-SEA-LION-v4"), ("Sunflower", "Sunflower-14B / Sunflower-32B"),
             ("Typhoon 2", "typhoon2"), ("Sahabat-AI", "Sahabat AI 70B"), ("", "x"), ("Café_Bot", "cafe bot")]
    with connection.cursor() as cursor:
        for a, b in pairs:
            cursor.execute("SELECT similarity(%s, %s)", [a, b])
            assert selectors.trigram_similarity(a, b) == pytest.approx(cursor.fetchone()[0], abs=1e-6), (a, b)
    AdoptionFactory(family=family, product_name="SEA-LION v3", published=True)
    AdoptionFactory(family=family, product_name="Qwen-SEA-LION-v4", published=True)
    AdoptionFactory(family=family, product_name="Qwen Chat", published=True)
    record = records.adoption_create(user=contributor, data=data(adopter, family), evidence=[SOURCE])
    on_postgresql = selectors.adoption_duplicates(record)
    monkeypatch.setattr(connection, "vendor", "sqlite")
    assert selectors.adoption_duplicates(record) == on_postgresql
    assert [row["adoption"].product_name for row in on_postgresql] == ["SEA-LION v3", "Qwen-SEA-LION-v4"]


@pytest.mark.django_db
@pytest.mark.parametrize("theirs", [
    "https://www.Example.org/announcement/",
    "http://example.org/announcement#section-2",
    "https://example.org:443/announcement?utm_source=x&utm_medium=social&fbclid=abc&gclid=1",
    "https://EXAMPLE.org./announcement/?",
])
def test_duplicates_by_shared_source_url_in_another_spelling(contributor, adopter, family, theirs):
    other = AdoptionFactory(product_name="Unrelated", published=True)
    EvidenceFactory(adoption=other, url=theirs)
    record = records.adoption_create(user=contributor, data=data(adopter, family), evidence=[SOURCE])
    found = selectors.adoption_duplicates(record)
    assert [row["adoption"] for row in found] == [other]
    assert found[0]["reasons"] == [f"cites the same source {SOURCE['url']}"]


def test_normal_url_keeps_what_names_the_page():
    assert selectors.normal_url("https://www.example.org/a/?b=2&a=1&utm_campaign=x#top") == "example.org/a?a=1&b=2"
    assert selectors.normal_url("http://example.org:8080/a") == "example.org:8080/a"
    assert selectors.normal_url("https://example.org/a?id=1") != selectors.normal_url("https://example.org/a?id=2")
    assert selectors.normal_url("https://example.org/A") != selectors.normal_url("https://example.org/a")


@pytest.mark.django_db
def test_duplicates_by_near_identical_adopter_name_or_alias(contributor, family):
    aisg = OrganizationFactory(name="AI Singapore", aliases=["AISG"])
    existing = AdoptionFactory(adopter=aisg, family=family, product_name="Other", published=True)
    by_alias = records.adoption_create(
        user=contributor, data=data(None, family), evidence=[SOURCE], new_adopter={"name": "A.I.S.G."},
    )
    assert [row["adoption"] for row in selectors.adoption_duplicates(by_alias)] == [existing]
    by_name = records.adoption_create(
        user=contributor, data=data(None, family, product_name="X"),
        evidence=[{"url": "https://example.org/x"}], new_adopter={"name": "AI Singapore Ltd."},
    )
    found = selectors.adoption_duplicates(by_name)
    assert existing in [row["adoption"] for row in found]
    assert "near-identical" in found[0]["reasons"][-1]


@pytest.mark.django_db
def test_a_contributor_is_not_shown_others_unpublished_duplicates(contributor, other_contributor, adopter, family):
    AdoptionFactory(adopter=adopter, family=family, product_name="SEA-LION", status=Status.SUBMITTED,
                    created_by=other_contributor)
    record = records.adoption_create(user=contributor, data=data(adopter, family), evidence=[SOURCE])
    assert selectors.adoption_duplicates(record, viewer=contributor) == []
    assert len(selectors.adoption_duplicates(record)) == 1  # the curator's view


@pytest.mark.django_db
def test_no_duplicates_for_a_distinct_record(contributor, adopter, family):
    AdoptionFactory(product_name="Llama Guard", published=True)
    record = records.adoption_create(user=contributor, data=data(adopter, family), evidence=[SOURCE])
    assert selectors.adoption_duplicates(record) == []


# Change requests


@pytest.fixture
def published(contributor, adopter, family):
    return AdoptionFactory(adopter=adopter, family=family, created_by=contributor, published=True)


@pytest.mark.django_db
def test_change_request_is_validated_and_does_not_touch_the_record(published, other_contributor):
    request = change_requests.change_request_create(
        adoption=published, user=other_contributor,
        proposed={"stage": Stage.DISCONTINUED, "ended_on": "2025-06-30", "languages": ["en", "ms"]},
        comment="Shut down in June.",
    )
    assert request.status == ChangeRequestStatus.PENDING and request.base_version == published.version
    published.refresh_from_db()
    assert published.stage == Stage.PRODUCTION and published.ended_on is None
    # The diff shows what a curator reads: a choice by its label, a list of languages joined.
    diff = {row["field"]: (row["current"], row["proposed"]) for row in selectors.change_request_diff(request)}
    assert diff == {"stage": ("Production", "Discontinued"), "ended_on": ("—", "2025-06-30"),
                    "languages": ("—", "en, ms")}


@pytest.mark.django_db
@pytest.mark.parametrize("proposed, field", [
    ({"stage": "imaginary"}, "stage"),
    ({"ended_on": "2025-02-01"}, "ended_on"),  # before the start date
    ({"started_on": "2025-1"}, "started_on"),
    ({"status": "draft"}, "status"),
    ({"stage": Stage.PRODUCTION}, "proposed"),  # nothing changes
])
def test_bad_change_requests_are_refused(published, other_contributor, proposed, field):
    with pytest.raises(ValidationError) as refused:
        change_requests.change_request_create(adoption=published, user=other_contributor, proposed=proposed)
    assert field in refused.value.message_dict or "non_field_errors" in refused.value.message_dict
    assert not ChangeRequest.objects.exists()


@pytest.mark.django_db
def test_change_request_only_on_published_records(contributor):
    draft = AdoptionFactory(status=Status.DRAFT, created_by=contributor)
    with pytest.raises(TransitionNotAllowed):
        change_requests.change_request_create(adoption=draft, user=contributor, proposed={"summary": "x"})


@pytest.mark.django_db
def test_approving_a_change_request_applies_it_atomically(
    published, other_contributor, curator, django_capture_on_commit_callbacks
):
    checkpoint = CheckpointFactory(family=published.family, repo_id="Qwen/Qwen3-32B")
    request = change_requests.change_request_create(
        adoption=published, user=other_contributor,
        proposed={"started_on": "2024", "checkpoint": checkpoint.pk, "summary": "Now on Qwen3."},
    )
    history_before = published.history.count()
    with django_capture_on_commit_callbacks(execute=True):
        change_requests.change_request_approve(change_request=request, user=curator, comment="Confirmed.")
    published.refresh_from_db()
    request.refresh_from_db()
    assert (published.started_on, published.started_precision) == (datetime.date(2024, 1, 1), "year")
    assert published.checkpoint == checkpoint and published.summary == "Now on Qwen3."
    assert published.version == request.base_version + 1
    assert published.history.count() == history_before + 1
    assert published.history.first().history_user == curator
    assert request.status == ChangeRequestStatus.APPROVED and request.decided_by == curator
    assert ModerationEvent.objects.filter(change_request=request, action=Action.CHANGE_APPROVED).count() == 1
    assert [m.to for m in mail.outbox] == [[other_contributor.email]]


@pytest.mark.django_db
def test_a_change_request_on_a_changed_record_is_refused(published, other_contributor, curator, second_curator):
    first = change_requests.change_request_create(
        adoption=published, user=other_contributor, proposed={"summary": "A"}
    )
    second = change_requests.change_request_create(
        adoption=published, user=other_contributor, proposed={"summary": "B"}
    )
    change_requests.change_request_approve(change_request=first, user=curator)
    with pytest.raises(StaleVersion, match="by cura"):
        change_requests.change_request_approve(change_request=second, user=second_curator)
    published.refresh_from_db()
    assert published.summary == "A"
    second.refresh_from_db()
    assert second.status == ChangeRequestStatus.PENDING


@pytest.mark.django_db
def test_change_request_decisions_need_another_curator_and_a_reason(published, curator, other_contributor):
    own = change_requests.change_request_create(adoption=published, user=curator, proposed={"summary": "Mine"})
    with pytest.raises(ActionForbidden):
        change_requests.change_request_approve(change_request=own, user=curator)
    theirs = change_requests.change_request_create(
        adoption=published, user=other_contributor, proposed={"summary": "X"}
    )
    with pytest.raises(ActionForbidden):
        change_requests.change_request_approve(change_request=theirs, user=other_contributor)
    with pytest.raises(ValidationError):
        change_requests.change_request_reject(change_request=theirs, user=curator, comment=" ")
    change_requests.change_request_reject(change_request=theirs, user=curator, comment="No source for this.")
    theirs.refresh_from_db()
    assert theirs.status == ChangeRequestStatus.REJECTED and theirs.decision_comment == "No source for this."
    with pytest.raises(TransitionNotAllowed):
        change_requests.change_request_approve(change_request=theirs, user=curator)
    published.refresh_from_db()
    assert published.summary == ""
