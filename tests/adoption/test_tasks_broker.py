"""Decision emails travel through the real Redis broker to a real Celery worker (not eager mode)."""

import os
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail

from adoption.choices import Status
from adoption.services import moderation
from registry.celery import app
from tests.factories import AdoptionFactory, EvidenceFactory

BROKER = os.environ.get("TEST_BROKER_URL", "redis://127.0.0.1:6379/2")


def _forget_connections() -> None:
    """Forget pooled broker connections, so the next send connects to the broker_url now configured."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def redis_worker(settings):
    """A worker thread consuming from Redis; tasks are sent, not run in-process."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.SITE_URL = "http://testserver.example/"
    keys = ("broker_url", "task_always_eager", "result_backend")
    previous = {key: app.conf[key] for key in keys}
    app.conf.update(broker_url=BROKER, task_always_eager=False, result_backend="cache+memory://",
                    broker_connection_retry_on_startup=True)
    _forget_connections()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.update(previous)
        _forget_connections()


@pytest.mark.django_db(transaction=True)
def test_approval_email_goes_through_the_broker(redis_worker, contributor, curator):
    record = AdoptionFactory(status=Status.IN_REVIEW, created_by=contributor, reviewer=curator)
    EvidenceFactory(adoption=record)

    moderation.adoption_approve(adoption=record, user=curator, comment="Well sourced.")

    deadline = time.monotonic() + 20
    while not mail.outbox and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [contributor.email]
    body = mail.outbox[0].body
    assert "is now published" in body and "Well sourced." in body
    assert f"http://testserver.example/adoptions/{record.pk}/" in body
