"""The factories' records are what production would hold: drafts by default, published or retracted only
through the moderation services (history, moderation log, maps and data version with them)."""

import pytest

from adoption.choices import Action, Status
from adoption.services.data_version import data_version
from tests.factories import AdoptionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]
MAP = "/api/v1/maps/adoption/"


def test_a_record_is_a_draft_unless_asked_otherwise():
    record = AdoptionFactory()
    assert record.status == Status.DRAFT and record.created_by is None and not record.events.exists()


def test_published_goes_through_the_services(client, contributor, django_capture_on_commit_callbacks):
    version = data_version()
    with django_capture_on_commit_callbacks(execute=True):  # the new data version is read once committed
        record = AdoptionFactory(created_by=contributor, published=True)
    assert record.status == Status.PUBLISHED and record.published_at is not None
    assert [event.action for event in record.events.all()] == [Action.SUBMIT, Action.CLAIM, Action.APPROVE]
    assert record.events.get(action=Action.SUBMIT).actor == contributor
    assert record.reviewer != contributor  # four eyes: another person approved it
    assert [row.status for row in record.history.order_by("history_id")] == [
        Status.DRAFT, Status.SUBMITTED, Status.IN_REVIEW, Status.PUBLISHED,
    ]
    assert record.evidence.exists()  # a submission cites a source
    assert data_version() != version
    assert client.get(MAP).json()["total"] == 1


def test_retracted_goes_through_the_services(client):
    record = AdoptionFactory(retracted=True)
    assert record.status == Status.RETRACTED
    assert record.events.last().action == Action.RETRACT
    assert client.get(MAP).json()["total"] == 0


def test_a_status_and_the_workflow_are_not_asked_together():
    with pytest.raises(ValueError, match="not both"):
        AdoptionFactory(status=Status.PUBLISHED, published=True)
    with pytest.raises(ValueError, match="create"):
        AdoptionFactory.build(published=True)
