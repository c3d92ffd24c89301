"""The curation workflow's actions: one guarded function per action of the transition table (workflow.py).

Every action locks the row, checks the version, the actor's permission and the table, writes the
change (history records the actor), appends a ModerationEvent, and only then queues side effects
with `transaction.on_commit`, so a rolled-back transaction mails nobody. Nothing else changes
`Adoption.status`: records are created as drafts, and publishing (`_publish`) is the same whether a
curator approves or the reference import publishes the drafts it made (`adoption_publish_import`).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from adoption.choices import Action, Status
from adoption.maps import upkeep
from adoption.models import Adoption

from . import catalogue, webhooks
from .errors import TransitionNotAllowed, verb_text
from .validation import validate_for_submission
from .workflow import (
    ALLOWED_TRANSITIONS,
    check_permission,
    check_version,
    claim_error,
    event_log,
    locked,
    queue_notification,
)


def _transition(action: str, *, adoption: Adoption, user, comment: str, expected_version: int | None) -> Adoption:
    row = ALLOWED_TRANSITIONS[action]
    comment = (comment or "").strip()
    with transaction.atomic():
        record = locked(adoption)
        check_version(record, expected_version)
        check_permission(record, user, action)
        held = claim_error(record, user, action, row)
        if held:
            raise held
        if record.status not in row.sources:
            raise TransitionNotAllowed(action, record.status)
        if row.needs_comment and not comment:
            raise ValidationError({"comment": _("Say why: a comment is required to %(action)s.")
                                  % {"action": verb_text(action)}})
        before = record.status
        if action == Action.TAKE_OVER and record.reviewer_id:
            # The log keeps whose review this was; the optional comment says why.
            previous = record.reviewer.get_username()
            comment = f"Took over the review from {previous}." + (f" {comment}" if comment else "")
        _apply(action, record, user)
        _record_transition(record, action, user=user, before=before, comment=comment)
    return record


def _record_transition(record: Adoption, action: str, *, user, before: str, comment: str, system: str = "") -> None:
    """Save the record in its new status (a history row by the actor, the version moved on), append the
    moderation event, and queue the contributor's email when the action notifies."""
    row = ALLOWED_TRANSITIONS[action]
    record.status = row.target
    record.version += 1
    if user is not None:
        record._history_user = user
    record.save()
    event = event_log(adoption=record, user=user, action=action, from_status=before, to_status=row.target,
                      comment=comment, system=system)
    if row.notify:
        queue_notification(event)
    webhooks.queue_event(event)  # publications and retractions reach the webhooks that follow the record


def _publish(record: Adoption, user) -> None:
    """What publishing a record means, whoever publishes it: the time of publication, a proposed adopter
    made public with its first published record (never before), and the record counted on the maps (its
    span opened, a delta logged, the data version moved). Runs under the row lock."""
    record.published_at = timezone.now()
    if not record.adopter.is_published:
        catalogue.organization_publish(organization=record.adopter, user=user)
    record.status = Status.PUBLISHED
    upkeep.record_published(record)


def _apply(action: str, record: Adoption, user) -> None:
    """What an action does besides moving the status; runs under the row lock."""
    now = timezone.now()
    if action == Action.SUBMIT:
        validate_for_submission(record, user)
        record.submitted_at = now
        record.reviewer = None
    elif action in (Action.CLAIM, Action.TAKE_OVER):
        record.reviewer = user
    elif action == Action.RELEASE:
        record.reviewer = None
    elif action == Action.APPROVE:
        record.reviewer = user
        _publish(record, user)
    elif action == Action.RETRACT:
        # The maps forget the record as it stood while published (its open span).
        upkeep.record_unpublished(record)


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


def adoption_publish_import(*, adoption: Adoption, system: str, comment: str = "") -> Adoption:
    """Publish a draft the reference import made (it carries a reference id) as an approval publishes it
    (`_publish`): the same history row, map upkeep, data version and log entry, the event logged as an
    import by `system` (the command's name). Nobody is emailed: an imported record has no contributor."""
    with transaction.atomic():
        record = locked(adoption)
        if record.status not in ALLOWED_TRANSITIONS[Action.IMPORT].sources or not record.reference_id:
            raise TransitionNotAllowed(Action.IMPORT, record.status)
        before = record.status
        _publish(record, None)
        _record_transition(record, Action.IMPORT, user=None, before=before, comment=comment, system=system)
    return record


# The services of the actions people take (the import is the reference command's own).
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
