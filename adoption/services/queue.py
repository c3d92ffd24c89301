"""How services start background work: Celery tasks by name, queued once the transaction commits.

Tasks call services, so services never import adoption.tasks; the app registers the tasks when it
starts (AdoptionConfig.ready) and this module finds them by name when work is due. A task found this
way is the task itself, so eager mode (the demo, tests) runs it in-process.
"""

from celery import current_app
from django.db import transaction

SEND_MODERATION_EMAIL = "adoption.tasks.send_moderation_email"
FOLD_MAP_DELTAS = "adoption.tasks.fold_map_deltas"
CHECK_EVIDENCE_LINK = "adoption.tasks.check_evidence_link"
DISPATCH_WEBHOOKS = "adoption.tasks.dispatch_webhooks"
DELIVER_WEBHOOK = "adoption.tasks.deliver_webhook"


def send(name: str, *args) -> None:
    """Queue one run of the task called `name` now."""
    current_app.tasks[name].delay(*args)


def send_on_commit(name: str, *calls: tuple) -> None:
    """Queue one run per argument tuple once the surrounding transaction commits. Robust: a broker
    outage is logged, never undoes the committed write (the periodic sweeps catch up)."""
    transaction.on_commit(lambda: [send(name, *args) for args in calls], robust=True)
