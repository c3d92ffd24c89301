"""The map queries: every map equals an independent count; shares, names and the unknown group; adopters
counted once; a constant number of queries; the timeseries; as_of."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from adoption.choices import Status
from adoption.maps import repair
from adoption.maps.answers import adoption_map, adoption_timeseries
from adoption.maps.params import GROUP_BYS, SPLITS, UNITS, MapParams
from adoption.models import Adoption, ModelFamily, Organization, PublicationSpan
from tests.adoption.maps.registry import (
    FILTERS,
    SEVERAL_KEYS,
    TWO_ORGS,
    action_strategy,
    answer,
    build_registry,
    expected_map,
    make_geography,
    org_strategy,
    publish,
    record_strategy,
)
from tests.factories import AdoptionFactory

pytestmark = pytest.mark.django_db


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    org_specs=st.lists(org_strategy, min_size=1, max_size=5),
    record_specs=st.lists(record_strategy, max_size=14),
    actions=st.lists(action_strategy, max_size=5),
    flt=st.sampled_from(FILTERS),
)
@example(org_specs=TWO_ORGS, record_specs=SEVERAL_KEYS, actions=[("move_adopter", 0, "a"), ("fold", 0, "a")], flt={})
@example(org_specs=TWO_ORGS, record_specs=SEVERAL_KEYS, actions=[("change", 1, "b")], flt={"region": "002"})
def test_every_map_equals_an_independent_count(org_specs, record_specs, actions, flt):
    """Every group_by, split and unit, now and as_of an instant before the actions: groups, their totals,
    the grand total and split_totals equal a plain-Python count of the published records."""
    combos = [(group_by, split, unit) for group_by in GROUP_BYS for split in SPLITS for unit in UNITS]
    before = {}

    def remember():
        before["instant"] = timezone.now()
        before["maps"] = {combo: expected_map(*combo, flt) for combo in combos}

    with transaction.atomic():
        countries = make_geography()
        build_registry(countries, org_specs, record_specs, actions, between=remember)
        for combo in combos:
            assert answer(*combo, flt) == expected_map(*combo, flt), (combo, flt)
        # as_of reads the spans (the adopter's place then), but a family's origin as it is now.
        moved_origin = any(action == "origin" for action, _, _ in actions)
        as_of = {**flt, "as_of": before["instant"].isoformat()}
        for combo in combos:
            if not (moved_origin and (combo[1] == "origin_country" or "origin_country" in flt)):
                assert answer(*combo, as_of) == before["maps"][combo], (combo, as_of)
        assert repair.check()["drifted"] == 0
        transaction.set_rollback(True)


def test_shares_names_and_unknown_group():
    countries = make_geography()
    nowhere = Organization.objects.create(name="Nowhere", slug="nowhere", kind="")
    llama = ModelFamily.objects.create(slug="llama", name="Llama", origin_country=countries["US"])
    qwen = ModelFamily.objects.create(slug="qwen", name="Qwen", origin_country=countries["CN"])
    for family in (llama, llama, qwen):
        publish(family=family, adopter__country=countries["SG"])
    publish(family=qwen, adopter=nowhere)
    AdoptionFactory(family=qwen, status=Status.SUBMITTED)  # not published: never counted

    payload = adoption_map(MapParams.from_query({}))
    assert payload["total"] == 4
    assert payload["split_totals"] == {"US": 2, "CN": 2}
    assert list(payload["split_totals"]) == ["CN", "US"]  # ties by key
    singapore, unknown = payload["groups"]
    assert singapore == {"key": "SG", "name": "Singapore", "total": 3, "counts": {"US": 2, "CN": 1},
                         "shares": {"US": 0.6667, "CN": 0.3333}}
    assert (unknown["key"], unknown["name"], unknown["total"]) == ("unknown", "Unknown", 1)

    region = adoption_map(MapParams.from_query({"group_by": "subregion", "split": "none"}))
    assert [(g["key"], g["name"], g["counts"]) for g in region["groups"]] == [
        ("035", "South-eastern Asia", {"all": 3}), ("unknown", "Unknown", {"all": 1})
    ]


def test_adopters_count_each_organization_once_per_split_key():
    countries = make_geography()
    org = Organization.objects.create(name="AI Singapore", slug="ai-sg", country=countries["SG"], kind="government")
    llama = ModelFamily.objects.create(slug="llama", name="Llama", origin_country=countries["US"])
    qwen = ModelFamily.objects.create(slug="qwen", name="Qwen", origin_country=countries["CN"])
    for family in (llama, llama, qwen):
        publish(adopter=org, family=family)
    payload = adoption_map(MapParams.from_query({"unit": "adopters", "split": "family"}))
    assert payload["groups"][0]["counts"] == {"llama": 1, "qwen": 1}
    none = adoption_map(MapParams.from_query({"unit": "adopters", "split": "none"}))
    assert none["total"] == 1


@pytest.mark.parametrize("query", [{}, {"region": "142"}, {"relation": "fine_tune"}, {"since": "2000"},
                                   {"as_of": "2100-01-01"}, {"sector": "health", "language": "en"}])
@pytest.mark.parametrize("group_by", GROUP_BYS)
def test_adopters_on_models_of_several_origins_count_once_in_every_total(query, group_by):
    """Issue 11: AI Singapore on US and CN models is one adopter of Singapore (not two), under each origin
    once; the grand total is the distinct adopters, as with split=none and on the home page."""
    countries = make_geography()
    aisg = Organization.objects.create(name="AI Singapore", slug="ai-sg", country=countries["SG"], city="Singapore")
    other = Organization.objects.create(name="GovTech", slug="govtech", country=countries["SG"], city="Singapore")
    llama = ModelFamily.objects.create(slug="llama", name="Llama", origin_country=countries["US"])
    qwen = ModelFamily.objects.create(slug="qwen", name="Qwen", origin_country=countries["CN"])
    for adopter, family in ((aisg, llama), (aisg, qwen), (aisg, qwen), (other, qwen)):
        publish(adopter=adopter, family=family, relation="fine_tune",
                                                      sectors=["health"], languages=["en"])
    by_origin = adoption_map(MapParams.from_query({"group_by": group_by, "unit": "adopters", **query}))
    [group] = by_origin["groups"]
    assert (group["total"], group["counts"], group["shares"]) == (2, {"CN": 2, "US": 1}, {"CN": 1.0, "US": 0.5})
    assert (by_origin["total"], by_origin["split_totals"]) == (2, {"CN": 2, "US": 1})
    for split in SPLITS:
        answer = adoption_map(MapParams.from_query({"group_by": group_by, "split": split, "unit": "adopters",
                                                    **query}))
        assert (answer["total"], [g["total"] for g in answer["groups"]]) == (2, [2]), split


def test_the_map_reads_the_summary_not_the_records(django_assert_max_num_queries):
    countries = make_geography()
    for _ in range(3):
        publish(adopter__country=countries["KE"])
    Adoption.objects.all().delete()  # the summary alone answers (drift the check would repair)
    with django_assert_max_num_queries(1):
        assert adoption_map(MapParams.from_query({}))["total"] == 3
    assert repair.check(repair=True)["drifted"] > 0
    assert adoption_map(MapParams.from_query({}))["total"] == 0
    assert repair.check()["drifted"] == 0


@pytest.mark.parametrize("query", [
    {}, {"group_by": "city", "unit": "adopters"}, {"sector": "health", "language": "en"}, {"as_of": "2025-01-01"},
    {"family": "fam", "split": "stage", "relation": "fine_tune", "region": "142"},
])
def test_constant_number_of_queries(query, django_assert_max_num_queries):
    make_geography()
    ModelFamily.objects.create(slug="fam", name="Fam")
    for _ in range(5):
        publish(sectors=["health"], languages=["en"])
    # Parsing may look the family slugs up (once per distinct query: the API keeps what it parsed).
    params = MapParams.from_query(query)
    series = MapParams.from_query({k: v for k, v in query.items() if k != "group_by"}, timeseries=True)
    with django_assert_max_num_queries(2):
        adoption_map(params)
    with django_assert_max_num_queries(2):
        adoption_timeseries(series)


def test_unknown_family_is_a_validation_error():
    with pytest.raises(ValidationError) as error:
        adoption_map(MapParams.from_query({"family": "nope"}))
    assert "family" in error.value.message_dict


def test_timeseries_fills_every_period_and_reports_undated():
    make_geography()
    for started in (datetime.date(2024, 2, 1), datetime.date(2024, 11, 1), datetime.date(2024, 12, 1), None):
        publish(started_on=started, started_precision="month" if started else "")
    payload = adoption_timeseries(MapParams.from_query({"split": "none"}, timeseries=True))
    assert payload["undated"] == 1
    assert [(p["period"], p["counts"]["all"], p["cumulative"]["all"]) for p in payload["series"]] == [
        ("2024-Q1", 1, 1), ("2024-Q2", 0, 1), ("2024-Q3", 0, 1), ("2024-Q4", 2, 3),
    ]
    months = adoption_timeseries(MapParams.from_query({"interval": "month", "unit": "adopters"}, timeseries=True))
    assert months["series"][0]["period"] == "2024-02" and months["series"][-1]["period"] == "2024-12"
    assert len(months["series"]) == 11
    assert months["undated"] == 1
    years = adoption_timeseries(MapParams.from_query({"interval": "year", "since": "2024-06"}, timeseries=True))
    assert [p["period"] for p in years["series"]] == ["2024"] and years["undated"] == 0


def test_timeseries_adopters_cumulative_counts_each_adopter_once():
    countries = make_geography()
    org = Organization.objects.create(name="Org", slug="org", country=countries["SG"])
    for started in (datetime.date(2023, 1, 1), datetime.date(2024, 1, 1)):
        publish(adopter=org, started_on=started, started_precision="year")
    payload = adoption_timeseries(MapParams.from_query({"interval": "year", "unit": "adopters", "split": "none"},
                                                       timeseries=True))
    assert [(p["period"], p["counts"], p["cumulative"]) for p in payload["series"]] == [
        ("2023", {"all": 1}, {"all": 1}), ("2024", {"all": 1}, {"all": 1}),
    ]


def test_as_of_a_bare_date_means_the_end_of_that_day():
    """The API documents `as_of=2025-06-30` as the registry at the end of that day (UTC)."""
    make_geography()
    record = publish()
    noon = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)
    PublicationSpan.objects.filter(adoption_id=record.pk).update(published_from=noon)  # published at noon
    day = noon.date().isoformat()
    params = MapParams.from_query({"as_of": day})
    assert params.as_of.isoformat().startswith(f"{day}T23:59:59")
    assert adoption_map(params)["total"] == 1
    before = (noon - datetime.timedelta(days=1)).date().isoformat()
    assert adoption_map(MapParams.from_query({"as_of": before}))["total"] == 0
    assert MapParams.from_query({"as_of": f"{day}T12:00:00Z"}).as_of == noon


def test_timeseries_of_adopters_ends_at_the_maps_adopters_per_key():
    """The adopters' cumulative line counts each adopter once per key: where every record is dated, its
    last value per key is the adopters map's split_totals; `undated` counts records in both units."""
    countries = make_geography()
    aisg = Organization.objects.create(name="AI Singapore", slug="ai-sg", country=countries["SG"])
    lab = Organization.objects.create(name="Lab", slug="lab", country=countries["KE"])
    llama = ModelFamily.objects.create(slug="llama", name="Llama", origin_country=countries["US"])
    qwen = ModelFamily.objects.create(slug="qwen", name="Qwen", origin_country=countries["CN"])
    for adopter, family, year in ((aisg, llama, 2023), (aisg, qwen, 2023), (aisg, qwen, 2024), (lab, qwen, 2024)):
        publish(adopter=adopter, family=family,
                                                      started_on=datetime.date(year, 3, 1), started_precision="month")
    for split in SPLITS:
        query = {"interval": "year", "unit": "adopters", "split": split}
        series = adoption_timeseries(MapParams.from_query(query, timeseries=True))
        totals = adoption_map(MapParams.from_query({"unit": "adopters", "split": split}))["split_totals"]
        assert series["series"][-1]["cumulative"] == totals, split
    by_origin = adoption_timeseries(MapParams.from_query({"interval": "year", "unit": "adopters"}, timeseries=True))
    assert [(p["period"], p["counts"], p["cumulative"]) for p in by_origin["series"]] == [
        ("2023", {"CN": 1, "US": 1}, {"CN": 1, "US": 1}), ("2024", {"CN": 2, "US": 0}, {"CN": 2, "US": 1}),
    ]
    publish(adopter=lab, family=llama, started_on=None, started_precision="")
    for unit in UNITS:
        assert adoption_timeseries(MapParams.from_query({"unit": unit}, timeseries=True))["undated"] == 1
