"""Claims hold and four eyes count every author, through the API: 409 naming the holder, take-over and
release, 403 for a curator who changed the record's content (or proposed the change request)."""

import pytest

from adoption.choices import Action, Status
from adoption.models import Adoption, ModerationEvent
from adoption.services import change_requests
from tests.factories import AdoptionFactory, EvidenceFactory, ModelFamilyFactory, OrganizationFactory

pytestmark = pytest.mark.django_db
SUBMISSIONS = "/api/v1/submissions/"


@pytest.fixture
def draft(as_contributor):
    OrganizationFactory(name="AI Singapore", slug="aisg")
    ModelFamilyFactory(slug="qwen", name="Qwen")
    created = as_contributor.post(SUBMISSIONS, {
        "adopter": "aisg", "family": "qwen", "relation": "fine_tune", "product_name": "SEA-LION",
        "evidence": [{"url": "https://example.org/card", "kind": "model_card"}],
    }, format="json")
    assert created.status_code == 201, created.json()
    return created.json()


def test_another_curator_is_refused_with_409_naming_the_holder(as_contributor, as_curator, as_curator2, draft):
    url = f"{SUBMISSIONS}{draft['id']}/"
    as_contributor.post(f"{url}submit/", {})
    assert as_curator.post(f"{url}claim/", {}).status_code == 200
    for action, body in (("approve", {}), ("reject", {"comment": "No."}), ("request-changes", {"comment": "Fix."}),
                         ("release", {})):
        refused = as_curator2.post(f"{url}{action}/", body, format="json")
        assert refused.status_code == 409, action
        assert refused.json()["claimed_by"] == "cura" and refused.json()["status"] == "in_review"
        detail = refused.json()["detail"]
        verb = action.replace("-", " ")
        assert detail.startswith(f"cura claimed this record and is reviewing it: only they can {verb} now.")
        assert "Take it over first" in detail
    # Claiming what another curator holds is a take-over, and the answer says so and by whom.
    claimed = as_curator2.post(f"{url}claim/", {})
    assert claimed.status_code == 409 and claimed.json()["claimed_by"] == "cura"
    assert "Take it over instead" in claimed.json()["detail"]
    seen = as_curator2.get(url).json()
    assert seen["allowed_actions"] == ["take-over"] and seen["reviewer"] == "cura"
    assert as_curator.get(url).json()["allowed_actions"] == ["release", "approve", "reject", "request-changes"]
    assert Adoption.objects.get(pk=draft["id"]).status == Status.IN_REVIEW


def test_take_over_then_decide(as_contributor, as_curator, as_curator2, draft):
    url = f"{SUBMISSIONS}{draft['id']}/"
    as_contributor.post(f"{url}submit/", {})
    as_curator.post(f"{url}claim/", {})
    taken = as_curator2.post(f"{url}take-over/", {"comment": "Picking this up."}, format="json")
    assert taken.status_code == 200
    assert taken.json()["status"] == "in_review" and taken.json()["reviewer"] == "cura2"
    event = ModerationEvent.objects.filter(adoption_id=draft["id"]).last()
    assert event.action == Action.TAKE_OVER and event.comment == "Took over the review from cura. Picking this up."
    again = as_curator2.post(f"{url}take-over/", {})
    assert again.status_code == 409 and again.json()["claimed_by"] == "cura2"
    assert as_curator.post(f"{url}approve/", {}).json()["claimed_by"] == "cura2"
    approved = as_curator2.post(f"{url}approve/", {})
    assert approved.status_code == 200 and approved.json()["status"] == "published"


def test_the_holder_releases_to_the_queue(as_contributor, as_curator, as_curator2, draft):
    url = f"{SUBMISSIONS}{draft['id']}/"
    as_contributor.post(f"{url}submit/", {})
    as_curator.post(f"{url}claim/", {})
    released = as_curator.post(f"{url}release/", {})
    assert released.status_code == 200
    assert released.json()["status"] == "submitted" and released.json()["reviewer"] is None
    assert as_curator2.post(f"{url}claim/", {}).status_code == 200


def test_a_curator_who_edited_the_draft_through_the_api_may_not_decide(
    as_contributor, as_curator, as_curator2, draft
):
    url = f"{SUBMISSIONS}{draft['id']}/"
    edited = as_curator.patch(url, {"summary": "Wording the curator wrote."}, format="json")
    assert edited.status_code == 200
    assert as_contributor.post(f"{url}submit/", {}).status_code == 200
    assert as_curator.get(url).json()["allowed_actions"] == []
    for action, body in (("claim", {}), ("reject", {"comment": "No."}), ("request-changes", {"comment": "Fix."})):
        refused = as_curator.post(f"{url}{action}/", body, format="json")
        assert refused.status_code == 403, action
        assert "you changed its content since it was last published" in refused.json()["detail"]
    assert as_curator2.post(f"{url}claim/", {}).status_code == 200
    assert as_curator.post(f"{url}take-over/", {}).status_code == 403
    assert as_curator2.post(f"{url}approve/", {}).json()["status"] == "published"


def test_a_curator_never_approves_their_own_change_request(as_curator, as_curator2, curator):
    record = AdoptionFactory(published=True)
    proposed = change_requests.change_request_create(adoption=record, user=curator, proposed={"stage": "pilot"})
    url = f"/api/v1/change-requests/{proposed.pk}/approve/"
    refused = as_curator.post(url, {})
    assert refused.status_code == 403 and "your own change request" in refused.json()["detail"]
    assert as_curator2.post(url, {}).json()["status"] == "approved"


def test_curators_list_costs_no_query_per_row_for_the_authors(as_curator, contributor, curator,
                                                              django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(n):
        for _ in range(n):
            EvidenceFactory(adoption=AdoptionFactory(created_by=contributor, status=Status.SUBMITTED))

    add(1)
    as_curator.get(SUBMISSIONS)
    with CaptureQueriesContext(connection) as one:
        as_curator.get(SUBMISSIONS)
    add(5)
    with django_assert_max_num_queries(len(one.captured_queries)):
        rows = as_curator.get(SUBMISSIONS).json()["results"]
    assert len(rows) == 6 and all(row["allowed_actions"] == ["claim", "reject", "request-changes"] for row in rows)


def test_take_over_is_documented(anon):
    schema = anon.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/submissions/{id}/take-over/"]["post"]
    assert {"200", "403", "409"} <= set(operation["responses"])
