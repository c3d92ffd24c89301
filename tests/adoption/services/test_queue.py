"""Services queue tasks by name: every name is a registered task, and nothing is sent before commit."""

import pytest
from celery import current_app
from django.db import transaction

from adoption.services import queue


@pytest.mark.parametrize("name", [queue.SEND_MODERATION_EMAIL, queue.FOLD_MAP_DELTAS, queue.CHECK_EVIDENCE_LINK,
                                  queue.DISPATCH_WEBHOOKS, queue.DELIVER_WEBHOOK])
def test_every_queued_name_is_a_registered_task(name):
    assert name in current_app.tasks  # registered at start-up, without importing adoption.tasks here


@pytest.mark.django_db(transaction=True)
def test_tasks_are_sent_after_commit_and_a_broker_failure_does_not_undo_the_write(monkeypatch):
    sent = []
    task = current_app.tasks[queue.CHECK_EVIDENCE_LINK]
    monkeypatch.setattr(task, "delay", lambda *args: sent.append(args))
    with transaction.atomic():
        queue.send_on_commit(queue.CHECK_EVIDENCE_LINK, (1,), (2,))
        assert sent == []
    assert sent == [(1,), (2,)]

    def down(*args):
        raise ConnectionError("broker down")

    monkeypatch.setattr(task, "delay", down)
    with transaction.atomic():
        queue.send_on_commit(queue.CHECK_EVIDENCE_LINK, (3,))  # robust: logged, not raised
