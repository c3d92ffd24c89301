"""The admin for a curator: the queue, decisions through the services, bulk approval, change requests."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from adoption.choices import Action, ChangeRequestStatus, Status
from adoption.models import Adoption, Checkpoint, Country, Evidence, ModelFamily, ModerationEvent, Organization, Region
from adoption.services import change_requests, moderation, workflow
from adoption.services.roles import role_grant
from tests.factories import (
    AdoptionFactory,
    CountryFactory,
    EvidenceFactory,
    ModelFamilyFactory,
    OrganizationFactory,
    UserFactory,
)

CHANGELIST = reverse("admin:adoption_adoption_changelist")


@pytest.fixture
def staff_curator(db):
    user = UserFactory(username="ada")
    role_grant(user=user, role="curator")
    return user


def queued(status, owner, submitted_days_ago=1, **fields):
    adoption = AdoptionFactory(
        status=status, created_by=owner, submitted_at=timezone.now() - datetime.timedelta(days=submitted_days_ago),
        **fields,
    )
    EvidenceFactory(adoption=adoption)
    return adoption


def shown(response) -> list[int]:
    return [obj.pk for obj in response.context["cl"].result_list]


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.django_db
def test_queue_lists_waiting_records_first_oldest_first(signed_in, staff_curator, contributor):
    published = queued(Status.PUBLISHED, contributor, submitted_days_ago=90)
    newer = queued(Status.SUBMITTED, contributor, submitted_days_ago=1)
    older = queued(Status.IN_REVIEW, contributor, submitted_days_ago=10)
    response = signed_in(staff_curator).get(CHANGELIST)
    assert response.status_code == 200
    assert shown(response) == [older.pk, newer.pk, published.pk]


@pytest.mark.django_db
def test_queue_query_count_does_not_grow_with_rows(
    signed_in, staff_curator, contributor, django_assert_max_num_queries
):
    client = signed_in(staff_curator)
    for _ in range(3):
        queued(Status.SUBMITTED, contributor)
    client.get(CHANGELIST)  # warm caches (content types, sessions)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(CHANGELIST)
    for _ in range(12):
        queued(Status.SUBMITTED, contributor)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(shown(client.get(CHANGELIST))) == 15


@pytest.mark.django_db
def test_queue_filters(signed_in, staff_curator, contributor):
    kenya = CountryFactory(iso2="KE", iso3="KEN", numeric="404", name="Kenya",
                           region=Region.objects.get_or_create(code="002", name="Africa", level="region")[0],
                           subregion=None)
    nairobi_lab = OrganizationFactory(country=kenya, kind="startup")
    family = ModelFamilyFactory(slug="llama")
    mine = queued(Status.IN_REVIEW, contributor, submitted_days_ago=2)
    mine.reviewer = staff_curator
    mine.save()
    old = queued(Status.SUBMITTED, contributor, submitted_days_ago=45, adopter=nairobi_lab, family=family)
    published = queued(Status.PUBLISHED, contributor)
    client = signed_in(staff_curator)
    cases = {
        "status=submitted": [old.pk],
        "assigned=me": [mine.pk],
        "assigned=unassigned": [old.pk],
        "age=older": [old.pk],
        "age=week": [mine.pk],
        "adopter__country__iso2__exact=KE": [old.pk],
        "region=002": [old.pk],
        f"family__id__exact={family.pk}": [old.pk],
        "adopter__kind__exact=startup": [old.pk],
        "status__exact=published": [published.pk],
        "q=" + nairobi_lab.name: [old.pk],
    }
    for query, expected in cases.items():
        response = client.get(f"{CHANGELIST}?{query}")
        assert response.status_code == 200, query
        assert sorted(shown(response)) == sorted(expected), query


@pytest.mark.django_db
def test_status_is_not_a_form_field_and_records_cannot_be_edited_here(signed_in, staff_curator, contributor):
    adoption = queued(Status.SUBMITTED, contributor)
    client = signed_in(staff_curator)
    url = reverse("admin:adoption_adoption_change", args=[adoption.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="status"' not in page.content
    assert b"Claim" in page.content and b"Reject" in page.content and b"Approve" not in page.content
    assert client.post(url, {"status": Status.PUBLISHED}).status_code == 403
    adoption.refresh_from_db()
    assert adoption.status == Status.SUBMITTED


@pytest.mark.django_db
def test_record_page_shows_evidence_health_events_history_and_duplicates(signed_in, staff_curator, contributor):
    adopter = OrganizationFactory(name="Sarvam AI")
    family = ModelFamilyFactory(slug="mistral")
    existing = queued(Status.PUBLISHED, contributor, adopter=adopter, family=family, product_name="Sarvam-M")
    adoption = queued(Status.SUBMITTED, contributor, adopter=adopter, family=family, product_name="Sarvam-M v2")
    adoption.evidence.update(link_status="broken")
    workflow.event_log(adoption=adoption, user=contributor, action=Action.SUBMIT, to_status=Status.SUBMITTED,
                         comment="Not the same as the first one.")
    client = signed_in(staff_curator)
    page = client.get(reverse("admin:adoption_adoption_change", args=[adoption.pk])).content.decode()
    assert "Broken" in page  # link health of the source
    assert "Not the same as the first one." in page  # the moderation log
    assert f"#{existing.pk}" in page and "same adopter and family" in page  # duplicates side by side
    history = client.get(reverse("admin:adoption_adoption_history", args=[adoption.pk]))
    assert history.status_code == 200


@pytest.mark.django_db
def test_decision_asks_for_a_comment_and_calls_the_service(signed_in, staff_curator, contributor):
    adoption = queued(Status.IN_REVIEW, contributor)
    client = signed_in(staff_curator)
    url = reverse("admin:adoption_adoption_decide", args=[adoption.pk, "reject"])
    form = client.get(url)
    assert form.status_code == 200 and b"Required: say why" in form.content
    empty = client.post(url, {"comment": "", "expected_version": adoption.version})
    assert empty.status_code == 200 and b"This field is required" in empty.content
    adoption.refresh_from_db()
    assert adoption.status == Status.IN_REVIEW and not adoption.events.exists()
    done = client.post(url, {"comment": "No source names the model.", "expected_version": adoption.version})
    assert done.status_code == 302
    adoption.refresh_from_db()
    assert adoption.status == Status.REJECTED
    event = adoption.events.get()
    assert (event.action, event.actor, event.comment) == (Action.REJECT, staff_curator, "No source names the model.")
    assert adoption.history.first().history_user == staff_curator


@pytest.mark.django_db
def test_decision_on_a_stale_page_is_refused(signed_in, staff_curator, second_curator, contributor):
    adoption = queued(Status.SUBMITTED, contributor)
    seen = adoption.version
    moderation.adoption_claim(adoption=adoption, user=second_curator)
    client = signed_in(staff_curator)
    response = client.post(reverse("admin:adoption_adoption_decide", args=[adoption.pk, "request_changes"]),
                           {"comment": "Add a source.", "expected_version": seen})
    assert response.status_code == 302
    assert any("changed by cura2" in message for message in texts(response))
    adoption.refresh_from_db()
    assert adoption.status == Status.IN_REVIEW


@pytest.mark.django_db
def test_bulk_approve_applies_what_it_may_and_reports_the_rest(signed_in, staff_curator, contributor):
    ok_1 = queued(Status.IN_REVIEW, contributor)
    ok_2 = queued(Status.IN_REVIEW, contributor)
    own = queued(Status.IN_REVIEW, staff_curator)
    not_claimed = queued(Status.SUBMITTED, contributor)
    client = signed_in(staff_curator)
    selected = [ok_1.pk, ok_2.pk, own.pk, not_claimed.pk]
    confirm = client.post(CHANGELIST, {"action": "approve_selected", "_selected_action": selected})
    assert confirm.status_code == 200 and b"Comment" in confirm.content
    response = client.post(CHANGELIST, {"action": "approve_selected", "_selected_action": selected, "apply": "1",
                                        "comment": "Checked the model cards."})
    assert response.status_code == 302
    statuses = dict(Adoption.objects.filter(pk__in=selected).values_list("pk", "status"))
    assert statuses == {ok_1.pk: Status.PUBLISHED, ok_2.pk: Status.PUBLISHED, own.pk: Status.IN_REVIEW,
                        not_claimed.pk: Status.SUBMITTED}
    assert set(ModerationEvent.objects.values_list("adoption_id", flat=True)) == {ok_1.pk, ok_2.pk}
    assert ok_1.history.first().history_user == staff_curator and ok_1.history.first().status == Status.PUBLISHED
    assert own.history.count() == 1  # only the factory's creation: refused rows are untouched
    report = " ".join(texts(response))
    assert "2 done" in report and "2 refused" in report
    assert f"#{own.pk}: You cannot approve your own submission" in report
    assert f"#{not_claimed.pk}: Cannot approve a record that is submitted" in report


@pytest.mark.django_db
def test_bulk_reject_needs_the_comment(signed_in, staff_curator, contributor):
    adoption = queued(Status.SUBMITTED, contributor)
    response = signed_in(staff_curator).post(
        CHANGELIST, {"action": "reject_selected", "_selected_action": [adoption.pk], "apply": "1", "comment": ""}
    )
    assert response.status_code == 200 and b"This field is required" in response.content
    adoption.refresh_from_db()
    assert adoption.status == Status.SUBMITTED


@pytest.mark.django_db
def test_change_request_diff_and_approval_in_the_admin(signed_in, staff_curator, contributor, other_contributor):
    adoption = queued(Status.PUBLISHED, contributor, summary="Old summary")
    request = change_requests.change_request_create(adoption=adoption, user=other_contributor,
                                               proposed={"summary": "New summary"}, comment="Typo.")
    client = signed_in(staff_curator)
    page = client.get(reverse("admin:adoption_changerequest_change", args=[request.pk])).content.decode()
    assert "<del>Old summary</del>" in page and "<ins>New summary</ins>" in page
    response = client.post(reverse("admin:adoption_changerequest_decide", args=[request.pk, "approve"]),
                           {"comment": ""})
    assert response.status_code == 302
    adoption.refresh_from_db()
    request.refresh_from_db()
    assert adoption.summary == "New summary" and request.status == ChangeRequestStatus.APPROVED
    assert adoption.events.filter(action=Action.CHANGE_APPROVED, actor=staff_curator).exists()


@pytest.mark.django_db
def test_organization_edits_go_through_the_service_with_version_checks(signed_in, staff_curator, superuser):
    org = OrganizationFactory(name="Aleph Alpha", city="")
    url = reverse("admin:adoption_organization_change", args=[org.pk])
    client = signed_in(staff_curator)
    form = {"name": "Aleph Alpha GmbH", "aliases": "[]", "kind": "company", "country": org.country_id,
            "city": "", "website": "", "hf_handle": "", "notes": "", "expected_version": org.version}
    assert client.post(url, form).status_code == 302
    org.refresh_from_db()
    assert org.name == "Aleph Alpha GmbH" and org.version == 2
    assert org.history.first().history_user == staff_curator
    stale = client.post(url, {**form, "name": "Aleph", "expected_version": 1})
    assert stale.status_code == 200 and b"changed by ada" in stale.content
    org.refresh_from_db()
    assert org.name == "Aleph Alpha GmbH"


@pytest.mark.django_db
def test_contributors_cannot_open_the_admin_or_decide(signed_in, contributor):
    adoption = queued(Status.IN_REVIEW, UserFactory(username="someone"))
    client = signed_in(contributor)
    assert client.get(CHANGELIST).status_code == 302  # to the admin login
    client.post(reverse("admin:adoption_adoption_decide", args=[adoption.pk, "approve"]), {"comment": ""})
    adoption.refresh_from_db()
    assert adoption.status == Status.IN_REVIEW


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Region, Country, Organization, ModelFamily, Checkpoint, Adoption, Evidence,
                                   ModerationEvent, "changerequest"])
def test_every_model_has_a_working_list_and_record_page(signed_in, staff_curator, contributor, model):
    adoption = queued(Status.PUBLISHED, contributor)
    moderation.adoption_retract(adoption=adoption, user=staff_curator, comment="Gone.")
    request = change_requests.change_request_create(
        adoption=queued(Status.PUBLISHED, contributor), user=contributor, proposed={"summary": "x"}
    )
    from tests.factories import CheckpointFactory

    CheckpointFactory(family=adoption.family)
    name = model if isinstance(model, str) else model._meta.model_name
    instance = request if name == "changerequest" else (
        ModerationEvent.objects.first() if model is ModerationEvent else model.objects.first())
    client = signed_in(staff_curator)
    listing = client.get(reverse(f"admin:adoption_{name}_changelist") + "?q=a")
    assert listing.status_code == 200
    assert client.get(reverse(f"admin:adoption_{name}_change", args=[instance.pk])).status_code == 200


@pytest.mark.django_db
def test_a_claim_holds_in_the_admin_until_taken_over(signed_in, staff_curator, second_curator, contributor):
    adoption = queued(Status.SUBMITTED, contributor)
    moderation.adoption_claim(adoption=adoption, user=second_curator)
    client = signed_in(staff_curator)
    page = client.get(reverse("admin:adoption_adoption_change", args=[adoption.pk]))
    assert b"Take over" in page.content and b">Approve<" not in page.content
    assert any("Claimed by cura2" in message for message in texts(page))
    adoption.refresh_from_db()
    refused = client.post(reverse("admin:adoption_adoption_decide", args=[adoption.pk, "approve"]),
                          {"comment": "", "expected_version": adoption.version})
    assert refused.status_code == 302 and any("cura2 claimed this record" in m for m in texts(refused))
    bulk = client.post(CHANGELIST, {"action": "reject_selected", "_selected_action": [adoption.pk], "apply": "1",
                                    "comment": "Out of scope."})
    assert f"#{adoption.pk}: cura2 claimed this record" in " ".join(texts(bulk))
    adoption.refresh_from_db()
    assert adoption.status == Status.IN_REVIEW and adoption.reviewer == second_curator
    taken = client.post(reverse("admin:adoption_adoption_decide", args=[adoption.pk, "take_over"]),
                        {"comment": "cura2 is away.", "expected_version": adoption.version})
    assert taken.status_code == 302
    adoption.refresh_from_db()
    assert adoption.reviewer == staff_curator
    assert adoption.events.last().comment == "Took over the review from cura2. cura2 is away."
    client.post(CHANGELIST, {"action": "approve_selected", "_selected_action": [adoption.pk], "apply": "1",
                             "comment": ""})
    adoption.refresh_from_db()
    assert adoption.status == Status.PUBLISHED


@pytest.mark.django_db
def test_a_curator_who_edited_the_record_is_refused_in_the_admin(signed_in, staff_curator, contributor):
    from adoption.services import records

    second_curator = UserFactory(username="bea")
    role_grant(user=second_curator, role="curator")

    adoption = queued(Status.DRAFT, contributor)
    client = signed_in(staff_curator)
    change = reverse("admin:adoption_adoption_change", args=[adoption.pk])
    assert client.post(change, {"summary": "Edited in the admin"}).status_code == 403  # no edits here at all
    records.adoption_update(adoption=adoption, user=staff_curator, data={"summary": "The curator's wording."})
    moderation.adoption_submit(adoption=adoption, user=contributor)
    page = client.get(change)
    assert b">Claim<" not in page.content
    assert any("You changed this record's content" in message for message in texts(page))
    adoption.refresh_from_db()
    refused = client.post(reverse("admin:adoption_adoption_decide", args=[adoption.pk, "claim"]),
                          {"comment": "", "expected_version": adoption.version})
    assert any("you changed its content since it was last published" in m for m in texts(refused))
    bulk = client.post(CHANGELIST, {"action": "reject_selected", "_selected_action": [adoption.pk], "apply": "1",
                                    "comment": "Out of scope."})
    assert "1 refused" in " ".join(texts(bulk))
    adoption.refresh_from_db()
    assert adoption.status == Status.SUBMITTED
    other = signed_in(second_curator)
    other.post(reverse("admin:adoption_adoption_decide", args=[adoption.pk, "claim"]),
               {"comment": "", "expected_version": adoption.version})
    adoption.refresh_from_db()
    assert adoption.status == Status.IN_REVIEW and adoption.reviewer == second_curator


@pytest.mark.django_db
def test_own_change_request_is_refused_in_the_admin(signed_in, staff_curator, contributor):
    adoption = queued(Status.PUBLISHED, contributor)
    mine = change_requests.change_request_create(adoption=adoption, user=staff_curator, proposed={"stage": "pilot"})
    response = signed_in(staff_curator).post(
        reverse("admin:adoption_changerequest_decide", args=[mine.pk, "approve"]), {"comment": ""}
    )
    assert any("your own change request" in message for message in texts(response))
    mine.refresh_from_db()
    assert mine.status == ChangeRequestStatus.PENDING
