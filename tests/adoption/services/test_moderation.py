"""The curation workflow: the transition table, the permission matrix, events, emails and row locks."""

import threading

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from adoption.choices import Action, Status
from adoption.maps import upkeep
from adoption.models import Adoption, ModerationEvent
from adoption.services import moderation, workflow
from adoption.services.errors import ActionForbidden, ClaimHeld, StaleVersion, TransitionNotAllowed
from adoption.services.moderation import ACTION_SERVICES
from adoption.services.workflow import ALLOWED_TRANSITIONS
from tests.factories import AdoptionFactory, EvidenceFactory, OrganizationFactory, UserFactory

ACTIONS = list(ACTION_SERVICES)
ACTORS = ("anonymous", "owner", "other_contributor", "curator_owner", "curator", "superuser")


def record(status: str, owner, **fields) -> Adoption:
    """A record with one source, owned by `owner`, already in `status`."""
    adoption = AdoptionFactory(status=status, created_by=owner, **fields)
    EvidenceFactory(adoption=adoption)
    return adoption


def comment_for(action: str) -> str:
    return "Because the source says so." if ALLOWED_TRANSITIONS[action].needs_comment else ""


def actor_for(action: str, owner, curator):
    """Someone the table allows to take `action` on owner's record."""
    return owner if ALLOWED_TRANSITIONS[action].role == workflow.OWNER else curator


def snapshot(adoption: Adoption) -> tuple:
    adoption.refresh_from_db()
    return adoption.status, adoption.version, adoption.reviewer_id, adoption.history.count()


@pytest.mark.django_db
@pytest.mark.parametrize("status", Status.values)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_status_and_action_follows_the_table(status, action, contributor, curator):
    adoption = record(status, contributor)
    row = ALLOWED_TRANSITIONS[action]
    service = ACTION_SERVICES[action]
    before = snapshot(adoption)
    if status in row.sources:
        result = service(adoption=adoption, user=actor_for(action, contributor, curator), comment=comment_for(action))
        assert result.status == row.target
        assert result.version == before[1] + 1
        assert snapshot(adoption)[3] == before[3] + 1  # one history row, by the actor
        assert adoption.history.first().history_user == actor_for(action, contributor, curator)
        event = ModerationEvent.objects.get(adoption=adoption)
        assert (event.action, event.from_status, event.to_status) == (action, status, row.target)
        assert event.actor_username == actor_for(action, contributor, curator).username
    else:
        with pytest.raises(TransitionNotAllowed) as refused:
            service(adoption=adoption, user=actor_for(action, contributor, curator), comment=comment_for(action))
        assert refused.value.status == status
        assert status.replace("_", " ") in str(refused.value)
        assert snapshot(adoption) == before
        assert not ModerationEvent.objects.exists()


@pytest.fixture
def actors(contributor, other_contributor, curator, superuser):
    curator_owner = UserFactory(username="curowner")
    curator_owner.groups.set(curator.groups.all())
    return {
        "anonymous": None, "owner": contributor, "other_contributor": other_contributor,
        "curator_owner": curator_owner, "curator": curator, "superuser": superuser,
    }


def may(actor: str, action: str) -> bool:
    """The permission matrix, written out by hand from the issue (not derived from the code)."""
    owner_actions = {Action.SUBMIT, Action.WITHDRAW}
    decisions = {Action.CLAIM, Action.TAKE_OVER, Action.APPROVE, Action.REJECT, Action.REQUEST_CHANGES}
    # Retract, and release (nobody holds these records: any curator may give them back to the queue).
    no_four_eyes = {Action.RETRACT, Action.RELEASE}
    if actor == "anonymous" or actor == "other_contributor":
        return False
    if actor == "owner":
        return action in owner_actions
    if actor == "curator_owner":  # owns the record: may submit/withdraw and retract, never decide (four eyes)
        return action in owner_actions or action in no_four_eyes
    return action in decisions or action in no_four_eyes  # curator and superuser on someone else's record


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", ACTIONS)
def test_permission_matrix(actor, action, actors):
    from django.contrib.auth.models import AnonymousUser

    owner = actors["curator_owner"] if actor == "curator_owner" else actors["owner"]
    status = sorted(ALLOWED_TRANSITIONS[action].sources)[0]
    adoption = record(status, owner)
    user = actors[actor] or AnonymousUser()
    before = snapshot(adoption)
    if may(actor, action):
        ACTION_SERVICES[action](adoption=adoption, user=user, comment=comment_for(action))
        assert ModerationEvent.objects.filter(adoption=adoption, action=action).count() == 1
    else:
        with pytest.raises(ActionForbidden) as refused:
            ACTION_SERVICES[action](adoption=adoption, user=user, comment=comment_for(action))
        assert str(refused.value)
        assert snapshot(adoption) == before
        assert not ModerationEvent.objects.exists()


@pytest.mark.django_db
def test_four_eyes_message_names_the_rule(curator):
    adoption = record(Status.IN_REVIEW, curator)
    with pytest.raises(ActionForbidden, match="own submission"):
        moderation.adoption_approve(adoption=adoption, user=curator)


@pytest.mark.django_db
@pytest.mark.parametrize("action", [a for a, row in ALLOWED_TRANSITIONS.items() if row.needs_comment])
@pytest.mark.parametrize("comment", ["", "   "])
def test_decisions_that_need_a_reason_refuse_an_empty_comment(action, comment, contributor, curator):
    adoption = record(sorted(ALLOWED_TRANSITIONS[action].sources)[0], contributor)
    before = snapshot(adoption)
    with pytest.raises(ValidationError) as refused:
        ACTION_SERVICES[action](adoption=adoption, user=curator, comment=comment)
    assert "comment" in refused.value.message_dict
    assert snapshot(adoption) == before
    assert not ModerationEvent.objects.exists()


@pytest.mark.django_db
def test_submit_needs_evidence(contributor):
    adoption = AdoptionFactory(status=Status.DRAFT, created_by=contributor)
    with pytest.raises(ValidationError) as refused:
        moderation.adoption_submit(adoption=adoption, user=contributor)
    assert "evidence" in refused.value.message_dict
    adoption.refresh_from_db()
    assert adoption.status == Status.DRAFT


@pytest.mark.django_db
def test_stale_version_is_refused_naming_who_changed_it(contributor, curator):
    adoption = record(Status.SUBMITTED, contributor)
    seen = adoption.version
    moderation.adoption_claim(adoption=adoption, user=curator, expected_version=seen)
    with pytest.raises(StaleVersion, match="by cura"):
        moderation.adoption_withdraw(adoption=adoption, user=contributor, expected_version=seen)
    adoption.refresh_from_db()
    assert adoption.status == Status.IN_REVIEW


@pytest.mark.django_db
def test_approval_publishes_a_proposed_adopter_with_the_record(contributor, curator, second_curator):
    proposed = OrganizationFactory(is_published=False, created_by=contributor)
    adoption = record(Status.DRAFT, contributor, adopter=proposed)
    moderation.adoption_submit(adoption=adoption, user=contributor)
    proposed.refresh_from_db()
    assert not proposed.is_published  # never before approval
    moderation.adoption_claim(adoption=adoption, user=curator)
    moderation.adoption_take_over(adoption=adoption, user=second_curator)  # claims hold
    moderation.adoption_approve(adoption=adoption, user=second_curator)
    proposed.refresh_from_db()
    adoption.refresh_from_db()
    assert proposed.is_published
    assert adoption.published_at is not None and adoption.reviewer == second_curator


@pytest.mark.django_db
@pytest.mark.parametrize("action", [a for a, row in ALLOWED_TRANSITIONS.items() if row.notify])
def test_decisions_email_the_contributor_once_committed(
    action, contributor, curator, django_capture_on_commit_callbacks
):
    adoption = record(sorted(ALLOWED_TRANSITIONS[action].sources)[0], contributor)
    with django_capture_on_commit_callbacks(execute=True):
        ACTION_SERVICES[action](adoption=adoption, user=curator, comment="See the model card.")
        assert mail.outbox == []  # nothing leaves before the commit
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [contributor.email]
    if action != Action.APPROVE:
        assert "See the model card." in mail.outbox[0].body
    event = ModerationEvent.objects.get(adoption=adoption, action=action)
    assert event.notified_at is not None
    # A retried task (or the sweep) never mails twice.
    assert moderation_email(event.pk) is False
    assert len(mail.outbox) == 1


def moderation_email(event_id):
    from adoption.tasks import send_moderation_email

    return send_moderation_email.apply(args=[event_id]).get()


@pytest.mark.django_db
def test_claim_and_submit_send_no_email(contributor, curator, django_capture_on_commit_callbacks):
    adoption = record(Status.DRAFT, contributor)
    with django_capture_on_commit_callbacks(execute=True):
        moderation.adoption_submit(adoption=adoption, user=contributor)
        moderation.adoption_claim(adoption=adoption, user=curator)
    assert mail.outbox == []


@pytest.mark.django_db
def test_rolled_back_decision_sends_nothing(contributor, curator, django_capture_on_commit_callbacks, monkeypatch):
    from adoption import tasks

    enqueued = []
    monkeypatch.setattr(tasks.send_moderation_email, "delay", lambda *args: enqueued.append(args))
    adoption = record(Status.IN_REVIEW, contributor)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        moderation.adoption_reject(adoption=adoption, user=curator, comment="Not a real adoption.")
        raise RuntimeError("the surrounding request failed")
    assert callbacks == []
    assert enqueued == [] and mail.outbox == []
    adoption.refresh_from_db()
    assert adoption.status == Status.IN_REVIEW
    assert not ModerationEvent.objects.exists()


@pytest.mark.django_db
def test_sweep_sends_what_a_broker_outage_lost(contributor, curator, monkeypatch):
    from datetime import timedelta

    from adoption.tasks import sweep_moderation_emails

    adoption = record(Status.IN_REVIEW, contributor)
    moderation.adoption_reject(adoption=adoption, user=curator, comment="Duplicate of #1.")  # on_commit never ran
    ModerationEvent.objects.update(created_at=ModerationEvent.objects.get().created_at - timedelta(hours=1))
    assert sweep_moderation_emails.apply().get() == 1
    assert len(mail.outbox) == 1
    assert sweep_moderation_emails.apply().get() == 0


@pytest.mark.django_db(transaction=True)
def test_two_curators_approving_at_once_one_wins(contributor, curator, second_curator, monkeypatch):
    """Real row locks on two connections: the second approval waits for the first, then is refused."""
    adoption = record(Status.IN_REVIEW, contributor)
    first_inside = threading.Event()
    release_first = threading.Event()
    real_published = upkeep.record_published

    def slow_published(record):
        # The first approval holds the row lock here until the second is seen waiting for it.
        if not first_inside.is_set():
            first_inside.set()
            release_first.wait(timeout=30)
        real_published(record)

    monkeypatch.setattr(upkeep, "record_published", slow_published)
    outcomes = {}

    def approve(name, user):
        try:
            moderation.adoption_approve(adoption=adoption, user=user, comment=name)
            outcomes[name] = "approved"
        except TransitionNotAllowed as exc:
            outcomes[name] = exc
        finally:
            connection.close()

    first = threading.Thread(target=approve, args=("first", curator))
    first.start()
    assert first_inside.wait(timeout=30)
    second = threading.Thread(target=approve, args=("second", second_curator))
    second.start()
    waiting = False
    for _ in range(300):  # bounded: until the second connection is seen blocked on the row lock
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                waiting = True
                break
        threading.Event().wait(0.05)
    release_first.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert waiting, "the second approval never waited for the row lock"
    assert outcomes["first"] == "approved"
    assert isinstance(outcomes["second"], TransitionNotAllowed)
    assert outcomes["second"].status == Status.PUBLISHED
    assert ModerationEvent.objects.filter(adoption=adoption, action=Action.APPROVE).count() == 1
    assert len(mail.outbox) == 1
    adoption.refresh_from_db()
    assert adoption.reviewer == curator


# Claims hold (DESIGN §3): a claimed record is decided by its holder; another curator takes it over first.


def claimed(owner, holder) -> Adoption:
    adoption = record(Status.SUBMITTED, owner)
    return moderation.adoption_claim(adoption=adoption, user=holder)


@pytest.mark.django_db
@pytest.mark.parametrize("action", [Action.APPROVE, Action.REJECT, Action.REQUEST_CHANGES, Action.RELEASE])
def test_a_claim_holds_against_other_curators(action, contributor, curator, second_curator):
    adoption = claimed(contributor, curator)
    before = snapshot(adoption)
    with pytest.raises(ClaimHeld) as refused:
        ACTION_SERVICES[action](adoption=adoption, user=second_curator, comment=comment_for(action))
    assert refused.value.holder == "cura" and refused.value.status == Status.IN_REVIEW
    assert "cura claimed this record" in str(refused.value) and "Take it over first" in str(refused.value)
    assert snapshot(adoption) == before
    assert list(workflow.allowed_actions(adoption, second_curator)) == [Action.TAKE_OVER]
    assert Action.TAKE_OVER not in workflow.allowed_actions(adoption, curator)


@pytest.mark.django_db
def test_take_over_is_logged_with_the_previous_holder_then_the_new_holder_decides(
    contributor, curator, second_curator
):
    adoption = claimed(contributor, curator)
    taken = moderation.adoption_take_over(adoption=adoption, user=second_curator, comment="cura is on leave.")
    assert (taken.status, taken.reviewer) == (Status.IN_REVIEW, second_curator)
    event = ModerationEvent.objects.filter(adoption=adoption).last()
    assert (event.action, event.actor_username, event.from_status, event.to_status) == (
        Action.TAKE_OVER, "cura2", Status.IN_REVIEW, Status.IN_REVIEW)
    assert event.comment == "Took over the review from cura. cura is on leave."
    assert adoption.history.first().history_user == second_curator
    with pytest.raises(ClaimHeld, match="cura2 claimed"):  # the first holder lost the claim
        moderation.adoption_approve(adoption=adoption, user=curator)
    with pytest.raises(ClaimHeld, match="already hold"):
        moderation.adoption_take_over(adoption=adoption, user=second_curator)
    assert moderation.adoption_approve(adoption=adoption, user=second_curator).status == Status.PUBLISHED


@pytest.mark.django_db
def test_take_over_keeps_four_eyes(curator, second_curator):
    adoption = claimed(second_curator, curator)  # cura2's own submission, claimed by cura
    with pytest.raises(ActionForbidden, match="own submission"):
        moderation.adoption_take_over(adoption=adoption, user=second_curator)
    assert workflow.allowed_actions(adoption, second_curator) == [Action.WITHDRAW]


@pytest.mark.django_db
def test_the_holder_may_release_a_record_back_to_the_queue(contributor, curator, second_curator):
    adoption = claimed(contributor, curator)
    released = moderation.adoption_release(adoption=adoption, user=curator, comment="No time this week.")
    assert (released.status, released.reviewer) == (Status.SUBMITTED, None)
    assert ModerationEvent.objects.filter(adoption=adoption).last().action == Action.RELEASE
    assert moderation.adoption_claim(adoption=adoption, user=second_curator).reviewer == second_curator


# Four eyes count every author: whoever changed the content since it was last published does not decide.


def _contributed(owner, **data):
    from adoption.services import records

    return records.adoption_create(
        user=owner, data={"adopter": OrganizationFactory(), "family": AdoptionFactory().family,
                          "relation": "fine_tune", **data},
        evidence=[{"url": "https://example.org/card", "kind": "model_card"}],
    )


@pytest.mark.django_db
@pytest.mark.parametrize("edit", [
    {"data": {"summary": "The curator's own wording."}},
    {"data": {}, "evidence": [{"url": "https://example.org/other", "kind": "paper"}]},
], ids=["fields", "sources"])
def test_a_curator_who_edited_a_draft_does_not_decide_on_it(edit, contributor, curator, second_curator):
    from adoption.services import records

    adoption = _contributed(contributor)
    records.adoption_update(adoption=adoption, user=curator, **edit)
    moderation.adoption_submit(adoption=adoption, user=contributor)
    for action in (Action.CLAIM, Action.REJECT, Action.REQUEST_CHANGES):
        with pytest.raises(ActionForbidden, match="you changed its content since it was last published"):
            ACTION_SERVICES[action](adoption=adoption, user=curator, comment=comment_for(action))
    assert workflow.allowed_actions(Adoption.objects.get(pk=adoption.pk), curator) == []
    moderation.adoption_claim(adoption=adoption, user=second_curator)  # another pair of eyes may
    with pytest.raises(ActionForbidden):
        moderation.adoption_take_over(adoption=adoption, user=curator)
    assert moderation.adoption_approve(adoption=adoption, user=second_curator).status == Status.PUBLISHED


@pytest.mark.django_db
def test_a_curator_who_edited_a_record_sent_back_does_not_approve_it(contributor, curator, second_curator):
    from adoption.services import records

    adoption = _contributed(contributor)
    moderation.adoption_submit(adoption=adoption, user=contributor)
    moderation.adoption_claim(adoption=adoption, user=curator)
    moderation.adoption_request_changes(adoption=adoption, user=curator, comment="Name the product.")
    records.adoption_update(adoption=adoption, user=curator, data={"product_name": "Fixed by the curator"})
    moderation.adoption_submit(adoption=adoption, user=contributor)
    with pytest.raises(ActionForbidden, match="four eyes"):
        moderation.adoption_claim(adoption=adoption, user=curator)
    moderation.adoption_claim(adoption=adoption, user=second_curator)
    assert moderation.adoption_approve(adoption=adoption, user=second_curator).status == Status.PUBLISHED


@pytest.mark.django_db
def test_deciding_or_a_no_op_save_is_not_authorship(contributor, curator):
    from adoption import selectors
    from adoption.services import records

    adoption = _contributed(contributor, summary="As written.")
    records.adoption_update(adoption=adoption, user=curator, data={"summary": "As written."})  # nothing changed
    moderation.adoption_submit(adoption=adoption, user=contributor)
    moderation.adoption_claim(adoption=adoption, user=curator)
    moderation.adoption_request_changes(adoption=adoption, user=curator, comment="One more source?")
    assert selectors.content_authors([adoption])[adoption.pk] == {contributor.pk}
    moderation.adoption_submit(adoption=adoption, user=contributor)
    moderation.adoption_claim(adoption=adoption, user=curator)
    assert moderation.adoption_approve(adoption=adoption, user=curator).status == Status.PUBLISHED
    assert selectors.content_authors([adoption])[adoption.pk] == frozenset()  # counted again from publication
