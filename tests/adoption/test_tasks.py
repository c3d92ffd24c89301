"""The Celery tasks (adoption/tasks.py), run eagerly as in the other tests: each does what a user would
notice, a source's link health, a contributor's email, the maps. The same tasks through a real broker
and worker: test_tasks_broker.py."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from adoption.choices import Action, LinkStatus, Status
from adoption.models import Adoption, MapDelta, ModerationEvent
from adoption.tasks import (
    check_evidence_link,
    check_map_summary,
    fold_map_deltas,
    send_moderation_email,
    sweep_evidence_links,
    sweep_moderation_emails,
)
from tests.factories import AdoptionFactory, EvidenceFactory

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]  # the demo runs the tasks in-process
MAP = "/api/v1/maps/adoption/"


def map_total(client) -> int:
    answer = client.get(MAP, {"split": "none"})
    assert answer.status_code == 200
    return answer.json()["total"]


# --- link health of the sources ---

def test_the_link_check_records_health_and_time(site):
    evidence = EvidenceFactory(url=site + "/moved")
    assert check_evidence_link.delay(evidence.pk).get() == LinkStatus.REDIRECTED
    evidence.refresh_from_db()
    assert evidence.link_status == LinkStatus.REDIRECTED and evidence.link_checked_at is not None
    assert evidence.history.count() == 1  # the checker is not a curator's edit


def test_the_link_check_of_a_deleted_source_does_nothing():
    evidence = EvidenceFactory()
    pk = evidence.pk
    evidence.delete()
    assert check_evidence_link.delay(pk).get() is None


def test_the_link_check_never_contacts_a_private_address(settings):
    settings.LINK_CHECK_ALLOWED_NETWORKS = []
    evidence = EvidenceFactory(url="http://169.254.169.254/latest/meta-data/")
    assert check_evidence_link.delay(evidence.pk).get() == LinkStatus.BLOCKED
    evidence.refresh_from_db()
    assert evidence.link_status == LinkStatus.BLOCKED


def test_the_link_sweep_checks_unchecked_then_stale_sources(site):
    first = EvidenceFactory(url=site + "/card")
    second = EvidenceFactory(url=site + "/gone")
    assert sweep_evidence_links.delay().get() == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.link_status, second.link_status) == (LinkStatus.OK, LinkStatus.BROKEN)
    assert sweep_evidence_links.delay().get() == 0  # checked just now: nothing due
    type(first).objects.filter(pk=first.pk).update(link_checked_at=timezone.now() - datetime.timedelta(days=31))
    assert sweep_evidence_links.delay().get() == 1  # a month later, checked again


# --- the contributor's email about a decision ---

def test_the_email_task_tells_the_contributor_once(contributor):
    record = AdoptionFactory(created_by=contributor, product_name="Carla's bot", published=True)
    approval = ModerationEvent.objects.get(adoption=record, action=Action.APPROVE)
    assert send_moderation_email.delay(approval.pk).get() is True
    [message] = mail.outbox
    assert message.to == [contributor.email] and "published" in message.subject and "Carla's bot" in message.subject
    assert record.get_absolute_url() in message.body
    assert send_moderation_email.delay(approval.pk).get() is False  # a retried task mails nobody twice
    assert len(mail.outbox) == 1


def test_the_email_task_ignores_events_that_notify_nobody():
    record = AdoptionFactory(published=True)
    claim = ModerationEvent.objects.get(adoption=record, action=Action.CLAIM)
    assert send_moderation_email.delay(claim.pk).get() is False
    assert mail.outbox == []


def test_the_email_sweep_sends_what_a_lost_task_did_not():
    record = AdoptionFactory(published=True)  # its approval's email task never ran (no commit in a test)
    assert sweep_moderation_emails.delay().get() == 0  # too recent: the task may still be on its way
    ModerationEvent.objects.update(created_at=timezone.now() - datetime.timedelta(hours=1))
    assert sweep_moderation_emails.delay().get() == 1
    assert [message.to for message in mail.outbox] == [[record.created_by.email]]
    assert sweep_moderation_emails.delay().get() == 0


# --- the maps ---

def test_the_fold_moves_the_deltas_and_the_maps_answer_the_same(client):
    AdoptionFactory.create_batch(2, published=True)
    AdoptionFactory(retracted=True)
    assert MapDelta.objects.count() == 4  # two approvals, an approval and its retraction
    before = client.get(MAP, {"split": "none"}).json()
    assert before["total"] == 2
    assert fold_map_deltas.delay().get() == 4
    assert not MapDelta.objects.exists()
    assert client.get(MAP, {"split": "none"}).json() == before
    assert fold_map_deltas.delay().get() == 0


def test_the_summary_check_repairs_drift_the_maps_show(client, django_capture_on_commit_callbacks):
    kept, lost = AdoptionFactory.create_batch(2, published=True)
    fold_map_deltas.delay().get()
    # A record unpublished behind the services' back (a restore, a hand-made fix): the maps still count it.
    Adoption.objects.filter(pk=lost.pk).update(status=Status.WITHDRAWN)
    assert map_total(client) == 2
    with django_capture_on_commit_callbacks(execute=True):  # the repair's new data version, once committed
        report = check_map_summary.delay().get()
    assert report["drifted"] > 0 and report["repaired"]
    assert map_total(client) == 1
    assert check_map_summary.delay().get()["drifted"] == 0
