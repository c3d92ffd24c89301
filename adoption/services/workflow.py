"""The workflow's primitives, below the records and moderation services that use them.

The table of allowed transitions and who may take them, the row lock, the version check, the
moderation log and the contributor's email. Writes happen above; nothing here changes a record.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from adoption import selectors
from adoption.choices import Action, Status
from adoption.models import Adoption, ChangeRequest, ModerationEvent
from adoption.roles import is_contributor, is_curator

from . import queue
from .errors import ActionForbidden, ClaimHeld, StaleVersion, verb_text

OWNER, CURATOR, SYSTEM = "owner", "curator", "system"
# How an action treats the curator holding a record in review (claims hold, DESIGN §3).
HOLDER, NOT_HOLDER = "holder", "not_holder"


@dataclass(frozen=True)
class Transition:
    """One row of the table: from which statuses an action leads where, and who may take it."""

    sources: frozenset
    target: str
    # OWNER: the contributor who created the record; CURATOR: curators and superusers; SYSTEM: a command
    # acting without an account (the reference import), never a user.
    role: str
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
    # The reference import publishes the drafts it made the way an approval publishes (moderation._publish).
    Action.IMPORT: Transition(frozenset({Status.DRAFT}), Status.PUBLISHED, SYSTEM),
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
        and claim_error(adoption, user, action, row) is None
    ]


def _permission_error(adoption: Adoption, user, action: str, row: Transition) -> str | None:
    values = {"action": verb_text(action)}
    if row.role == SYSTEM:
        return _("Only the registry's own commands %(action)s records.") % values
    if not is_contributor(user):
        return _("Sign in to %(action)s records.") % values
    is_owner = adoption.created_by_id is not None and adoption.created_by_id == user.pk
    if row.role == OWNER and not is_owner:
        return _("Only the contributor who created this record can %(action)s it.") % values
    if row.role == CURATOR:
        if not is_curator(user):
            return _("Only curators can %(action)s records.") % values
        if row.four_eyes and is_owner:
            return _("You cannot %(action)s your own submission: another curator must decide (four eyes).") % values
        if row.four_eyes and user.pk in selectors.adoption_content_authors(adoption):
            # Four eyes count every author: what a curator wrote needs another curator's eyes too.
            return _("You cannot %(action)s this record: you changed its content since it was last published, "
                     "so another curator must decide (four eyes).") % values
    return None


def claim_error(adoption: Adoption, user, action: str, row: Transition) -> ClaimHeld | None:
    """Claims hold: in review, only the holder decides (or releases); anyone else takes it over first."""
    if adoption.status != Status.IN_REVIEW or adoption.reviewer_id is None:
        return None  # nobody holds it (a record put in review by an import, say): any curator may act
    mine = adoption.reviewer_id == getattr(user, "pk", None)
    if action == Action.CLAIM and not mine:  # claiming a held record is a take-over: say so, and by whom
        return ClaimHeld(action, adoption.status, holder=adoption.reviewer.get_username())
    if not row.held:
        return None
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
              comment: str = "", change_request: ChangeRequest | None = None, system: str = "") -> ModerationEvent:
    """Append one entry to the moderation log, copying the username so it outlives the account (`system`:
    the name of a command that acts without one, such as the reference import)."""
    actor = user if getattr(user, "is_authenticated", False) else None
    return ModerationEvent.objects.create(
        adoption=adoption, change_request=change_request, actor=actor,
        actor_username=actor.get_username() if actor else system, action=action,
        from_status=from_status, to_status=to_status, comment=comment,
    )


def queue_notification(event: ModerationEvent) -> None:
    """Email the contributor once the transaction commits; a broker outage is caught up by the sweep."""
    queue.send_on_commit(queue.SEND_MODERATION_EMAIL, (event.pk,))


def locked(adoption: Adoption) -> Adoption:
    """The row, locked for the rest of the transaction (a concurrent action waits here)."""
    # With its adopter and family, which the workflow and the map upkeep read (only the record is locked).
    return Adoption.objects.select_related("adopter", "family").select_for_update(of=("self",)).get(pk=adoption.pk)


def check_version(instance, expected_version: int | None) -> None:
    """Refuse a write based on an older version, naming who made the newer one."""
    if expected_version is None or expected_version == instance.version:
        return
    last = instance.history.order_by("-history_date").select_related("history_user").first()
    who = last.history_user.get_username() if last and last.history_user else None
    raise StaleVersion(expected=expected_version, current=instance.version, changed_by=who)
