"""Celery tasks: thin wrappers that take ids and call services (acks_late, retried with backoff)."""

from smtplib import SMTPException

from celery import shared_task

from adoption.maps import fold, repair
from adoption.services import imports, notifications
from adoption.services.webhooks import BACKOFF_MAX, MAX_ATTEMPTS, DeliveryFailed


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


@shared_task(acks_late=True)
def dispatch_webhooks(event_id: int) -> list[int]:
    """Give each webhook following the event's record one delivery, and queue it."""
    from adoption.api.serializers.webhooks import adoption_payload
    from adoption.services import webhooks

    return webhooks.webhook_dispatch(event_id=event_id, represent=adoption_payload)


# Retried after about 5 s, 10 s, 20 s, ... (full jitter, at most an hour apart), ten attempts in all.
WEBHOOK_RETRY_BACKOFF = 5
WEBHOOK_MAX_RETRIES = MAX_ATTEMPTS - 1


@shared_task(
    bind=True, acks_late=True, autoretry_for=(DeliveryFailed,), retry_backoff=WEBHOOK_RETRY_BACKOFF,
    retry_backoff_max=int(BACKOFF_MAX.total_seconds()), retry_jitter=True, max_retries=WEBHOOK_MAX_RETRIES,
)
def deliver_webhook(self, delivery_id: int) -> str | None:
    """POST one signed delivery (public addresses only); the last attempt gives it up instead of retrying."""
    from adoption.services import webhooks

    return webhooks.webhook_deliver(delivery_id=delivery_id, final=self.request.retries >= self.max_retries)


@shared_task(acks_late=True)
def sweep_webhook_deliveries() -> int:
    """Periodic: queue again the deliveries whose task was lost."""
    from adoption.services import webhooks

    due = webhooks.webhook_deliveries_due()
    for delivery_id in due:
        deliver_webhook.delay(delivery_id)
    return len(due)


@shared_task(acks_late=True)
def resend_unsent_tasks() -> int:
    """Periodic: send the tasks a broker outage kept from being queued (recorded by the queue service)."""
    from adoption.services import queue

    return queue.unsent_resend()


@shared_task(acks_late=True)
def make_release() -> str | None:
    """Monthly: a data release of the published registry (none when nothing changed since the last)."""
    from adoption.releases import release_make  # pyarrow and the API's tables: loaded when a release is due

    release = release_make()
    return release.version if release else None


@shared_task(acks_late=True)
def forget_old_dry_runs() -> int:
    """Daily: delete the bulk proposal dry runs older than IMPORT_DRY_RUN_DAYS (they keep the file's text)."""
    return imports.forget_old_dry_runs()
