"""Celery tasks: thin wrappers that take ids and call services (acks_late, retried with backoff)."""

from smtplib import SMTPException

from celery import shared_task

from adoption.maps import fold, repair
from adoption.services import notifications


@shared_task(
    acks_late=True, autoretry_for=(SMTPException, ConnectionError, OSError), retry_backoff=True, max_retries=6
)
def send_moderation_email(event_id: int) -> bool:
    """Email the contributor about one moderation decision (at most once per event)."""
    return notifications.notification_send(event_id=event_id)


@shared_task(acks_late=True)
def sweep_moderation_emails() -> int:
    """Periodic catch-up: enqueue the emails of decisions whose task never ran."""
    pending = notifications.notification_pending_ids()
    for event_id in pending:
        send_moderation_email.delay(event_id)
    return len(pending)


@shared_task(acks_late=True)
def check_map_summary() -> dict:
    """Periodic: compare the map summary with a recount from the records, repair drift and report it."""
    return repair.check(repair=True)


@shared_task(acks_late=True)
def fold_map_deltas() -> int:
    """Periodic (and every FOLD_EVERY deltas): fold the logged map deltas into the summary and presence rows."""
    return fold.fold(wait=False)  # when another fold or a rebuild runs, the next one will do


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3, rate_limit="30/m")
def check_evidence_link(evidence_id: int) -> str | None:
    """Check one evidence URL's health (public addresses only)."""
    from adoption.services import links

    return links.evidence_check_link(evidence_id=evidence_id)


@shared_task(acks_late=True)
def sweep_evidence_links() -> int:
    """Periodic: check sources never checked, then the stalest ones."""
    from adoption.services import links

    due = links.evidence_due_for_check()
    for evidence_id in due:
        check_evidence_link.delay(evidence_id)
    return len(due)
