"""Submissions, the workflow through HTTP, change requests, tokens and throttles."""

import pytest
from rest_framework.test import APIClient

from adoption.choices import Status
from adoption.models import Adoption, ChangeRequest, Organization
from registry.settings import DEFAULT_THROTTLE_RATES, _parse_rates
from tests.factories import AdoptionFactory, CheckpointFactory, EvidenceFactory, ModelFamilyFactory, OrganizationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]
SUBMISSIONS = "/api/v1/submissions/"


@pytest.fixture
def catalogue():
    adopter = OrganizationFactory(name="AI Singapore", slug="aisg")
    family = ModelFamilyFactory(slug="qwen", name="Qwen")
    checkpoint = CheckpointFactory(family=family, repo_id="Qwen/Qwen3-32B")
    return {"adopter": adopter, "family": family, "checkpoint": checkpoint}


def body(**overrides) -> dict:
    data = {
        "adopter": "aisg", "family": "qwen", "checkpoint": "Qwen/Qwen3-32B", "relation": "continued_pretraining",
        "stage": "production", "product_name": "Qwen-SEA-LION-v4", "started_on": "2025-11",
        "sectors": ["public_sector"], "languages": ["ms", "id"], "summary": "Southeast Asian languages.",
        "evidence": [{"url": "https://huggingface.co/aisingapore/Qwen-SEA-LION-v4-32B-IT", "kind": "model_card",
                      "title": "Model card", "publisher": "AI Singapore", "published_on": "2025-11-24",
                      "quote": "Continue pretrained from Qwen3-32B"}],
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not ...}


def test_full_workflow_through_http(anon, as_contributor, as_curator, as_curator2, catalogue):
    created = as_contributor.post(SUBMISSIONS, body(evidence=...))
    assert created.status_code == 201, created.json()
    record = created.json()
    assert record["status"] == "draft" and record["duplicates"] == [] and record["created_by"] == "carla"
    assert record["checkpoint"]["repo_id"] == "Qwen/Qwen3-32B" and record["started_on"] == "2025-11"
    pk, url = record["id"], f"{SUBMISSIONS}{record['id']}/"

    no_source = as_contributor.post(f"{url}submit/", {})
    assert no_source.status_code == 400 and "evidence" in no_source.json()
    edited = as_contributor.patch(url, {"evidence": body()["evidence"]}, HTTP_IF_MATCH=f'"{record["version"]}"')
    assert edited.status_code == 200 and edited.json()["confidence"] == "high"
    assert as_contributor.post(f"{url}submit/", {}).json()["status"] == "submitted"

    queue = as_curator.get(SUBMISSIONS, {"status": "submitted"}).json()
    assert [row["id"] for row in queue["results"]] == [pk]
    assert as_curator.post(f"{url}claim/", {}).json()["status"] == "in_review"
    sent_back = as_curator.post(f"{url}request-changes/", {"comment": "Cite the launch announcement."})
    assert sent_back.status_code == 200 and sent_back.json()["status"] == "changes_requested"

    fixed = as_contributor.patch(url, {"product_name": "Qwen-SEA-LION-v4-32B-IT", "evidence": [
        *body()["evidence"], {"url": "https://sea-lion.ai/launch", "kind": "official_announcement"}]})
    assert fixed.status_code == 200 and len(fixed.json()["evidence"]) == 2
    assert as_contributor.post(f"{url}submit/", {"comment": "Added the announcement."}).status_code == 200
    assert as_curator2.post(f"{url}claim/", {}).status_code == 200
    approved = as_curator2.post(f"{url}approve/", {"comment": "Thanks"})
    assert approved.status_code == 200 and approved.json()["status"] == "published"
    assert approved.json()["allowed_actions"] == ["retract"]

    assert pk in [row["id"] for row in anon.get("/api/v1/adoptions/").json()["results"]]
    assert anon.get(f"/api/v1/adoptions/{pk}/").json()["product_name"] == "Qwen-SEA-LION-v4-32B-IT"
    assert as_curator.post(f"/api/v1/adoptions/{pk}/retract/", {"comment": "Source withdrawn"}).status_code == 200
    assert pk not in [row["id"] for row in anon.get("/api/v1/adoptions/").json()["results"]]
    actions = [event["action"] for event in as_curator.get(f"/api/v1/adoptions/{pk}/history/").json()["events"]]
    assert actions == ["create", "edit", "submit", "claim", "request_changes", "edit", "submit", "claim", "approve",
                       "retract"]
    # The public reads the public decisions only: the draft stage and who worked on it stay private.
    actions = [event["action"] for event in anon.get(f"/api/v1/adoptions/{pk}/history/").json()["events"]]
    assert actions == ["approve", "retract"]


def test_new_adopter_is_proposed_unpublished_and_published_on_approval(as_contributor, as_curator, contributor,
                                                                       catalogue):
    from tests.factories import CountryFactory

    CountryFactory(iso2="KE", iso3="KEN", numeric="404", name="Kenya")
    created = as_contributor.post(SUBMISSIONS, body(
        adopter=..., checkpoint=..., new_adopter={"name": "Jacaranda Health", "kind": "ngo", "country": "ke",
                                                  "city": "Nairobi"}, submit=True,
    ))
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "submitted"
    assert created.json()["adopter"]["country"] == {"iso2": "KE", "name": "Kenya"}
    org = Organization.objects.get(name="Jacaranda Health")
    assert not org.is_published and org.created_by == contributor
    url = f"{SUBMISSIONS}{created.json()['id']}/"
    as_curator.post(f"{url}claim/", {})
    as_curator.post(f"{url}approve/", {})
    org.refresh_from_db()
    assert org.is_published


def test_read_only_fields_are_never_obeyed(as_contributor, contributor, other_contributor, catalogue):
    created = as_contributor.post(SUBMISSIONS, body(
        status="published", created_by="omar", version=99, confidence="high", created_at="2000-01-01T00:00:00Z",
        published_at="2000-01-01T00:00:00Z",
    ))
    assert created.status_code == 201, created.json()
    record = Adoption.objects.get(pk=created.json()["id"])
    assert (record.status, record.created_by, record.version, record.published_at) == (
        Status.DRAFT, contributor, 1, None)
    patched = as_contributor.patch(f"{SUBMISSIONS}{record.pk}/", {"status": "published", "reviewer": "cura"})
    assert patched.status_code == 200 and patched.json()["status"] == "draft"


@pytest.mark.parametrize("changes, field", [
    ({"adopter": "nobody"}, "adopter"),
    ({"adopter": ..., "new_adopter": ...}, "adopter"),
    ({"family": "nope"}, "family"),
    ({"checkpoint": "Other/Model"}, "checkpoint"),
    ({"relation": "telepathy"}, "relation"),
    ({"relation": ...}, "relation"),
    ({"started_on": "2025-1"}, "started_on"),
    ({"started_on": "2999"}, "started_on"),
    ({"languages": ["not a code"]}, "languages"),
    ({"sectors": "health"}, "sectors"),
    ({"evidence": [{"url": "javascript:alert(1)"}]}, "evidence"),
    ({"evidence": [{"url": "ftp://example.org/file"}]}, "evidence"),
    ({"evidence": [{"url": "https://x.org", "kind": "rumour"}]}, "evidence"),
    ({"evidence": "https://x.org"}, "evidence"),
    ({"submit": True, "evidence": []}, "evidence"),
    ({"summary": "x" * 4001}, "summary"),
    ({"stauts": "draft"}, "stauts"),
])
def test_bad_submissions_are_400s_naming_the_field(as_contributor, catalogue, changes, field):
    CheckpointFactory(repo_id="Other/Model")  # another family's checkpoint
    response = as_contributor.post(SUBMISSIONS, body(**changes))
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert not Adoption.objects.exists()


def test_checkpoint_of_another_family_names_both(as_contributor, catalogue):
    CheckpointFactory(repo_id="Other/Model")
    response = as_contributor.post(SUBMISSIONS, body(checkpoint="Other/Model"))
    assert response.status_code == 400
    assert response.json()["checkpoint"] == ["Other/Model belongs to another family than qwen."]


def test_another_contributors_submission_is_404_not_403(as_other, as_curator, as_contributor, catalogue):
    pk = as_contributor.post(SUBMISSIONS, body()).json()["id"]
    url = f"{SUBMISSIONS}{pk}/"
    assert as_other.get(url).status_code == 404
    assert as_other.patch(url, {"summary": "mine now"}).status_code == 404
    assert as_other.post(f"{url}submit/", {}).status_code == 404
    assert as_other.get(SUBMISSIONS).json()["count"] == 0
    assert as_curator.get(url).status_code == 200


def test_roles_and_transitions_are_enforced(as_contributor, as_curator, catalogue):
    url = f"{SUBMISSIONS}{as_contributor.post(SUBMISSIONS, body(submit=True)).json()['id']}/"
    forbidden = as_contributor.post(f"{url}claim/", {})
    assert forbidden.status_code == 403
    wrong_state = as_curator.post(f"{url}approve/", {})
    assert wrong_state.status_code == 409
    assert wrong_state.json()["status"] == "submitted" and wrong_state.json()["action"] == "approve"
    not_editable = as_contributor.patch(url, {"summary": "late edit"})
    assert not_editable.status_code == 409 and not_editable.json()["status"] == "submitted"
    no_reason = as_curator.post(f"{url}reject/", {"comment": "  "})
    assert no_reason.status_code == 400 and "comment" in no_reason.json()
    # four eyes: a curator never decides on their own submission
    own_url = f"{SUBMISSIONS}{as_curator.post(SUBMISSIONS, body(product_name='Other', submit=True)).json()['id']}/"
    assert as_curator.post(f"{own_url}claim/", {}).status_code == 403


def test_stale_version_is_412_and_the_edit_is_not_applied(as_contributor, catalogue):
    created = as_contributor.post(SUBMISSIONS, body()).json()
    url = f"{SUBMISSIONS}{created['id']}/"
    assert as_contributor.patch(url, {"summary": "first", "version": 1}).status_code == 200
    stale = as_contributor.patch(url, {"summary": "second", "version": 1})
    assert stale.status_code == 412 and stale.json()["current_version"] == 2
    assert Adoption.objects.get(pk=created["id"]).summary == "first"
    stale_action = as_contributor.post(f"{url}submit/", {}, HTTP_IF_MATCH='"1"')
    assert stale_action.status_code == 412
    disagree = as_contributor.patch(url, {"summary": "x", "version": 1}, HTTP_IF_MATCH='"2"')
    assert disagree.status_code == 400 and "version" in disagree.json()


def test_duplicates_are_listed_without_leaking_others_drafts(as_contributor, as_other, as_curator, catalogue):
    first = as_contributor.post(SUBMISSIONS, body()).json()
    others = as_other.post(SUBMISSIONS, body(product_name="Qwen-SEA-LION-v4 (other)")).json()
    assert [dup["id"] for dup in others["duplicates"]] == []  # carla's draft is not omar's to see
    second = as_contributor.post(SUBMISSIONS, body(product_name="Qwen-SEA-LION-v4 IT")).json()
    assert [dup["id"] for dup in second["duplicates"]] == [first["id"]]
    assert second["duplicates"][0]["reasons"]
    seen_by_curator = as_curator.get(f"{SUBMISSIONS}{second['id']}/").json()["duplicates"]
    assert {dup["id"] for dup in seen_by_curator} == {first["id"], others["id"]}


def test_submission_list_query_count_is_constant(as_contributor, contributor, catalogue, django_assert_num_queries):
    def add(n):
        for _ in range(n):
            EvidenceFactory(adoption=AdoptionFactory(created_by=contributor, status=Status.DRAFT))

    add(1)
    as_contributor.get(SUBMISSIONS)  # warm the token lookup path
    with django_assert_num_queries(6):  # token and user, curator check, count, page, evidence, partners
        as_contributor.get(SUBMISSIONS)
    add(5)
    with django_assert_num_queries(6):
        assert as_contributor.get(SUBMISSIONS).json()["count"] == 6


class TestChangeRequests:
    @pytest.fixture
    def published(self, catalogue, other_contributor):
        return AdoptionFactory(adopter=catalogue["adopter"], family=catalogue["family"], stage="pilot",
                               created_by=other_contributor, published=True)

    def test_propose_and_approve(self, anon, as_contributor, as_curator, published):
        url = f"/api/v1/adoptions/{published.pk}/change-requests/"
        assert anon.post(url, {"stage": "production"}).status_code == 401
        created = as_contributor.post(url, {"stage": "production", "started_on": "2025", "comment": "Launched"})
        assert created.status_code == 201, created.json()
        cr = created.json()
        assert cr["proposed"] == {"stage": "production", "started_on": "2025"} and cr["status"] == "pending"
        assert as_contributor.get("/api/v1/change-requests/").json()["count"] == 1
        queue = as_curator.get("/api/v1/change-requests/", {"status": "pending"}).json()
        assert [row["id"] for row in queue["results"]] == [cr["id"]]
        approved = as_curator.post(f"/api/v1/change-requests/{cr['id']}/approve/", {})
        assert approved.status_code == 200 and approved.json()["status"] == "approved"
        assert anon.get(f"/api/v1/adoptions/{published.pk}/").json()["stage"] == "production"
        again = as_curator.post(f"/api/v1/change-requests/{cr['id']}/approve/", {})
        assert again.status_code == 409

    def test_reject_needs_a_reason_and_a_curator(self, as_contributor, as_other, as_curator, published):
        cr = as_contributor.post(f"/api/v1/adoptions/{published.pk}/change-requests/", {"summary": "Better"}).json()
        url = f"/api/v1/change-requests/{cr['id']}/"
        assert as_other.post(f"{url}reject/", {"comment": "no"}).status_code == 404
        assert as_contributor.post(f"{url}reject/", {"comment": "no"}).status_code == 403
        assert as_curator.post(f"{url}reject/", {}).status_code == 400
        rejected = as_curator.post(f"{url}reject/", {"comment": "The source does not say so."})
        assert rejected.status_code == 200 and rejected.json()["decision_comment"] == "The source does not say so."

    def test_bad_proposals(self, as_contributor, as_other, published, catalogue):
        url = f"/api/v1/adoptions/{published.pk}/change-requests/"
        assert as_contributor.post(url, {"comment": "nothing to change"}).status_code == 400
        assert "stage" in as_contributor.post(url, {"stage": "finished"}).json()
        assert "status" in as_contributor.post(url, {"status": "retracted"}).json()
        draft = AdoptionFactory(status=Status.DRAFT, created_by=published.created_by)
        assert as_other.post(f"/api/v1/adoptions/{draft.pk}/change-requests/", {"stage": "pilot"}).status_code == 409
        assert as_contributor.post(f"/api/v1/adoptions/{draft.pk}/change-requests/",
                                   {"stage": "pilot"}).status_code == 404
        assert not ChangeRequest.objects.exists()

    def test_approving_after_the_record_changed_is_a_conflict(self, as_contributor, as_curator, as_curator2,
                                                              published):
        url = f"/api/v1/adoptions/{published.pk}/change-requests/"
        first = as_contributor.post(url, {"stage": "production"}).json()
        second = as_contributor.post(url, {"summary": "Changed"}).json()
        assert as_curator.post(f"/api/v1/change-requests/{first['id']}/approve/", {}).status_code == 200
        conflict = as_curator2.post(f"/api/v1/change-requests/{second['id']}/approve/", {})
        assert conflict.status_code == 409


def test_change_request_list_query_count_is_constant(as_curator, contributor, catalogue, django_assert_num_queries):
    from adoption.services.change_requests import change_request_create

    def add(n):
        for _ in range(n):
            record = AdoptionFactory(adopter=catalogue["adopter"], family=catalogue["family"], published=True)
            change_request_create(adoption=record, user=contributor, proposed={"stage": "pilot"})

    add(1)
    with django_assert_num_queries(4):  # token and user, curator check, count, page
        as_curator.get("/api/v1/change-requests/")
    add(4)
    with django_assert_num_queries(4):
        assert as_curator.get("/api/v1/change-requests/").json()["count"] == 5


def test_curators_order_the_queue_by_submission_time(as_curator, contributor, catalogue):
    older = AdoptionFactory(status=Status.SUBMITTED, created_by=contributor,
                            submitted_at="2026-01-01T00:00:00Z")
    newer = AdoptionFactory(status=Status.SUBMITTED, created_by=contributor,
                            submitted_at="2026-02-01T00:00:00Z")
    queue = as_curator.get(SUBMISSIONS, {"status": "submitted", "ordering": "submitted_at"}).json()["results"]
    assert [row["id"] for row in queue] == [older.pk, newer.pk]


class TestTokensAndThrottles:
    def test_token_for_username_and_password(self, contributor):
        client = APIClient()
        response = client.post("/api/v1/auth/token/", {"username": "carla", "password": "correct-horse-battery"})
        assert response.status_code == 200 and set(response.json()) == {"token"}
        client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
        assert client.get(SUBMISSIONS).status_code == 200
        again = APIClient().post("/api/v1/auth/token/", "username=carla&password=correct-horse-battery",
                                 content_type="application/x-www-form-urlencoded")
        assert again.json() == response.json()

    def test_wrong_password_and_bad_token(self, contributor):
        wrong = APIClient().post("/api/v1/auth/token/", {"username": "carla", "password": "guess"})
        assert wrong.status_code == 400 and "non_field_errors" in wrong.json()
        bad = APIClient()
        bad.credentials(HTTP_AUTHORIZATION="Token nope")
        assert bad.get("/api/v1/adoptions/").status_code == 401

    @pytest.fixture
    def rates(self, settings):
        def set_rates(**rates):
            settings.REST_FRAMEWORK = {
                **settings.REST_FRAMEWORK,
                "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
            }
        return set_rates

    def test_anonymous_reads_are_throttled_with_retry_after_but_not_the_schema(self, anon, rates):
        rates(anon="2/min")
        assert [anon.get("/api/v1/regions/").status_code for _ in range(3)] == [200, 200, 429]
        throttled = anon.get("/api/v1/regions/")
        assert 0 < int(throttled["Retry-After"]) <= 60 and "detail" in throttled.json()
        assert anon.get("/api/schema/").status_code == 200

    def test_new_submissions_have_a_stricter_scope(self, as_contributor, catalogue, rates):
        rates(submissions="2/hour")
        assert as_contributor.post(SUBMISSIONS, body()).status_code == 201
        pk = as_contributor.post(SUBMISSIONS, body(product_name="Other")).json()["id"]
        third = as_contributor.post(SUBMISSIONS, body(product_name="Third"))
        assert third.status_code == 429 and int(third["Retry-After"]) > 0
        # editing and reading are other scopes
        assert as_contributor.patch(f"{SUBMISSIONS}{pk}/", {"summary": "still fine"}).status_code == 200

    def test_api_throttle_rates_override_the_defaults(self):
        rates = _parse_rates("anon=5/min, submissions=2/hour", DEFAULT_THROTTLE_RATES, "API_THROTTLE_RATES")
        assert rates["anon"] == "5/min" and rates["submissions"] == "2/hour" and rates["user"] == "600/min"
        with pytest.raises(ValueError, match="scope=rate"):
            _parse_rates("anon", DEFAULT_THROTTLE_RATES, "API_THROTTLE_RATES")


# A proposed organization is shared: a later proposal of the same one names it (DESIGN §2).


@pytest.fixture
def rwanda(db):
    from tests.factories import CountryFactory

    return CountryFactory(iso2="RW", iso3="RWA", numeric="646", name="Rwanda")


def proposal(name, country="RW", **overrides):
    return body(adopter=..., checkpoint=..., product_name="Kinyarwanda ASR", submit=True,
                new_adopter={"name": name, "kind": "ngo", "country": country, "city": "Kigali"}, **overrides)


@pytest.mark.parametrize("alices", ["pending", "rejected"])
@pytest.mark.parametrize("bobs_name", ["kigali  speech co-op", "Kigali Spéech Có-op", "KSC", " KIGALI SPEECH COOP "])
def test_a_later_proposal_names_the_proposed_organization(as_contributor, as_other, as_curator, catalogue, rwanda,
                                                          alices, bobs_name):
    alice = as_contributor.post(SUBMISSIONS, proposal("Kigali Speech Co-op"))
    assert alice.status_code == 201, alice.json()
    org = Organization.objects.get(slug=alice.json()["adopter"]["slug"])
    assert as_curator.patch(f"/api/v1/organizations/{org.slug}/", {"aliases": ["KSC"]}).status_code == 200
    if alices == "rejected":
        url = f"{SUBMISSIONS}{alice.json()['id']}/"
        assert as_curator.post(f"{url}claim/", {}).status_code == 200
        assert as_curator.post(f"{url}reject/", {"comment": "No source says so."}).status_code == 200

    bob = as_other.post(SUBMISSIONS, proposal(bobs_name))

    assert bob.status_code == 201, bob.json()
    answer = bob.json()
    assert answer["adopter"]["slug"] == org.slug and answer["status"] == "submitted"
    assert answer["duplicates"] == [] and "carla" not in bob.content.decode()  # nothing of Alice's record
    assert Organization.objects.filter(country_id="RW").count() == 1
    approved = [as_curator.post(f"{SUBMISSIONS}{answer['id']}/{step}/", {}) for step in ("claim", "approve")]
    assert approved[-1].json()["status"] == "published"
    org.refresh_from_db()
    assert org.is_published


def test_the_same_name_in_another_country_is_a_new_organization(as_contributor, as_other, catalogue, rwanda):
    from tests.factories import CountryFactory

    CountryFactory(iso2="KE", iso3="KEN", numeric="404", name="Kenya")
    first = as_contributor.post(SUBMISSIONS, proposal("Kigali Speech Co-op")).json()
    second = as_other.post(SUBMISSIONS, proposal("Kigali Speech Co-op", country="KE"))
    assert second.status_code == 201, second.json()
    assert second.json()["adopter"]["slug"] != first["adopter"]["slug"]
    assert second.json()["adopter"]["country"]["iso2"] == "KE"


def test_a_proposed_organization_is_not_revealed_by_its_slug(as_contributor, as_other, catalogue, rwanda):
    slug = as_contributor.post(SUBMISSIONS, proposal("Kigali Speech Co-op")).json()["adopter"]["slug"]
    theirs = as_other.post(SUBMISSIONS, body(adopter=slug))
    made_up = as_other.post(SUBMISSIONS, body(adopter="no-such-organization"))
    assert theirs.status_code == made_up.status_code == 400
    assert theirs.json()["adopter"][0].startswith(f"No such organization: {slug}.")
    assert made_up.json()["adopter"][0].startswith("No such organization: no-such-organization.")
    assert as_other.get(f"/api/v1/organizations/{slug}/").status_code == 404
    # The contributor who proposed it names it by its slug in further records.
    assert as_contributor.post(SUBMISSIONS, body(adopter=slug)).status_code == 201


def test_a_new_adopter_already_published_is_named(as_contributor, catalogue):
    created = as_contributor.post(SUBMISSIONS, proposal("ai singapore", country=None))
    assert created.status_code == 201, created.json()
    assert created.json()["adopter"]["slug"] == "aisg"


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/admin", "http://127.1/", "http://0x7f000001/", "http://[::ffff:127.0.0.1]/", "http://[::1]/",
    "http://10.0.0.8/", "http://169.254.169.254/latest/meta-data/", "http://localhost:8000/", "http://db.localhost/",
    "https://admin:hunter2@example.org/", "file:///etc/passwd", "gopher://example.org/",
])
def test_a_source_that_can_never_be_evidence_is_a_400_naming_it(as_contributor, catalogue, url):
    created = as_contributor.post(SUBMISSIONS, body(evidence=[{"url": url, "kind": "press"}]))
    assert created.status_code == 400
    [message] = created.json()["evidence"]["0"]["url"]
    assert message.startswith(f"{url} cannot be a source: ")
    draft = as_contributor.post(SUBMISSIONS, body()).json()
    patched = as_contributor.patch(f"{SUBMISSIONS}{draft['id']}/", {"evidence": [{"url": url}]})
    assert patched.status_code == 400 and url in str(patched.json())
    assert not Adoption.objects.filter(evidence__url=url).exists()


@pytest.mark.parametrize("url", ["javascript:alert(1)", "http://127.1/x", "https://user:pw@example.org/"])
def test_a_product_link_follows_the_sources_rules(as_contributor, other_contributor, catalogue, url):
    created = as_contributor.post(SUBMISSIONS, body(product_url=url))
    assert created.status_code == 400
    assert created.json()["product_url"][0].startswith(f"{url} cannot be a product link: ")
    # A repo id is no URL, and a public address is fine.
    for fine in ("aisingapore/Qwen-SEA-LION-v4-32B-IT", "https://huggingface.co/aisingapore"):
        assert as_contributor.post(SUBMISSIONS, body(product_url=fine)).status_code == 201
    published = AdoptionFactory(adopter=catalogue["adopter"], family=catalogue["family"], created_by=other_contributor,
                                published=True)
    proposed = as_contributor.post(f"/api/v1/adoptions/{published.pk}/change-requests/", {"product_url": url})
    assert proposed.status_code == 400 and "product_url" in proposed.json()
    assert not ChangeRequest.objects.exists()


def test_a_proposed_name_keeps_no_invisible_characters(as_contributor, as_other, catalogue, rwanda):
    # A right-to-left override or a zero-width space would make one name display as another.
    created = as_contributor.post(SUBMISSIONS, proposal("Evil\u202eoc.labs\u200b  Kigali\x07"))
    assert created.status_code == 201, created.json()
    org = Organization.objects.get(slug=created.json()["adopter"]["slug"])
    assert org.name == "Eviloc.labs Kigali"
    assert as_other.post(SUBMISSIONS, proposal("eviloc.labs kigali")).json()["adopter"]["slug"] == org.slug
