"""Change requests: corrections a contributor proposes to a published record, decided by a curator.

The proposal is validated when made and applied only on approval, under the record's lock and
version check, with the maps kept in step; either decision is logged and mailed to its author.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from adoption.choices import Action, ChangeRequestStatus, Status
from adoption.maps import upkeep
from adoption.models import Adoption, ChangeRequest
from adoption.roles import is_contributor, is_curator

from . import webhooks
from .errors import ActionForbidden, TransitionNotAllowed, verb_text
from .records import change_values_apply, change_values_clean
from .workflow import check_version, event_log, locked, queue_notification


def change_request_create(*, adoption: Adoption, user, proposed: dict, comment: str = "") -> ChangeRequest:
    """Propose new values for fields of a published record (validated now, applied only on approval)."""
    if not is_contributor(user):
        raise ActionForbidden(_("Sign in to propose a change."))
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
        raise ActionForbidden(_("Only curators can %(action)s change requests.") % {"action": verb_text(verb)})
    record = locked(change_request.adoption)
    request = ChangeRequest.objects.select_for_update().get(pk=change_request.pk)
    if request.created_by_id == user.pk:
        raise ActionForbidden(_("You cannot %(action)s your own change request: another curator must decide "
                                "(four eyes).") % {"action": verb_text(verb)})
    if request.status != ChangeRequestStatus.PENDING:
        raise TransitionNotAllowed(f"{verb} a change request", request.status)
    return request, record


def change_request_approve(*, change_request: ChangeRequest, user, comment: str = "") -> ChangeRequest:
    """Apply the proposed values atomically: history written, version bumped, maps kept in step.

    Refused when the record changed since the proposal was made (it would overwrite that change)."""
    with transaction.atomic():
        request, record = _locked_pending(change_request, user, "approve")
        if record.status != Status.PUBLISHED:
            raise TransitionNotAllowed("apply a change to", record.status)
        check_version(record, request.base_version)
        with upkeep.record_changing(record):
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
        webhooks.queue_event(event)
    return request


def change_request_reject(*, change_request: ChangeRequest, user, comment: str) -> ChangeRequest:
    """Turn a proposed change down, saying why; the record stays as it is."""
    comment = (comment or "").strip()
    with transaction.atomic():
        request, record = _locked_pending(change_request, user, "reject")
        if not comment:
            raise ValidationError({"comment": _("Say why: a comment is required to reject a change request.")})
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
