"""How services start background work: Celery tasks by name, queued once the transaction commits.

Tasks call services, so services never import adoption.tasks; the app registers the tasks when it
starts (AdoptionConfig.ready) and this module finds them by name when work is due. A task found this
way is the task itself, so eager mode (the demo, tests) runs it in-process.

A broker outage loses nothing: a task the broker cannot take is recorded (UnsentTask) and the periodic
sweep (`unsent_resend`) sends it once the broker is back.
"""

import logging
import time

from celery import current_app
from django.db import transaction
from kombu.exceptions import OperationalError

from adoption.models import UnsentTask

logger = logging.getLogger(__name__)

SEND_MODERATION_EMAIL = "adoption.tasks.send_moderation_email"
FOLD_MAP_DELTAS = "adoption.tasks.fold_map_deltas"
CHECK_EVIDENCE_LINK = "adoption.tasks.check_evidence_link"
DISPATCH_WEBHOOKS = "adoption.tasks.dispatch_webhooks"
DELIVER_WEBHOOK = "adoption.tasks.deliver_webhook"

# After a failed send, this process records the next tasks for this long without trying the broker: one
# request queues several, and each would otherwise wait out the broker's timeouts (settings) again.
BROKER_PAUSE_SECONDS = 10.0
_broker_down_until = 0.0


def _publish(name: str, args: tuple) -> None:
    # Celery reports any connection failure (refused, timed out, reset) as kombu's OperationalError.
    current_app.tasks[name].delay(*args)


def send(name: str, *args) -> bool:
    """Queue one run of the task called `name` now; when the broker cannot take it, record it for the
    sweep and answer False."""
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        _record(name, args, "not tried: the broker failed a moment ago")
        return False
    try:
        _publish(name, args)
    except OperationalError as exc:
        _broker_down_until = time.monotonic() + BROKER_PAUSE_SECONDS
        _record(name, args, f"{type(exc).__name__}: {exc}")
        return False
    return True


def _record(name: str, args: tuple, error: str) -> None:
    logger.warning("broker unavailable, %s%r recorded for the sweep: %s", name, args, error)
    UnsentTask.objects.create(task=name, args=list(args), error=error[:1000])


def send_on_commit(name: str, *calls: tuple) -> None:
    """Queue one run per argument tuple once the surrounding transaction commits (a broker outage records
    them for the sweep; robust: no failure then undoes the committed write)."""
    transaction.on_commit(lambda: [send(name, *args) for args in calls], robust=True)


def unsent_resend(limit: int = 500) -> int:
    """Send the recorded tasks again, oldest first; how many went. Each row is deleted in the transaction
    of its successful send, and rows another sweep holds are skipped, so two sweeps never send one twice.
    At the first failure the rest stay for the next sweep (the broker is still down). Should the commit
    fail after a send, that task goes again next time: every task is idempotent."""
    sent = 0
    with transaction.atomic():
        for unsent in UnsentTask.objects.select_for_update(skip_locked=True).order_by("created_at", "id")[:limit]:
            try:
                _publish(unsent.task, tuple(unsent.args))
            except OperationalError as exc:
                logger.warning("broker still unavailable, unsent tasks wait for the next sweep: %s", exc)
                break
            unsent.delete()
            sent += 1
    return sent
