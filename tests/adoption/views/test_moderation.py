"""Curator pages: access by role, the queue, claim / approve / reject / request changes through the services,
four eyes, comments required, stale versions, change requests as a diff, CSRF."""

import pytest
from django.test import Client

from adoption.choices import Action, ChangeRequestStatus, Status
from adoption.services import change_requests, moderation, records

pytestmark = pytest.mark.django_db


def _submitted(user, family, adopter, **data):
    adoption = records.adoption_create(
        user=user, data={"adopter": adopter, "family": family, "relation": "fine_tune", **data},
        evidence=[{"url": "https://example.org/card", "kind": "model_card", "title": "The model card"}],
    )
    return moderation.adoption_submit(adoption=adoption, user=user)


@pytest.fixture
def submission(contributor, qwen, aisg):
    return _submitted(contributor, qwen, aisg, product_name="SEA-LION on Qwen")


@pytest.fixture
def as_curator(signed_in, curator):
    return signed_in(curator)


def test_anonymous_goes_to_log_in_and_contributors_are_refused(signed_in, client, contributor, submission):
    for url in ("/moderation/", f"/moderation/{submission.pk}/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client = signed_in(contributor)
    for url in ("/moderation/", f"/moderation/{submission.pk}/"):
        response = client.get(url)
        assert response.status_code == 403
        assert "Only curators" in response.content.decode()
    response = client.post(f"/moderation/{submission.pk}/", {"action": "claim"})
    assert response.status_code == 403
    submission.refresh_from_db()
    assert submission.status == Status.SUBMITTED


def test_queue_lists_waiting_submissions_with_few_queries(as_curator, contributor, qwen, aisg,
                                                          django_assert_max_num_queries):
    for n in range(5):
        _submitted(contributor, qwen, aisg, product_name=f"Product {n}")
    with django_assert_max_num_queries(12):
        body = as_curator.get("/moderation/").content.decode()
    assert "5 waiting for a curator" in body
    assert body.count("/moderation/") >= 5 and "Product 4" in body
    nav = as_curator.get("/").content.decode()
    assert 'Moderation <span class="count">5</span>' in nav


def test_claim_then_approve_publishes(as_curator, curator, submission):
    page = as_curator.get(f"/moderation/{submission.pk}/").content.decode()
    assert "Claim for review" in page and "Approve and publish" not in page
    assert "The model card" in page  # the evidence is on the review page
    response = as_curator.post(f"/moderation/{submission.pk}/", {"action": "claim", "version": submission.version})
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == Status.IN_REVIEW and submission.reviewer == curator
    page = as_curator.get(f"/moderation/{submission.pk}/").content.decode()
    assert "Approve and publish" in page
    response = as_curator.post(f"/moderation/{submission.pk}/", {"action": "approve", "version": submission.version})
    assert response.status_code == 302 and response["Location"] == "/moderation/"
    submission.refresh_from_db()
    assert submission.status == Status.PUBLISHED
    assert submission.events.filter(action=Action.APPROVE, actor=curator).exists()
    assert "Approved" in as_curator.get("/moderation/").content.decode()


def test_request_changes_needs_a_comment(as_curator, submission):
    response = as_curator.post(f"/moderation/{submission.pk}/", {"action": "request_changes", "comment": "  "})
    assert response.status_code == 400
    body = response.content.decode()
    assert "a comment is required" in body and 'id="id_comment_error"' in body
    submission.refresh_from_db()
    assert submission.status == Status.SUBMITTED
    response = as_curator.post(f"/moderation/{submission.pk}/",
                               {"action": "request_changes", "comment": "Add the model card."})
    submission.refresh_from_db()
    assert response.status_code == 302 and submission.status == Status.CHANGES_REQUESTED
    assert submission.events.get(action=Action.REQUEST_CHANGES).comment == "Add the model card."


def test_reject_with_reason(as_curator, submission):
    as_curator.post(f"/moderation/{submission.pk}/", {"action": "reject", "comment": "Not an open-weight model."})
    submission.refresh_from_db()
    assert submission.status == Status.REJECTED


def test_four_eyes_no_buttons_on_own_submission(signed_in, curator, qwen, aisg):
    own = _submitted(curator, qwen, aisg)
    client = signed_in(curator)
    page = client.get(f"/moderation/{own.pk}/").content.decode()
    assert "another curator must decide" in page
    assert 'value="claim"' not in page
    response = client.post(f"/moderation/{own.pk}/", {"action": "claim"})
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.status == Status.SUBMITTED


def test_stale_decision_is_refused(as_curator, submission, contributor):
    stale = submission.version
    moderation.adoption_withdraw(adoption=submission, user=contributor)
    response = as_curator.post(f"/moderation/{submission.pk}/", {"action": "claim", "version": stale})
    assert response.status_code == 409
    assert "since you loaded it" in response.content.decode()


def test_wrong_transition_is_a_message_not_an_error(as_curator, submission):
    response = as_curator.post(f"/moderation/{submission.pk}/", {"action": "approve"})
    assert response.status_code == 409
    assert "Cannot approve a record that is submitted" in response.content.decode()


def test_unknown_action_is_404(as_curator, submission):
    assert as_curator.post(f"/moderation/{submission.pk}/", {"action": "submit"}).status_code == 404
    assert as_curator.post(f"/moderation/{submission.pk}/", {"action": "explode"}).status_code == 404


def test_duplicates_flagged_to_the_curator(as_curator, contributor, other_contributor, qwen, aisg):
    first = _submitted(contributor, qwen, aisg, product_name="SEA-LION")
    second = _submitted(other_contributor, qwen, aisg, product_name="SEA-LION")
    page = as_curator.get(f"/moderation/{second.pk}/").content.decode()
    assert "Likely duplicates" in page and f"/moderation/{first.pk}/" in page
    assert "same adopter and family" in page


@pytest.fixture
def change_request(published, other_contributor):
    return change_requests.change_request_create(
        adoption=published, user=other_contributor, proposed={"stage": "pilot", "product_name": "SEA-LION v4"},
        comment="The announcement says pilot.",
    )


def test_change_request_diff_and_approval(as_curator, curator, change_request, published):
    queue = as_curator.get("/moderation/").content.decode()
    assert f"/moderation/change-requests/{change_request.pk}/" in queue
    page = as_curator.get(f"/moderation/change-requests/{change_request.pk}/").content.decode()
    assert "The announcement says pilot." in page
    # The stage by its label, as the record's page names it (not the API's value).
    assert '<td class="old">Production</td>' in page and '<td class="new">Pilot' in page
    response = as_curator.post(f"/moderation/change-requests/{change_request.pk}/", {"action": "approve"})
    assert response.status_code == 302
    published.refresh_from_db()
    change_request.refresh_from_db()
    assert published.stage == "pilot" and published.product_name == "SEA-LION v4"
    assert change_request.status == ChangeRequestStatus.APPROVED and change_request.decided_by == curator


def test_change_request_rejection_needs_a_reason(as_curator, change_request, published):
    response = as_curator.post(f"/moderation/change-requests/{change_request.pk}/", {"action": "reject"})
    assert response.status_code == 400 and "a comment is required" in response.content.decode()
    as_curator.post(f"/moderation/change-requests/{change_request.pk}/", {"action": "reject", "comment": "No source."})
    change_request.refresh_from_db()
    published.refresh_from_db()
    assert change_request.status == ChangeRequestStatus.REJECTED and published.stage == "production"


def test_contributor_cannot_decide_change_requests(signed_in, contributor, change_request):
    client = signed_in(contributor)
    response = client.post(f"/moderation/change-requests/{change_request.pk}/", {"action": "approve"})
    assert response.status_code == 403


def test_retract_a_published_record(as_curator, published):
    page = as_curator.get(f"/moderation/{published.pk}/").content.decode()
    assert 'value="retract"' in page
    as_curator.post(f"/moderation/{published.pk}/", {"action": "retract", "comment": "Source withdrawn."})
    published.refresh_from_db()
    assert published.status == Status.RETRACTED
    # still readable, with its reason, by anyone
    body = Client().get(f"/adoptions/{published.pk}/").content.decode()
    assert "was retracted" in body


def test_csrf_is_enforced_on_decisions(curator, submission):
    client = Client(enforce_csrf_checks=True)
    client.force_login(curator)
    assert client.post(f"/moderation/{submission.pk}/", {"action": "claim"}).status_code == 403
    submission.refresh_from_db()
    assert submission.status == Status.SUBMITTED


def test_a_claimed_record_offers_take_over_to_other_curators(signed_in, curator, second_curator, submission):
    moderation.adoption_claim(adoption=submission, user=curator)
    other = signed_in(second_curator)
    page = other.get(f"/moderation/{submission.pk}/").content.decode()
    assert "Claimed by <strong>cura</strong>" in page and 'value="take_over"' in page
    assert 'value="approve"' not in page and 'value="reject"' not in page
    forged = other.post(f"/moderation/{submission.pk}/", {"action": "approve", "version": submission.version + 1})
    assert forged.status_code == 409
    assert "cura claimed this record and is reviewing it" in forged.content.decode()
    submission.refresh_from_db()
    assert submission.status == Status.IN_REVIEW and submission.reviewer == curator
    taken = other.post(f"/moderation/{submission.pk}/", {"action": "take_over", "comment": "cura is away.",
                                                          "version": submission.version})
    assert taken.status_code == 302 and taken["Location"] == f"/moderation/{submission.pk}/"
    page = other.get(f"/moderation/{submission.pk}/").content.decode()
    assert "You hold this record in review" in page and 'value="approve"' in page and 'value="release"' in page
    assert "Took over the review from cura. cura is away." in page  # the log says whose review it was
    submission.refresh_from_db()
    approved = other.post(f"/moderation/{submission.pk}/", {"action": "approve", "version": submission.version})
    assert approved.status_code == 302
    submission.refresh_from_db()
    assert submission.status == Status.PUBLISHED and submission.reviewer == second_curator


def test_the_holder_releases_a_record_from_the_page(as_curator, curator, submission):
    moderation.adoption_claim(adoption=submission, user=curator)
    submission.refresh_from_db()
    response = as_curator.post(f"/moderation/{submission.pk}/", {"action": "release", "version": submission.version})
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == Status.SUBMITTED and submission.reviewer is None


def test_a_curator_who_edited_the_draft_on_the_page_may_not_decide(
    signed_in, as_curator, second_curator, contributor, qwen, aisg
):
    from tests.adoption.views.test_contribute import form_data

    draft = records.adoption_create(
        user=contributor, data={"adopter": aisg, "family": qwen, "relation": "fine_tune"},
        evidence=[{"url": "https://huggingface.co/aisingapore/model", "kind": "model_card"}],
    )
    edited = as_curator.post(f"/me/submissions/{draft.pk}/edit/", form_data(
        summary="The curator's own wording.", version=str(draft.version)) | {"evidence-INITIAL_FORMS": "1"})
    assert edited.status_code == 302
    draft.refresh_from_db()
    assert draft.summary == "The curator's own wording."
    moderation.adoption_submit(adoption=draft, user=contributor)
    page = as_curator.get(f"/moderation/{draft.pk}/").content.decode()
    assert "You changed this record's content since it was last published" in page
    assert 'value="claim"' not in page and 'value="reject"' not in page
    forged = as_curator.post(f"/moderation/{draft.pk}/", {"action": "claim"})
    assert forged.status_code == 403 and "you changed its content" in forged.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED
    other = signed_in(second_curator)
    assert 'value="claim"' in other.get(f"/moderation/{draft.pk}/").content.decode()
    assert other.post(f"/moderation/{draft.pk}/", {"action": "claim"}).status_code == 302


def test_own_change_request_is_not_decided_on_the_page(signed_in, as_curator, curator, second_curator, published):
    mine = change_requests.change_request_create(adoption=published, user=curator, proposed={"stage": "pilot"})
    page = as_curator.get(f"/moderation/change-requests/{mine.pk}/").content.decode()
    assert "You proposed this correction: another curator must decide." in page and 'value="approve"' not in page
    forged = as_curator.post(f"/moderation/change-requests/{mine.pk}/", {"action": "approve"})
    assert forged.status_code == 403 and "your own change request" in forged.content.decode()
    other = signed_in(second_curator)
    assert other.post(f"/moderation/change-requests/{mine.pk}/", {"action": "approve"}).status_code == 302
    published.refresh_from_db()
    assert published.stage == "pilot"
