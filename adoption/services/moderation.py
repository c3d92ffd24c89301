"""The curation workflow: one table of allowed transitions and one guarded function per action.

Every action locks the row, checks the version, the actor's permission and the table, writes the
change (history records the actor), appends a ModerationEvent, and only then queues side effects
with `transaction.on_commit`, so a rolled-back transaction mails nobody. Nothing else writes
`Adoption.status`.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from adoption import selectors
from adoption.choices import Action, ChangeRequestStatus, Status
from adoption.models import Adoption, ChangeRequest, ModerationEvent
from adoption.roles import is_contributor, is_curator

from . import catalogue, maps
from .catalogue import check_version
from .errors import ActionForbidden, ClaimHeld, TransitionNotAllowed

OWNER, CURATOR = "owner", "curator"
# How an action treats the curator holding a record in review (claims hold, DESIGN §3).
HOLDER, NOT_HOLDER = "holder", "not_holder"


@dataclass(frozen=True)
class Transition:
    """One row of the table: from which statuses an action leads where, and who may take it."""

    sources: frozenset
    target: str
    role: str  # OWNER: the contributor who created the record; CURATOR: curators and superusers
    four_eyes: bool = False  # a curator may not take it on their own submission nor on one whose content they changed
    held: str = ""  # in review, HOLDER: only the curator holding the record; NOT_HOLDER: anyone but them
    needs_comment: bool = False
    notify: bool = False  # email the contributor once committed


ALLOWED_TRANSITIONS: dict[str, Transition] = {
    Action.SUBMIT: Transition(frozenset({Status.DRAFT, Status.CHANGES_REQUESTED}), Status.SUBMITTED, OWNER),
    Action.WITHDRAW: Transition(
        frozenset({Status.DRAFT, Status.SUBMITTED, Status.IN_REVIEW, Status.CHANGES_REQUESTED}), Status.WITHDRAWN,
        OWNER,
    ),
    Action.CLAIM: Transition(frozenset({Status.SUBMITTED}), Status.IN_REVIEW, CURATOR, four_eyes=True),
    # Another curator takes a claimed record over (logged), so two reviews never cross; the holder may
    # release it back to the queue instead of deciding.
    Action.TAKE_OVER: Transition(
        frozenset({Status.IN_REVIEW}), Status.IN_REVIEW, CURATOR, four_eyes=True, held=NOT_HOLDER,
    ),
    Action.RELEASE: Transition(frozenset({Status.IN_REVIEW}), Status.SUBMITTED, CURATOR, held=HOLDER),
    Action.APPROVE: Transition(
        frozenset({Status.IN_REVIEW}), Status.PUBLISHED, CURATOR, four_eyes=True, held=HOLDER, notify=True,
    ),
    Action.REJECT: Transition(
        frozenset({Status.SUBMITTED, Status.IN_REVIEW}), Status.REJECTED, CURATOR, four_eyes=True, held=HOLDER,
        needs_comment=True, notify=True,
    ),
    Action.REQUEST_CHANGES: Transition(
        frozenset({Status.SUBMITTED, Status.IN_REVIEW}), Status.CHANGES_REQUESTED, CURATOR, four_eyes=True,
        held=HOLDER, needs_comment=True, notify=True,
    ),
    Action.RETRACT: Transition(
        frozenset({Status.PUBLISHED}), Status.RETRACTED, CURATOR, needs_comment=True, notify=True,
    ),
}
# Events whose contributor gets an email (the sweep in tasks.py catches up on any not sent).
NOTIFY_ACTIONS = frozenset(
    [action for action, row in ALLOWED_TRANSITIONS.items() if row.notify]
    + [Action.CHANGE_APPROVED, Action.CHANGE_REJECTED]
)
EDITABLE_STATUSES = frozenset({Status.DRAFT, Status.CHANGES_REQUESTED})


def allowed_actions(adoption: Adoption, user) -> list[str]:
    """The actions `user` may take on `adoption` now (for buttons; the services check again)."""
    return [
        action for action, row in ALLOWED_TRANSITIONS.items()
        if adoption.status in row.sources and _permission_error(adoption, user, action, row) is None
        and _claim_error(adoption, user, action, row) is None
    ]


def _permission_error(adoption: Adoption, user, action: str, row: Transition) -> str | None:
    verb = action.replace("_", " ")
    if not is_contributor(user):
        return f"Sign in to {verb} records."
    is_owner = adoption.created_by_id is not None and adoption.created_by_id == user.pk
    if row.role == OWNER and not is_owner:
        return f"Only the contributor who created this record can {verb} it."
    if row.role == CURATOR:
        if not is_curator(user):
            return f"Only curators can {verb} records."
        if row.four_eyes and is_owner:
            return f"You cannot {verb} your own submission: another curator must decide (four eyes)."
        if row.four_eyes and user.pk in selectors.adoption_content_authors(adoption):
            # Four eyes count every author: what a curator wrote needs another curator's eyes too.
            return (f"You cannot {verb} this record: you changed its content since it was last published, "
                    "so another curator must decide (four eyes).")
    return None


def _claim_error(adoption: Adoption, user, action: str, row: Transition) -> ClaimHeld | None:
    """Claims hold: in review, only the holder decides (or releases); anyone else takes it over first."""
    if not row.held or adoption.status != Status.IN_REVIEW or adoption.reviewer_id is None:
        return None  # nobody holds it (a record put in review by an import, say): any curator may act
    mine = adoption.reviewer_id == getattr(user, "pk", None)
    if row.held == HOLDER and not mine:
        return ClaimHeld(action, adoption.status, holder=adoption.reviewer.get_username())
    if row.held == NOT_HOLDER and mine:
        return ClaimHeld(action, adoption.status, holder=adoption.reviewer.get_username(), yours=True)
    return None


def check_permission(adoption: Adoption, user, action: str) -> None:
    """Raise ActionForbidden unless `user` may take `action` on `adoption` (whatever its status)."""
    message = _permission_error(adoption, user, action, ALLOWED_TRANSITIONS[action])
    if message:
        raise ActionForbidden(message)


def event_log(*, adoption: Adoption, user, action: str, from_status: str = "", to_status: str = "",
              comment: str = "", change_request: ChangeRequest | None = None) -> ModerationEvent:
    """Append one entry to the moderation log, copying the username so it outlives the account."""
    actor = user if getattr(user, "is_authenticated", False) else None
    return ModerationEvent.objects.create(
        adoption=adoption, change_request=change_request, actor=actor,
        actor_username=actor.get_username() if actor else "", action=action,
        from_status=from_status, to_status=to_status, comment=comment,
    )


def queue_notification(event: ModerationEvent) -> None:
    """Email the contributor once the transaction commits; a broker outage is caught up by the sweep."""
    from adoption import tasks

    transaction.on_commit(lambda: tasks.send_moderation_email.delay(event.pk), robust=True)


def locked(adoption: Adoption) -> Adoption:
    """The row, locked for the rest of the transaction (a concurrent action waits here)."""
    # With its adopter and family, which the workflow and the map upkeep read (only the record is locked).
    return Adoption.objects.select_related("adopter", "family").select_for_update(of=("self",)).get(pk=adoption.pk)


def _transition(action: str, *, adoption: Adoption, user, comment: str, expected_version: int | None) -> Adoption:
    row = ALLOWED_TRANSITIONS[action]
    comment = (comment or "").strip()
    with transaction.atomic():
        record = locked(adoption)
        check_version(record, expected_version)
        check_permission(record, user, action)
        if record.status not in row.sources:
            raise TransitionNotAllowed(action, record.status)
        held = _claim_error(record, user, action, row)
        if held:
            raise held
        if row.needs_comment and not comment:
            raise ValidationError({"comment": f"Say why: a comment is required to {action.replace('_', ' ')}."})
        before = record.status
        if action == Action.TAKE_OVER and record.reviewer_id:
            # The log keeps whose review this was; the optional comment says why.
            previous = record.reviewer.get_username()
            comment = f"Took over the review from {previous}." + (f" {comment}" if comment else "")
        _apply(action, record, user)
        record.status = row.target
        record.version += 1
        record._history_user = user
        record.save()
        event = event_log(
            adoption=record, user=user, action=action, from_status=before, to_status=row.target, comment=comment
        )
        if row.notify:
            queue_notification(event)
    return record


def _apply(action: str, record: Adoption, user) -> None:
    """What an action does besides moving the status; runs under the row lock."""
    now = timezone.now()
    if action == Action.SUBMIT:
        from .records import validate_for_submission

        validate_for_submission(record, user)
        record.submitted_at = now
        record.reviewer = None
    elif action in (Action.CLAIM, Action.TAKE_OVER):
        record.reviewer = user
    elif action == Action.RELEASE:
        record.reviewer = None
    elif action == Action.APPROVE:
        record.reviewer = user
        record.published_at = now
        if not record.adopter.is_published:
            # A proposed adopter becomes public with its first approved record, never before.
            catalogue.organization_publish(organization=record.adopter, user=user)
        record.status = Status.PUBLISHED
        maps.summary_record_published(record)
    elif action == Action.RETRACT:
        # The aggregates forget the record as it stood while published.
        maps.summary_record_unpublished(record)


def adoption_submit(*, adoption: Adoption, user, comment: str = "", expected_version: int | None = None) -> Adoption:
    """Send a draft (or a record sent back) to the curators. Needs evidence and a valid adopter;
    the comment is the contributor's note (e.g. why a likely duplicate is not one)."""
    return _transition(Action.SUBMIT, adoption=adoption, user=user, comment=comment, expected_version=expected_version)


def adoption_withdraw(*, adoption: Adoption, user, comment: str = "", expected_version: int | None = None) -> Adoption:
    """The contributor takes back a record that is not published yet."""
    return _transition(
        Action.WITHDRAW, adoption=adoption, user=user, comment=comment, expected_version=expected_version
    )


def adoption_claim(*, adoption: Adoption, user, comment: str = "", expected_version: int | None = None) -> Adoption:
    """A curator takes a submission into review (assigned to them)."""
    return _transition(Action.CLAIM, adoption=adoption, user=user, comment=comment, expected_version=expected_version)


def adoption_take_over(
    *, adoption: Adoption, user, comment: str = "", expected_version: int | None = None
) -> Adoption:
    """Take a record another curator claimed into your own review (logged with the previous holder)."""
    return _transition(
        Action.TAKE_OVER, adoption=adoption, user=user, comment=comment, expected_version=expected_version
    )


def adoption_release(*, adoption: Adoption, user, comment: str = "", expected_version: int | None = None) -> Adoption:
    """The holder gives a record in review back to the queue, undecided, for any curator to claim."""
    return _transition(
        Action.RELEASE, adoption=adoption, user=user, comment=comment, expected_version=expected_version
    )


def adoption_approve(*, adoption: Adoption, user, comment: str = "", expected_version: int | None = None) -> Adoption:
    """Publish a record under review; a proposed adopter is published with it."""
    return _transition(
        Action.APPROVE, adoption=adoption, user=user, comment=comment, expected_version=expected_version
    )


def adoption_reject(*, adoption: Adoption, user, comment: str = "", expected_version: int | None = None) -> Adoption:
    """Refuse a submission for good, with the reason (kept on the record's log)."""
    return _transition(Action.REJECT, adoption=adoption, user=user, comment=comment, expected_version=expected_version)


def adoption_request_changes(
    *, adoption: Adoption, user, comment: str = "", expected_version: int | None = None
) -> Adoption:
    """Send a submission back to its contributor with what to change."""
    return _transition(
        Action.REQUEST_CHANGES, adoption=adoption, user=user, comment=comment, expected_version=expected_version
    )


def adoption_retract(*, adoption: Adoption, user, comment: str = "", expected_version: int | None = None) -> Adoption:
    """Take a published record off the maps, with a reason; it stays readable with its history."""
    return _transition(
        Action.RETRACT, adoption=adoption, user=user, comment=comment, expected_version=expected_version
    )


ACTION_SERVICES = {
    Action.SUBMIT: adoption_submit,
    Action.WITHDRAW: adoption_withdraw,
    Action.CLAIM: adoption_claim,
    Action.TAKE_OVER: adoption_take_over,
    Action.RELEASE: adoption_release,
    Action.APPROVE: adoption_approve,
    Action.REJECT: adoption_reject,
    Action.REQUEST_CHANGES: adoption_request_changes,
    Action.RETRACT: adoption_retract,
}


# Change requests: corrections to published records, decided by a curator.


def change_request_create(*, adoption: Adoption, user, proposed: dict, comment: str = "") -> ChangeRequest:
    """Propose new values for fields of a published record (validated now, applied only on approval)."""
    from .records import change_values_clean

    if not is_contributor(user):
        raise ActionForbidden("Sign in to propose a change.")
    with transaction.atomic():
        record = locked(adoption)
        if record.status != Status.PUBLISHED:
            raise TransitionNotAllowed("propose a change to", record.status)
        cleaned = change_values_clean(record, proposed)
        change_request = ChangeRequest(
            adoption=record, proposed=cleaned, base_version=record.version, comment=(comment or "").strip(),
            created_by=user,
        )
        change_request._history_user = user
        change_request.save()
        event_log(
            adoption=record, user=user, action=Action.COMMENT, from_status=record.status, to_status=record.status,
            comment=f"Proposed a change to {', '.join(sorted(cleaned))}." + (f" {comment.strip()}" if comment else ""),
            change_request=change_request,
        )
    return change_request


def _locked_pending(change_request: ChangeRequest, user, verb: str) -> tuple[ChangeRequest, Adoption]:
    if not is_curator(user):
        raise ActionForbidden(f"Only curators can {verb} change requests.")
    record = locked(change_request.adoption)
    request = ChangeRequest.objects.select_for_update().get(pk=change_request.pk)
    if request.created_by_id == user.pk:
        raise ActionForbidden(f"You cannot {verb} your own change request: another curator must decide (four eyes).")
    if request.status != ChangeRequestStatus.PENDING:
        raise TransitionNotAllowed(f"{verb} a change request", request.status)
    return request, record


def change_request_approve(*, change_request: ChangeRequest, user, comment: str = "") -> ChangeRequest:
    """Apply the proposed values atomically: history written, version bumped, maps kept in step.

    Refused when the record changed since the proposal was made (it would overwrite that change)."""
    from .records import change_values_apply

    with transaction.atomic():
        request, record = _locked_pending(change_request, user, "approve")
        if record.status != Status.PUBLISHED:
            raise TransitionNotAllowed("apply a change to", record.status)
        check_version(record, request.base_version)
        with maps.summary_record_changing(record):
            change_values_apply(record, request.proposed)
            record.version += 1
            record._history_user = user
            record.save()
        _decide(request, user, ChangeRequestStatus.APPROVED, comment)
        event = event_log(
            adoption=record, user=user, action=Action.CHANGE_APPROVED, from_status=record.status,
            to_status=record.status, comment=(comment or "").strip(), change_request=request,
        )
        queue_notification(event)
    return request


def change_request_reject(*, change_request: ChangeRequest, user, comment: str) -> ChangeRequest:
    """Turn a proposed change down, saying why; the record stays as it is."""
    comment = (comment or "").strip()
    with transaction.atomic():
        request, record = _locked_pending(change_request, user, "reject")
        if not comment:
            raise ValidationError({"comment": "Say why: a comment is required to reject a change request."})
        _decide(request, user, ChangeRequestStatus.REJECTED, comment)
        event = event_log(
            adoption=record, user=user, action=Action.CHANGE_REJECTED, from_status=record.status,
            to_status=record.status, comment=comment, change_request=request,
        )
        queue_notification(event)
    return request


def _decide(request: ChangeRequest, user, status: str, comment: str) -> None:
    request.status = status
    request.decided_by = user
    request.decided_at = timezone.now()
    request.decision_comment = (comment or "").strip()
    request._history_user = user
    request.save()
