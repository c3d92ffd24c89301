"""The map upkeep in the services' transactions: approvals, retractions and changes show at once, as_of
remembers where an adopter was, a family's origin moves its adopters, a fold is queued every FOLD_EVERY
deltas, and a move racing a retraction counts the record once."""

import pytest
from django.utils import timezone

from adoption.choices import Stage, Status
from adoption.maps import repair, upkeep
from adoption.maps.answers import adoption_map, adoption_timeseries
from adoption.maps.params import MapParams
from adoption.models import Adoption, MapDelta, ModelFamily, Organization
from adoption.services import change_requests, moderation
from adoption.services.data_version import data_version
from tests.adoption.maps.registry import make_geography, publish, submitted
from tests.factories import AdoptionFactory

pytestmark = pytest.mark.django_db


def test_approval_and_retraction_show_at_once_and_as_of_remembers(
    contributor, curator, django_capture_on_commit_callbacks
):
    countries = make_geography()
    adoption = submitted(contributor, adopter__country=countries["KE"])
    before_approval = timezone.now()
    version_before = data_version()
    with django_capture_on_commit_callbacks(execute=True):  # the cached version is dropped on commit
        moderation.adoption_approve(adoption=adoption, user=curator)
    assert data_version() != version_before  # the ETag source moved
    assert adoption_map(MapParams.from_query({}))["groups"][0]["key"] == "KE"
    after_approval = timezone.now()
    moderation.adoption_retract(adoption=adoption, user=curator, comment="Source withdrawn.")
    assert adoption_map(MapParams.from_query({}))["total"] == 0

    def total_at(instant):
        return adoption_map(MapParams.from_query({"as_of": instant.isoformat()}))["total"]

    assert total_at(before_approval) == 0
    assert total_at(after_approval) == 1
    assert total_at(timezone.now()) == 0
    series = adoption_timeseries(MapParams.from_query({"as_of": after_approval.isoformat()}, timeseries=True))
    assert sum(p["counts"].get("SG", 0) for p in series["series"]) == 1
    assert repair.check()["drifted"] == 0


def test_change_request_moves_the_record_between_cells(contributor, curator):
    make_geography()
    adoption = submitted(contributor, stage=Stage.PILOT)
    moderation.adoption_approve(adoption=adoption, user=curator)
    request = change_requests.change_request_create(
        adoption=Adoption.objects.get(pk=adoption.pk), user=contributor, proposed={"stage": "production"}
    )
    change_requests.change_request_approve(change_request=request, user=curator)
    stage_map = adoption_map(MapParams.from_query({"split": "stage"}))
    assert stage_map["split_totals"] == {"production": 1}
    assert repair.check()["drifted"] == 0


def test_every_fold_every_th_delta_queues_a_fold(monkeypatch, django_capture_on_commit_callbacks):
    make_geography()
    monkeypatch.setattr(upkeep, "FOLD_EVERY", 1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        upkeep.record_published(AdoptionFactory(status=Status.PUBLISHED))  # the upkeep alone, no approval
    assert len(callbacks) == 2  # the data version announcement, the fold (Celery is eager in tests)
    assert not MapDelta.objects.exists() and adoption_map(MapParams.from_query({}))["total"] == 1


def test_as_of_places_records_where_their_adopter_was_then(contributor, curator):
    from adoption.services import catalogue

    countries = make_geography()
    adoption = submitted(contributor, adopter__country=countries["KE"], adopter__is_published=True)
    moderation.adoption_approve(adoption=adoption, user=curator)
    while_in_kenya = timezone.now()
    catalogue.organization_update(organization=adoption.adopter, user=curator, data={"country": countries["FR"]})

    def keys(query):
        return [group["key"] for group in adoption_map(MapParams.from_query(query))["groups"]]

    assert keys({}) == ["FR"]
    assert keys({"as_of": while_in_kenya.isoformat()}) == ["KE"]
    assert keys({"as_of": timezone.now().isoformat()}) == ["FR"]
    assert keys({"unit": "adopters", "split": "stage"}) == ["FR"]
    assert repair.check()["drifted"] == 0


def test_a_family_changing_origin_moves_its_adopters_and_the_data_version(curator, django_capture_on_commit_callbacks):
    from adoption.services import catalogue

    countries = make_geography()
    org = Organization.objects.create(name="Lab", slug="lab", country=countries["KE"])
    llama = ModelFamily.objects.create(slug="llama", name="Llama", origin_country=countries["US"])
    qwen = ModelFamily.objects.create(slug="qwen", name="Qwen", origin_country=countries["CN"])
    for family in (llama, qwen):
        publish(adopter=org, family=family)
    adopters = MapParams.from_query({"unit": "adopters"})
    assert adoption_map(adopters)["split_totals"] == {"CN": 1, "US": 1}
    version = data_version()
    with django_capture_on_commit_callbacks(execute=True):
        catalogue.family_update(family=llama, user=curator, data={"origin_country": countries["CN"]})
    assert data_version() != version  # cached maps split by origin are not served stale
    assert adoption_map(adopters)["split_totals"] == {"CN": 1}  # one adopter, counted once under CN
    assert adoption_map(MapParams.from_query({}))["split_totals"] == {"CN": 2}
    assert repair.check()["drifted"] == 0


@pytest.mark.django_db(transaction=True)
def test_moving_an_adopter_while_its_record_is_retracted_counts_it_once(contributor, curator, monkeypatch):
    """Two connections: an adopter's move waits for a retraction of its record under way, so the
    record's delta out is logged once (not once by each), and nothing drifts."""
    import threading

    from django.db import connection

    from adoption.services import catalogue

    countries = make_geography()
    record = submitted(contributor, adopter__country=countries["KE"], adopter__city="Nairobi")
    moderation.adoption_approve(adoption=record, user=curator)
    inside, release = threading.Event(), threading.Event()
    real_unpublished = upkeep.record_unpublished

    def slow_unpublished(adoption):
        real_unpublished(adoption)  # span closed and delta logged, not committed yet
        inside.set()
        release.wait(timeout=30)

    monkeypatch.setattr(upkeep, "record_unpublished", slow_unpublished)

    def run(action):
        try:
            action()
        finally:
            connection.close()

    retract = threading.Thread(target=run, args=(lambda: moderation.adoption_retract(
        adoption=record, user=curator, comment="Not true."),))
    retract.start()
    assert inside.wait(timeout=30)
    move = threading.Thread(target=run, args=(lambda: catalogue.organization_update(
        organization=Organization.objects.get(pk=record.adopter_id), user=curator, data={"city": "Mombasa"}),))
    move.start()
    for _ in range(300):  # bounded: until the move is seen waiting for a lock
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                           "AND datname = current_database()")
            if cursor.fetchone()[0]:
                break
        threading.Event().wait(0.05)
    release.set()
    retract.join(timeout=30)
    move.join(timeout=30)
    assert Organization.objects.get(pk=record.adopter_id).city == "Mombasa"
    assert adoption_map(MapParams.from_query({"group_by": "city"}))["total"] == 0
    assert repair.check()["drifted"] == 0
