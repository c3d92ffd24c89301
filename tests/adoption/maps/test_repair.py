"""Rebuild and check: the commands, the periodic task, spans rebuilt from history, span drift repaired
without rewriting the past."""

import pytest
from django.utils import timezone

from adoption.choices import Stage
from adoption.maps import fold, repair
from adoption.maps.answers import adoption_map
from adoption.maps.params import MapParams
from adoption.models import Adoption, MapDelta, MapSummary, PublicationSpan
from adoption.services import change_requests, moderation
from tests.adoption.maps.registry import make_geography, publish, submitted

pytestmark = pytest.mark.django_db


def test_rebuild_command_and_check_command(capsys):
    from django.core.management import call_command

    make_geography()
    publish()
    fold.fold()
    MapSummary.objects.update(n=7)
    call_command("check_map_summary")
    assert "drift" in capsys.readouterr().out
    call_command("check_map_summary", "--repair")
    call_command("rebuild_map_summary")
    assert repair.check()["drifted"] == 0
    assert adoption_map(MapParams.from_query({}))["total"] == 1


def test_periodic_task_repairs_and_reports():
    from adoption import tasks

    make_geography()
    publish()
    assert tasks.fold_map_deltas() == 1
    MapSummary.objects.filter(grain=1).delete()
    report = tasks.check_map_summary()
    assert report["drifted"] == 1 and report["repaired"]
    assert adoption_map(MapParams.from_query({}))["total"] == 1


def test_rebuild_drops_the_deltas_it_counts():
    make_geography()
    for _ in range(3):
        publish()
    repair.rebuild()
    assert not MapDelta.objects.exists()
    assert adoption_map(MapParams.from_query({}))["total"] == 3 and repair.check()["drifted"] == 0


def test_spans_rebuilt_from_history_answer_as_of_as_the_maintained_ones(contributor, curator):
    """Migration 0006 derives the spans from the history: at every instant it must agree with the
    spans the services kept (approve, approved change, retract)."""
    from django.db import connection

    make_geography()
    instants = [timezone.now()]
    first, second = submitted(contributor, stage=Stage.PILOT), submitted(contributor, stage=Stage.PILOT)
    moderation.adoption_approve(adoption=first, user=curator)
    instants.append(timezone.now())
    moderation.adoption_approve(adoption=second, user=curator)
    request = change_requests.change_request_create(
        adoption=Adoption.objects.get(pk=first.pk), user=contributor, proposed={"stage": "production"}
    )
    change_requests.change_request_approve(change_request=request, user=curator)
    instants.append(timezone.now())
    moderation.adoption_retract(adoption=Adoption.objects.get(pk=second.pk), user=curator, comment="Gone.")
    instants.append(timezone.now())

    def answers():
        return [adoption_map(MapParams.from_query({"as_of": t.isoformat(), "split": "stage"}))["split_totals"]
                for t in instants]

    kept = answers()
    assert kept == [{}, {"pilot": 1}, {"production": 1, "pilot": 1}, {"production": 1}]
    PublicationSpan.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(repair.spans_from_history_sql(), [])
    assert answers() == kept
    assert repair.check()["drifted"] == 0


def test_span_drift_is_reported_and_repaired_without_rewriting_the_past(contributor, curator, capsys):
    from django.core.management import call_command

    make_geography()
    adoption = submitted(contributor)
    moderation.adoption_approve(adoption=adoption, user=curator)
    after_approval = timezone.now()
    PublicationSpan.objects.filter(adoption_id=adoption.pk).update(stage="discontinued")  # drift
    call_command("check_map_summary")
    assert f"record {adoption.pk}: its open publication span differs" in capsys.readouterr().out
    report = repair.check(repair=True)
    assert report["examples"] == [{"span": {"adoption_id": adoption.pk}}] and report["repaired"]
    assert repair.check()["drifted"] == 0
    assert adoption_map(MapParams.from_query({"split": "stage"}))["split_totals"] == {"production": 1}
    # What was recorded for the past stays: the repair closes the drifted span, it does not erase it.
    past = adoption_map(MapParams.from_query({"as_of": after_approval.isoformat(), "split": "stage"}))
    assert past["split_totals"] == {"discontinued": 1}
