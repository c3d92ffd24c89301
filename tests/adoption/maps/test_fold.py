"""The fold: deltas move into the summary and presence without any answer moving, and the summary, the
plain SQL over the spans and a rebuild agree."""

import datetime

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from adoption.choices import Status
from adoption.maps import fold, queries, repair
from adoption.maps.answers import adoption_map, adoption_timeseries
from adoption.maps.grains import CELL_COLUMNS, PRESENCE_COLUMNS
from adoption.maps.params import GROUP_BYS, SPLITS, MapParams
from adoption.models import AdopterPresence, Adoption, MapDelta, MapSummary
from adoption.services import moderation
from adoption.services.data_version import data_version
from tests.adoption.maps.registry import (
    FILTERS,
    SEVERAL_KEYS,
    TWO_ORGS,
    action_strategy,
    answer,
    build_registry,
    make_geography,
    org_strategy,
    record_strategy,
)
from tests.factories import AdoptionFactory, EvidenceFactory

pytestmark = pytest.mark.django_db


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    org_specs=st.lists(org_strategy, min_size=1, max_size=4),
    record_specs=st.lists(record_strategy, max_size=12),
    actions=st.lists(action_strategy, max_size=4),
)
@example(org_specs=TWO_ORGS, record_specs=SEVERAL_KEYS, actions=[("move_adopter", 0, "b")])
def test_summary_and_plain_sql_agree_and_equal_a_rebuild(org_specs, record_specs, actions, monkeypatch):
    with transaction.atomic():
        countries = make_geography()
        build_registry(countries, org_specs, record_specs, actions)
        combos = [(g, s, f) for g in GROUP_BYS for s in SPLITS for f in FILTERS[:11]]
        from_summary = [answer(g, s, "adoptions", f) for g, s, f in combos]
        adopters = [answer(g, s, "adopters", f) for g, s, f in combos]
        fold.fold()  # the deltas folded in: every answer stays, the log is empty
        assert not MapDelta.objects.exists()
        assert [answer(g, s, "adoptions", f) for g, s, f in combos] == from_summary
        assert [answer(g, s, "adopters", f) for g, s, f in combos] == adopters
        stored = sorted(MapSummary.objects.filter(n__gt=0).values_list(*CELL_COLUMNS, "n"))
        presence = sorted(AdopterPresence.objects.filter(n__gt=0).values_list(*PRESENCE_COLUMNS, "n"))
        repair.rebuild()
        assert sorted(MapSummary.objects.values_list(*CELL_COLUMNS, "n")) == stored
        assert sorted(AdopterPresence.objects.values_list(*PRESENCE_COLUMNS, "n")) == presence
        with monkeypatch.context() as patch:  # every answer from the open publication spans instead
            patch.setattr(queries, "_grain_for", lambda dims: None)
            patch.setattr(queries, "_presence_grain", lambda params, timeseries: None)
            assert [answer(g, s, "adoptions", f) for g, s, f in combos] == from_summary
            assert [answer(g, s, "adopters", f) for g, s, f in combos] == adopters
        transaction.set_rollback(True)


def test_an_approval_logs_one_delta_that_maps_show_at_once_and_a_fold_moves_in(curator):
    countries = make_geography()
    record = AdoptionFactory(status=Status.IN_REVIEW, reviewer=curator, adopter__country=countries["KE"],
                             sectors=["health", "health"])
    EvidenceFactory(adoption=record)
    moderation.adoption_approve(adoption=record, user=curator)
    assert MapDelta.objects.count() == 1 and not MapSummary.objects.exists()  # no summary row written
    queries = [{}, {"sector": "health"}, {"since": "2000-01"}, {"unit": "adopters", "split": "family"},
               {"group_by": "city", "split": "stage"}]

    def maps_now():
        answers = [adoption_map(MapParams.from_query(query)) for query in queries] + [
            adoption_timeseries(MapParams.from_query({"interval": "month", **query}, timeseries=True))
            for query in ({}, {"unit": "adopters"})]
        return [{**answer, "generated_at": None} for answer in answers]

    before = maps_now()
    assert [answer["total"] for answer in before[:5]] == [1, 1, int(record.started_on is not None), 1, 1]
    version = data_version()
    assert fold.fold() == 1
    assert not MapDelta.objects.exists() and MapSummary.objects.filter(grain=7, tag="health").get().n == 1
    assert maps_now() == before
    assert data_version() == version  # nothing a map shows moved: cached answers stay good
    moderation.adoption_retract(adoption=Adoption.objects.get(pk=record.pk), user=curator, comment="Wrong.")
    assert [adoption_map(MapParams.from_query(query))["total"] for query in queries] == [0] * 5
    assert MapDelta.objects.get().sign == -1 and repair.check()["drifted"] == 0
    fold.fold()
    assert not MapSummary.objects.filter(n__gt=0).exists() and not AdopterPresence.objects.filter(n__gt=0).exists()
    # Published and retracted between two folds: its cells add up to nothing, before the fold as after.
    second = AdoptionFactory(status=Status.IN_REVIEW, reviewer=curator, adopter=record.adopter,
                             started_on=datetime.date(2024, 3, 1))
    EvidenceFactory(adoption=second)
    moderation.adoption_approve(adoption=second, user=curator)
    moderation.adoption_retract(adoption=Adoption.objects.get(pk=second.pk), user=curator, comment="Wrong.")
    empty = maps_now()
    assert all(answer["total"] == 0 for answer in empty[:5])
    assert all(answer["series"] == [] and answer["undated"] == 0 for answer in empty[5:])  # no period of zeros
    fold.fold()
    assert maps_now() == empty
