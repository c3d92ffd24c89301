"""The reads each rule lives in once (adoption.selectors, selectors.organizations and the queryset verbs):
who may open a record, whose submissions, the curators' queue order, which organization a slug or a name
means, near-identical names, what the public and the people of a record read of its past, who wrote its
content since it was last published."""

import datetime
import itertools

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from adoption import selectors
from adoption.choices import Action, Status
from adoption.models import Adoption, Organization
from adoption.selectors import organizations
from adoption.services import catalogue, change_requests, moderation, records
from adoption.services.roles import role_grant
from tests.factories import AdoptionFactory, CountryFactory, UserFactory, publish

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]


@pytest.fixture
def singapore(db):
    return CountryFactory()


@pytest.fixture
def rwanda(db):
    return CountryFactory(iso2="RW", iso3="RWA", numeric="646", name="Rwanda", region=None, subregion=None)


@pytest.fixture
def family(singapore):
    developer = catalogue.organization_create(name="Alibaba Cloud", country=singapore)
    return catalogue.family_create(slug="qwen", name="Qwen", developer=developer, origin_country=singapore)


@pytest.fixture
def aisg(singapore):
    return catalogue.organization_create(name="AI Singapore", slug="ai-singapore", country=singapore,
                                         aliases=["AISG"])


@pytest.fixture
def decider(db):
    """A curator in the admin too (role_grant makes curators staff)."""
    user = UserFactory(username="ada")
    role_grant(user=user, role="curator")
    return user


# Each status reached through the services, as a contributor and a curator would.
STEPS = {
    Status.DRAFT: (),
    Status.SUBMITTED: ("submit",),
    Status.IN_REVIEW: ("submit", "claim"),
    Status.CHANGES_REQUESTED: ("submit", "request_changes"),
    Status.REJECTED: ("submit", "reject"),
    Status.WITHDRAWN: ("withdraw",),
    Status.PUBLISHED: ("submit", "claim", "approve"),
    Status.RETRACTED: ("submit", "claim", "approve", "retract"),
}


_sources = itertools.count(1)


def record_in(status: str, *, owner, curator, adopter, family, product: str = "") -> Adoption:
    adoption = records.adoption_create(
        user=owner, data={"adopter": adopter, "family": family, "relation": "fine_tune", "product_name": product},
        evidence=[{"url": f"https://example.org/source-{next(_sources)}", "kind": "model_card"}],
    )
    for action in STEPS[status]:
        actor = owner if action in ("submit", "withdraw") else curator
        adoption = moderation.ACTION_SERVICES[action](adoption=adoption, user=actor, comment="Because.")
    return adoption


# Who may open a record: the page and the API history read one rule (AdoptionQuerySet.readable_by).

def test_every_status_is_readable_by_the_same_people_on_the_page_and_in_the_api(
    signed_in, contributor, other_contributor, decider, aisg, family
):
    made = {status: record_in(status, owner=contributor, curator=decider, adopter=aisg, family=family,
                              product=status) for status in STEPS}
    readers = {"anonymous": None, "owner": contributor, "other contributor": other_contributor, "curator": decider}
    public = {Status.PUBLISHED, Status.RETRACTED}
    for reader, user in readers.items():
        client = Client() if user is None else signed_in(user)
        for status, adoption in made.items():
            page = client.get(reverse("adoption:adoption-detail", args=[adoption.pk])).status_code
            api = client.get(f"/api/v1/adoptions/{adoption.pk}/history/").status_code
            expected = 200 if reader in ("owner", "curator") or status in public else 404
            assert (page, api) == (expected, expected), (reader, status)
            assert Adoption.objects.readable_by(user).filter(pk=adoption.pk).exists() == (expected == 200)


def test_a_retracted_record_stays_readable_but_leaves_the_list(contributor, decider, aisg, family):
    retracted = record_in(Status.RETRACTED, owner=contributor, curator=decider, adopter=aisg, family=family)
    page = Client().get(reverse("adoption:adoption-detail", args=[retracted.pk]))
    assert "This record was retracted" in page.content.decode()
    assert Client().get(f"/api/v1/adoptions/{retracted.pk}/").status_code == 404  # the list is published ones
    assert retracted not in Adoption.objects.published()


def test_a_submission_is_its_owners_and_the_curators_on_the_pages_and_in_the_api(
    signed_in, contributor, other_contributor, decider, aisg, family
):
    draft = record_in(Status.DRAFT, owner=contributor, curator=decider, adopter=aisg, family=family)
    for user, expected in ((contributor, 200), (other_contributor, 404), (decider, 200)):
        client = signed_in(user)
        page = client.get(reverse("adoption:submission-edit", args=[draft.pk])).status_code
        api = client.get(f"/api/v1/submissions/{draft.pk}/").status_code
        assert (page, api) == (expected, expected), user
    assert not Adoption.objects.submissions_visible_to(None).exists()


def test_my_submissions_show_what_others_said_not_my_own_notes(contributor, decider, aisg, family):
    adoption = record_in(Status.SUBMITTED, owner=contributor, curator=decider, adopter=aisg, family=family)
    moderation.adoption_request_changes(adoption=adoption, user=decider, comment="Cite the model card.")
    moderation.adoption_submit(adoption=adoption, user=contributor, comment="Added it.")
    [row] = selectors.contributor_records(contributor)
    assert [event.comment for event in row.curator_comments] == ["Cite the model card."]


# The curators' queue: one order (SQL) for the moderation page and the admin.

def test_the_moderation_page_and_the_admin_list_the_queue_in_the_same_order(
    signed_in, contributor, decider, second_curator, aisg, family
):
    def queued(status, days_ago, curator=decider):
        adoption = record_in(status, owner=contributor, curator=curator, adopter=aisg, family=family,
                             product=f"{status} {days_ago} {curator.username}")
        Adoption.objects.filter(pk=adoption.pk).update(submitted_at=timezone.now() - datetime.timedelta(days=days_ago))
        return adoption

    waiting_new, waiting_old = queued(Status.SUBMITTED, 1), queued(Status.SUBMITTED, 5)
    mine_new, mine_old = queued(Status.IN_REVIEW, 1), queued(Status.IN_REVIEW, 3)
    others_old = queued(Status.IN_REVIEW, 10, curator=second_curator)
    published = queued(Status.PUBLISHED, 30)

    client = signed_in(decider)
    admin = [row.pk for row in client.get(reverse("admin:adoption_adoption_changelist")).context["cl"].result_list]
    # In the queue first; the records this curator holds in review first; then the longest waiting.
    assert admin == [mine_old.pk, mine_new.pk, others_old.pk, waiting_old.pk, waiting_new.pk, published.pk]

    page = client.get(reverse("adoption:moderation-queue")).context
    assert [a.pk for a in page["waiting"]] == [pk for pk in admin if pk in (waiting_new.pk, waiting_old.pk)]
    assert [a.pk for a in page["in_review"]] == [pk for pk in admin if pk in (mine_new.pk, mine_old.pk, others_old.pk)]


# Which organization a slug or a name means, and to whom: one place (selectors, OrganizationQuerySet).

@pytest.fixture
def proposal(other_contributor, aisg, family, singapore):
    """Another contributor's proposed organization, named by their draft."""
    adoption = records.adoption_create(
        user=other_contributor, data={"family": family, "relation": "fine_tune"}, evidence=[],
        new_adopter={"name": "Kigali Speech Co-op", "kind": "ngo", "country": singapore},
    )
    return adoption.adopter


def test_a_name_finds_its_organization_whatever_the_case_accents_spacing_and_punctuation(contributor, aisg):
    for typed in ("ai-singapore", "AI Singapore", "ai  singapore", "A.I. Singapore", "Aí Sîngapore", "aisg"):
        assert organizations.organization_by_name(typed, user=contributor) == aisg, typed
    assert organizations.organization_by_name("AI Singapura", user=contributor) is None


def test_another_contributors_proposal_is_never_revealed(signed_in, contributor, other_contributor, decider, proposal):
    assert not proposal.is_published
    for typed in ("Kigali Speech Co-op", "kigali speech coop", proposal.slug):
        assert organizations.organization_by_name(typed, user=contributor) is None
        assert organizations.organization_by_name(typed, user=other_contributor) == proposal  # its proposer
        assert organizations.organization_by_name(typed, user=decider) == proposal  # curators see every one
    assert organizations.organization_by_slug(proposal.slug, user=contributor) is None
    assert organizations.organization_by_slug(proposal.slug, user=None) is None
    assert proposal.name not in organizations.adopter_choices(contributor).values_list("name", flat=True)

    # The API answers as for an unknown slug, the search as you type lists nothing.
    client = signed_in(contributor)
    response = client.post("/api/v1/submissions/", {"adopter": proposal.slug, "family": "qwen",
                                                     "relation": "fine_tune"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["adopter"][0].startswith(f"No such organization: {proposal.slug}.")
    assert client.get(reverse("adoption:adopter-search"), {"q": "kigali"}).json()["results"] == []


def test_proposing_the_same_name_joins_the_proposal_which_the_joiner_may_then_name(
    contributor, other_contributor, proposal, family, singapore
):
    joined = records.adoption_create(
        user=contributor, data={"family": family, "relation": "fine_tune"}, evidence=[],
        new_adopter={"name": "kigali speech coop", "country": singapore},
    )
    assert joined.adopter == proposal
    assert organizations.organization_by_slug(proposal.slug, user=contributor) == proposal
    assert organizations.organization_by_name("Kigali Speech Co-op", user=contributor) == proposal
    assert proposal not in Organization.objects.visible_to(contributor)  # still not theirs to open


def test_a_merged_organizations_slug_leads_to_the_survivor(contributor, aisg, singapore):
    old = catalogue.organization_create(name="AISG Products Pillar", country=singapore)
    Organization.objects.filter(pk=old.pk).update(merged_into=aisg)
    assert organizations.organization_by_slug(old.slug, user=contributor) == aisg
    assert organizations.organization_by_name(old.slug, user=contributor) == aisg


def test_the_adopter_search_ignores_case_accents_and_punctuation(signed_in, contributor, aisg, singapore):
    catalogue.organization_create(name="Université de Kigali", country=singapore)
    client = signed_in(contributor)

    def names(query):
        return [row["name"] for row in client.get(reverse("adoption:adopter-search"), {"q": query}).json()["results"]]

    assert names("universite") == ["Université de Kigali"]
    assert names("a.i. singapore") == ["AI Singapore"]


def test_organizations_named_prefers_that_country_and_sees_everyones_proposals(proposal, singapore, rwanda):
    in_rwanda = catalogue.organization_create(name="Kigali Speech Coop", country=rwanda)
    assert organizations.organizations_named("KIGALI speech co op", "RW") == [in_rwanda]
    assert organizations.organizations_named("KIGALI speech co op", "SG") == [proposal]
    assert organizations.organizations_named("KIGALI speech co op") == [in_rwanda, proposal]  # published first
    assert organizations.organizations_named("  ") == []


# Near-identical adopter names (duplicates) compare names as text.name_words does.

def test_adopters_with_near_identical_names_are_likely_duplicates(contributor, decider, family, singapore):
    # Short names, so the accents alone would make them look different.
    first = catalogue.organization_create(name="Énéé Labs Ltd", country=singapore)
    second = catalogue.organization_create(name="The Enee-Labs", country=singapore)
    existing = record_in(Status.PUBLISHED, owner=contributor, curator=decider, adopter=first, family=family,
                         product="Kinyarwanda ASR")
    new = record_in(Status.DRAFT, owner=contributor, curator=decider, adopter=second, family=family, product="Other")
    found = selectors.adoption_duplicates(new)
    assert [row["adoption"] for row in found] == [existing]
    assert any("near-identical name" in reason for reason in found[0]["reasons"])


# --- what the record page reads of a record's past, and who wrote its content ---


def test_published_adoptions_are_only_the_published_ones():
    published = AdoptionFactory(published=True)
    AdoptionFactory()
    AdoptionFactory(retracted=True)
    assert list(selectors.published_adoptions()) == [published]


def test_the_public_reads_a_records_public_past_and_its_people_all_of_it(contributor, decider):
    record = AdoptionFactory(created_by=contributor, retracted=True)  # submitted, claimed, approved, retracted
    everything = [Action.SUBMIT, Action.CLAIM, Action.APPROVE, Action.RETRACT]
    for reader in (contributor, decider):
        assert selectors.sees_full_history(record, reader)
        assert [event.action for event in selectors.adoption_events(record, reader)] == everything
    for reader in (AnonymousUser(), UserFactory(username="passer-by")):
        assert not selectors.sees_full_history(record, reader)
        public = selectors.adoption_events(record, reader)
        assert [event.action for event in public] == [Action.APPROVE, Action.RETRACT]
        assert public[-1].comment == "Retracted by the test."  # a retraction's reason is public
        versions = selectors.adoption_versions(record, reader)
        assert [version.status for version in versions] == [Status.RETRACTED, Status.PUBLISHED]
        entries = selectors.adoption_history_entries(record, reader)
        assert [entry["label"] for entry in entries] == ["Retracted", "Published"]
    own = selectors.adoption_history_entries(record, contributor)
    assert [entry["label"] for entry in own] == ["Retracted", "Published", "In review", "Submitted", "Created"]


def test_a_hidden_draft_never_shows_through_the_public_diff(contributor, aisg, family):
    draft = records.adoption_create(user=contributor, data={"adopter": aisg, "family": family, "relation": "fine_tune",
                                                            "summary": "Internal codename"},
                                    evidence=[{"url": "https://example.org/card", "kind": "model_card"}])
    records.adoption_update(adoption=draft, user=contributor, data={"summary": "A public summary"})
    record = publish(Adoption.objects.get(pk=draft.pk))
    [entry] = selectors.adoption_history_entries(record, AnonymousUser())
    assert entry["label"] == "Published" and entry["changed"] == []
    own = selectors.adoption_history_entries(record, contributor)
    assert "summary" in next(entry["changed"] for entry in own if entry["label"] == "Changed")


def test_content_authors_count_since_the_last_publication(contributor, aisg, family, django_assert_num_queries):
    draft = records.adoption_create(user=contributor, data={"adopter": aisg, "family": family, "relation": "fine_tune"},
                                    evidence=[{"url": "https://example.org/card", "kind": "model_card"}])
    assert selectors.adoption_content_authors(Adoption.objects.get(pk=draft.pk)) == {contributor.pk}
    publish(Adoption.objects.get(pk=draft.pk))
    assert selectors.adoption_content_authors(Adoption.objects.get(pk=draft.pk)) == frozenset()  # seen by a curator
    rows = [*AdoptionFactory.create_batch(3, created_by=contributor), Adoption.objects.get(pk=draft.pk)]
    with django_assert_num_queries(2):  # any number of records: two queries
        selectors.prime_content_authors(rows)
    with django_assert_num_queries(0):
        assert [selectors.adoption_content_authors(row) for row in rows] == [frozenset()] * 4


def test_a_contributor_reads_their_own_change_requests_newest_first(contributor, other_contributor):
    first, second = AdoptionFactory.create_batch(2, published=True)
    older = change_requests.change_request_create(adoption=first, user=contributor, proposed={"stage": "pilot"})
    newer = change_requests.change_request_create(adoption=second, user=contributor, proposed={"stage": "pilot"})
    change_requests.change_request_create(adoption=first, user=other_contributor, proposed={"stage": "announced"})
    assert list(selectors.contributor_change_requests(contributor)) == [newer, older]


def test_an_organization_is_live_while_someone_elses_record_names_it(contributor, other_contributor, proposal):
    # Only its proposer's own draft names it: not live for them (they may propose it afresh), live for others.
    assert not organizations.organization_has_live_records(proposal, besides=other_contributor)
    assert organizations.organization_has_live_records(proposal, besides=contributor)
    AdoptionFactory(adopter=proposal, created_by=contributor, status=Status.REJECTED)
    AdoptionFactory(adopter=proposal, created_by=contributor, status=Status.WITHDRAWN)
    assert not organizations.organization_has_live_records(proposal, besides=other_contributor)
    AdoptionFactory(adopter=proposal, created_by=contributor)  # a draft: live
    assert organizations.organization_has_live_records(proposal, besides=other_contributor)
