"""Map aggregates: the summary against an independent count, read-your-writes, as_of, rebuild and repair."""

import datetime
from collections import defaultdict

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from adoption import aggregates
from adoption.aggregates import GROUP_BYS, SPLITS, UNITS, MapParams, adoption_map, adoption_timeseries
from adoption.choices import OrganizationKind, Relation, Stage, Status
from adoption.models import AdopterPresence, Adoption, MapDelta, MapSummary, ModelFamily, Organization, PublicationSpan
from adoption.services import change_requests, maps, moderation
from tests.factories import AdoptionFactory, CountryFactory, EvidenceFactory, RegionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()


def make_geography():
    """Four countries in four regions, with real M49 codes."""
    world = RegionFactory(code="001", name="World", level="world")
    asia = RegionFactory(code="142", name="Asia", level="region", parent=world)
    africa = RegionFactory(code="002", name="Africa", level="region", parent=world)
    europe = RegionFactory(code="150", name="Europe", level="region", parent=world)
    americas = RegionFactory(code="019", name="Americas", level="region", parent=world)
    return {
        "SG": CountryFactory(),
        "KE": CountryFactory(iso2="KE", iso3="KEN", numeric="404", name="Kenya", region=africa,
                             subregion=RegionFactory(code="202", name="Sub-Saharan Africa", level="subregion",
                                                     parent=africa)),
        "FR": CountryFactory(iso2="FR", iso3="FRA", numeric="250", name="France", region=europe,
                             subregion=RegionFactory(code="155", name="Western Europe", level="subregion",
                                                     parent=europe)),
        "US": CountryFactory(iso2="US", iso3="USA", numeric="840", name="United States", region=americas,
                             subregion=RegionFactory(code="021", name="Northern America", level="subregion",
                                                     parent=americas)),
        "CN": CountryFactory(iso2="CN", iso3="CHN", numeric="156", name="China", region=asia,
                             subregion=RegionFactory(code="030", name="Eastern Asia", level="subregion",
                                                     parent=asia)),
    }


# --- an independent computation, in plain Python over the same rows ---


def expected_map(group_by: str, split: str, unit: str, flt: dict | None = None) -> dict:
    """{"groups": [(key, total, counts)], "total", "split_totals"} as the contract says, counted in Python
    from the published rows: with unit=adopters every total counts distinct organizations (DESIGN §4)."""
    flt = flt or {}
    cells = defaultdict(lambda: defaultdict(set))
    members, by_key, everyone = defaultdict(set), defaultdict(set), set()
    for record in Adoption.objects.filter(status=Status.PUBLISHED).select_related(
        "adopter__country", "family"
    ):
        org, family = record.adopter, record.family
        if not _matches(record, flt):
            continue
        country = org.country
        if group_by == "country":
            key = org.country_id or "unknown"
        elif group_by == "city":
            key = f"{org.country_id}:{org.city}" if org.country_id and org.city else "unknown"
        else:
            code = getattr(country, f"{group_by}_id", None) if country else None
            key = code or "unknown"
        split_key = {
            "origin_country": family.origin_country_id or "unknown", "family": family.slug,
            "relation": record.relation, "stage": record.stage, "adopter_kind": org.kind or "unknown",
            "none": "all",
        }[split]
        counted = record.pk if unit == "adoptions" else ("org", org.pk)
        cells[key][split_key].add(counted)
        members[key].add(counted)
        by_key[split_key].add(counted)
        everyone.add(counted)
    groups = [(key, len(members[key]), {k: len(v) for k, v in counts.items()}) for key, counts in cells.items()]
    return {"groups": sorted(groups, key=lambda row: (-row[1], row[0])), "total": len(everyone),
            "split_totals": {k: len(v) for k, v in by_key.items()}}


def _matches(record: Adoption, flt: dict) -> bool:
    org, family = record.adopter, record.family
    country = org.country
    checks = {
        "family": lambda v: family.slug == v,
        "origin_country": lambda v: family.origin_country_id == v,
        "relation": lambda v: record.relation == v,
        "stage": lambda v: record.stage == v,
        "adopter_kind": lambda v: org.kind == v,
        "sector": lambda v: v in record.sectors,
        "language": lambda v: v in record.languages,
        "country": lambda v: org.country_id == v,
        "region": lambda v: bool(country) and v in country.region_codes,
        "since": lambda v: record.started_on is not None and record.started_on >= _period(v)[0],
        "until": lambda v: record.started_on is not None and record.started_on <= _period(v)[1],
    }
    return all(checks[name](value) for name, value in flt.items())


def _period(text: str) -> tuple[datetime.date, datetime.date]:
    """First and last day of YYYY, YYYY-MM or YYYY-MM-DD, as the contract reads since/until."""
    import calendar

    parts = [int(part) for part in text.split("-")]
    if len(parts) == 3:
        day = datetime.date(*parts)
        return day, day
    year, month = parts[0], parts[1] if len(parts) == 2 else None
    if month is None:
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    return datetime.date(year, month, 1), datetime.date(year, month, calendar.monthrange(year, month)[1])


def answer(group_by: str, split: str, unit: str, flt: dict | None = None) -> dict:
    """The map's figures in the shape of expected_map, after checking what holds between them."""
    payload = adoption_map(MapParams.from_query({"group_by": group_by, "split": split, "unit": unit, **(flt or {})}))
    for group in payload["groups"]:
        # Adopters: one with records of two keys counts under each, once in the total.
        assert max(group["counts"].values()) <= group["total"] <= sum(group["counts"].values())
        assert (group["total"] == sum(group["counts"].values())) or unit == "adopters"
        assert group["shares"] == {k: round(v / group["total"], 4) for k, v in group["counts"].items()}
    # An adopter is in one place, so in one group: the groups' totals add up to the grand total.
    assert payload["total"] == sum(group["total"] for group in payload["groups"])
    splits = payload["split_totals"]
    assert list(splits) == sorted(splits, key=lambda k: (-splits[k], k))  # largest first, ties by key
    return {"groups": [(g["key"], g["total"], g["counts"]) for g in payload["groups"]], "total": payload["total"],
            "split_totals": dict(splits)}


# --- random registries ---

SECTORS = ("health", "education", "public")
LANGUAGES = ("en", "sw", "fr")
FILTERS = [
    {}, {"relation": "fine_tune"}, {"stage": "pilot"}, {"adopter_kind": "government"}, {"sector": "health"},
    {"language": "sw"}, {"family": "fam-0"}, {"origin_country": "CN"}, {"country": "KE"}, {"region": "142"},
    {"since": "2024-01-01"}, {"until": "2023-12-31"}, {"since": "2023-03-15"}, {"sector": "health", "language": "en"},
    {"relation": "fine_tune", "stage": "production"},
    # Month-aligned ranges: whole years from the year cells, ragged months from the month cells.
    {"since": "2022-03"}, {"until": "2023-06"}, {"since": "2022-03", "until": "2024-05"},
    {"since": "2023-02", "until": "2023-10"}, {"since": "2022", "until": "2024"},
]

org_strategy = st.fixed_dictionaries({
    "country": st.sampled_from(["SG", "KE", "FR", None]),
    "city": st.sampled_from(["", "Alpha", "Beta"]),
    "kind": st.sampled_from(["", OrganizationKind.GOVERNMENT, OrganizationKind.STARTUP]),
})
record_strategy = st.fixed_dictionaries({
    "org": st.integers(0, 4),
    "family": st.integers(0, 2),
    "relation": st.sampled_from([Relation.FINE_TUNE, Relation.DEPLOYMENT]),
    "stage": st.sampled_from([Stage.PILOT, Stage.PRODUCTION]),
    "status": st.one_of(st.just(Status.PUBLISHED), st.sampled_from(Status.values)),
    "started_on": st.one_of(st.none(), st.dates(datetime.date(2022, 1, 1), datetime.date(2025, 6, 1))),
    "sectors": st.lists(st.sampled_from(SECTORS), max_size=3),
    "languages": st.lists(st.sampled_from(LANGUAGES), max_size=2),
})
action_strategy = st.tuples(
    st.sampled_from(["retract", "change", "move_adopter", "origin", "fold"]), st.integers(0, 30),
    st.sampled_from(["a", "b"]),
)


def build_registry(countries, org_specs, record_specs, actions, *, between=None) -> None:
    """Organizations, families and records as specified, then the actions; `between()` is called after the
    records are published and before the actions."""
    orgs = [
        Organization.objects.create(name=f"Org {i}", slug=f"org-{i}", kind=spec["kind"], city=spec["city"],
                                    country=countries.get(spec["country"]))
        for i, spec in enumerate(org_specs)
    ]
    origins = ["CN", "US", None]
    families = [
        ModelFamily.objects.create(slug=f"fam-{i}", name=f"Fam {i}", origin_country=countries.get(origins[i]))
        for i in range(3)
    ]
    records = []
    for spec in record_specs:
        record = Adoption.objects.create(
            adopter=orgs[spec["org"] % len(orgs)], family=families[spec["family"]], relation=spec["relation"],
            stage=spec["stage"], status=spec["status"], started_on=spec["started_on"],
            started_precision="day" if spec["started_on"] else "", sectors=spec["sectors"],
            languages=spec["languages"],
        )
        if record.status == Status.PUBLISHED:
            maps.summary_record_published(record)
        records.append(record)
    if between is not None:
        between()
    for action, index, variant in actions:
        if action == "fold":  # the periodic fold, between any two actions: answers must not move
            maps.summary_fold()
            continue
        if not records:
            break
        record = Adoption.objects.select_related("adopter").get(pk=records[index % len(records)].pk)
        if action == "retract" and record.status == Status.PUBLISHED:
            maps.summary_record_unpublished(record)
            Adoption.objects.filter(pk=record.pk).update(status=Status.RETRACTED)
        elif action == "change" and record.status == Status.PUBLISHED:
            # An approved change request: its span reopens, with a delta out and a delta in.
            with maps.summary_record_changing(record):
                record.stage = Stage.PILOT if record.stage == Stage.PRODUCTION else Stage.PRODUCTION
                record.sectors = ["health"] if variant == "a" else []
                record.started_on = datetime.date(2021, 5, 1) if variant == "a" else None
                record.started_precision = "month" if variant == "a" else ""
                record.save()
        elif action == "origin":  # the family's origin moves (its adopters' presence by origin with it)
            family = record.family
            with maps.summary_family_changing(family):
                ModelFamily.objects.filter(pk=family.pk).update(
                    origin_country=countries["FR"] if variant == "a" else None)
        elif action == "move_adopter":
            org = record.adopter
            with maps.summary_adopter_changing(org):
                Organization.objects.filter(pk=org.pk).update(
                    country=countries["FR"] if variant == "a" else None, city="Gamma" if variant == "a" else ""
                )


# An adopter with records of several keys in one group (the case unit=adopters must count once in each
# total), and one that moves away after the as_of instant.
SEVERAL_KEYS = [
    {"org": 0, "family": family, "relation": relation, "stage": stage, "status": Status.PUBLISHED,
     "started_on": started, "sectors": ["health"], "languages": ["sw"]}
    for family, relation, stage, started in (
        (0, Relation.FINE_TUNE, Stage.PILOT, datetime.date(2023, 5, 1)),
        (1, Relation.DEPLOYMENT, Stage.PRODUCTION, datetime.date(2023, 5, 2)),
        (2, Relation.FINE_TUNE, Stage.PRODUCTION, datetime.date(2024, 1, 1)),
        (0, Relation.DEPLOYMENT, Stage.PILOT, None),
    )
] + [{"org": 1, "family": 0, "relation": Relation.DEPLOYMENT, "stage": Stage.PILOT, "status": Status.PUBLISHED,
      "started_on": None, "sectors": [], "languages": ["en"]}]
TWO_ORGS = [{"country": "KE", "city": "Alpha", "kind": OrganizationKind.GOVERNMENT},
            {"country": "SG", "city": "", "kind": ""}]


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
            if not (moved_origin and combo[1] == "origin_country"):
                assert answer(*combo, as_of) == before["maps"][combo], (combo, as_of)
        assert maps.summary_check()["drifted"] == 0
        transaction.set_rollback(True)


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
        maps.summary_fold()  # the deltas folded in: every answer stays, the log is empty
        assert not MapDelta.objects.exists()
        assert [answer(g, s, "adoptions", f) for g, s, f in combos] == from_summary
        assert [answer(g, s, "adopters", f) for g, s, f in combos] == adopters
        stored = sorted(MapSummary.objects.filter(n__gt=0).values_list(*maps.CELL_COLUMNS, "n"))
        presence = sorted(AdopterPresence.objects.filter(n__gt=0).values_list(*maps.PRESENCE_COLUMNS, "n"))
        maps.summary_rebuild()
        assert sorted(MapSummary.objects.values_list(*maps.CELL_COLUMNS, "n")) == stored
        assert sorted(AdopterPresence.objects.values_list(*maps.PRESENCE_COLUMNS, "n")) == presence
        with monkeypatch.context() as patch:  # every answer from the open publication spans instead
            patch.setattr(aggregates.sql, "_grain_for", lambda dims: None)
            patch.setattr(aggregates.sql, "_presence_grain", lambda params, timeseries: None)
            assert [answer(g, s, "adoptions", f) for g, s, f in combos] == from_summary
            assert [answer(g, s, "adopters", f) for g, s, f in combos] == adopters
        transaction.set_rollback(True)


def test_shares_names_and_unknown_group():
    countries = make_geography()
    nowhere = Organization.objects.create(name="Nowhere", slug="nowhere", kind="")
    llama = ModelFamily.objects.create(slug="llama", name="Llama", origin_country=countries["US"])
    qwen = ModelFamily.objects.create(slug="qwen", name="Qwen", origin_country=countries["CN"])
    for family in (llama, llama, qwen):
        AdoptionFactory(family=family, adopter__country=countries["SG"], published=True)
    AdoptionFactory(family=qwen, adopter=nowhere, published=True)
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
        AdoptionFactory(adopter=org, family=family, published=True)
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
        AdoptionFactory(adopter=adopter, family=family, relation="fine_tune",
                        sectors=["health"], languages=["en"], published=True)
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
        AdoptionFactory(adopter__country=countries["KE"], published=True)
    Adoption.objects.all().delete()  # the summary alone answers (drift the check would repair)
    with django_assert_max_num_queries(1):
        assert adoption_map(MapParams.from_query({}))["total"] == 3
    assert maps.summary_check(repair=True)["drifted"] > 0
    assert adoption_map(MapParams.from_query({}))["total"] == 0
    assert maps.summary_check()["drifted"] == 0


@pytest.mark.parametrize("query", [
    {}, {"group_by": "city", "unit": "adopters"}, {"sector": "health", "language": "en"}, {"as_of": "2025-01-01"},
    {"family": "fam", "split": "stage", "relation": "fine_tune", "region": "142"},
])
def test_constant_number_of_queries(query, django_assert_max_num_queries):
    make_geography()
    ModelFamily.objects.create(slug="fam", name="Fam")
    for _ in range(5):
        AdoptionFactory(sectors=["health"], languages=["en"], published=True)
    # Parsing may look the family slugs up (once per distinct query: the API keeps what it parsed).
    params = MapParams.from_query(query)
    series = MapParams.from_query({k: v for k, v in query.items() if k != "group_by"}, timeseries=True)
    with django_assert_max_num_queries(2):
        adoption_map(params)
    with django_assert_max_num_queries(2):
        adoption_timeseries(series)


@pytest.mark.parametrize(("query", "bad"), [
    ({"group_by": "planet"}, "group_by"), ({"split": "mood"}, "split"), ({"unit": "kg"}, "unit"),
    ({"relation": "borrowing"}, "relation"), ({"stage": "x"}, "stage"), ({"adopter_kind": "x"}, "adopter_kind"),
    ({"country": "XX"}, "country"), ({"origin_country": "usa"}, "origin_country"), ({"region": "999"}, "region"),
    ({"since": "2024-13"}, "since"), ({"until": "soon"}, "until"), ({"since": "2025", "until": "2024"}, "until"),
    ({"as_of": "yesterday"}, "as_of"), ({"format": "xml"}, "format"), ({"grop_by": "city"}, "grop_by"),
    ({"sector": "x" * 101}, "sector"), ({"family": "no such!"}, "family"),
])
def test_bad_parameters_are_named(query, bad):
    with pytest.raises(ValidationError) as error:
        MapParams.from_query(query)
    assert bad in error.value.message_dict


def test_unknown_family_is_a_validation_error():
    with pytest.raises(ValidationError) as error:
        adoption_map(MapParams.from_query({"family": "nope"}))
    assert "family" in error.value.message_dict


def test_date_filters_take_partial_dates():
    params = MapParams.from_query({"since": "2024-02", "until": "2024-02"})
    assert (params.since, params.until) == (datetime.date(2024, 2, 1), datetime.date(2024, 2, 29))
    assert params.filters_echo() == {"since": "2024-02", "until": "2024-02"}


def test_timeseries_fills_every_period_and_reports_undated():
    make_geography()
    for started in (datetime.date(2024, 2, 1), datetime.date(2024, 11, 1), datetime.date(2024, 12, 1), None):
        AdoptionFactory(started_on=started, started_precision="month" if started else "", published=True)
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
        AdoptionFactory(adopter=org, started_on=started, started_precision="year", published=True)
    payload = adoption_timeseries(MapParams.from_query({"interval": "year", "unit": "adopters", "split": "none"},
                                                       timeseries=True))
    assert [(p["period"], p["counts"], p["cumulative"]) for p in payload["series"]] == [
        ("2023", {"all": 1}, {"all": 1}), ("2024", {"all": 1}, {"all": 1}),
    ]


# --- the real workflow: read-your-writes and as_of from history ---


def submitted(contributor, **fields) -> Adoption:
    adoption = AdoptionFactory(status=Status.IN_REVIEW, created_by=contributor, **fields)
    EvidenceFactory(adoption=adoption)
    return adoption


def test_approval_and_retraction_show_at_once_and_as_of_remembers(
    contributor, curator, django_capture_on_commit_callbacks
):
    countries = make_geography()
    adoption = submitted(contributor, adopter__country=countries["KE"])
    before_approval = timezone.now()
    version_before = maps.data_version()
    with django_capture_on_commit_callbacks(execute=True):  # the cached version is dropped on commit
        moderation.adoption_approve(adoption=adoption, user=curator)
    assert maps.data_version() != version_before  # the ETag source moved
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
    assert maps.summary_check()["drifted"] == 0


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
    assert maps.summary_check()["drifted"] == 0


def test_rebuild_command_and_check_command(capsys):
    from django.core.management import call_command

    make_geography()
    AdoptionFactory(published=True)
    maps.summary_fold()
    MapSummary.objects.update(n=7)
    call_command("check_map_summary")
    assert "drift" in capsys.readouterr().out
    call_command("check_map_summary", "--repair")
    call_command("rebuild_map_summary")
    assert maps.summary_check()["drifted"] == 0
    assert adoption_map(MapParams.from_query({}))["total"] == 1


def test_periodic_task_repairs_and_reports():
    from adoption import tasks

    make_geography()
    AdoptionFactory(published=True)
    assert tasks.fold_map_deltas() == 1
    MapSummary.objects.filter(grain=1).delete()
    report = tasks.check_map_summary()
    assert report["drifted"] == 1 and report["repaired"]
    assert adoption_map(MapParams.from_query({}))["total"] == 1


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
    version = maps.data_version()
    assert maps.summary_fold() == 1
    assert not MapDelta.objects.exists() and MapSummary.objects.filter(grain=7, tag="health").get().n == 1
    assert maps_now() == before
    assert maps.data_version() == version  # nothing a map shows moved: cached answers stay good
    moderation.adoption_retract(adoption=Adoption.objects.get(pk=record.pk), user=curator, comment="Wrong.")
    assert [adoption_map(MapParams.from_query(query))["total"] for query in queries] == [0] * 5
    assert MapDelta.objects.get().sign == -1 and maps.summary_check()["drifted"] == 0
    maps.summary_fold()
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
    maps.summary_fold()
    assert maps_now() == empty


def test_every_fold_every_th_delta_queues_a_fold(monkeypatch, django_capture_on_commit_callbacks):
    make_geography()
    monkeypatch.setattr(maps, "FOLD_EVERY", 1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        # The upkeep itself under test: a raw published row, counted by hand.
        maps.summary_record_published(AdoptionFactory(status=Status.PUBLISHED))
    assert len(callbacks) == 2  # the data version announcement, the fold (Celery is eager in tests)
    assert not MapDelta.objects.exists() and adoption_map(MapParams.from_query({}))["total"] == 1


def test_rebuild_drops_the_deltas_it_counts():
    make_geography()
    for _ in range(3):
        AdoptionFactory(published=True)
    maps.summary_rebuild()
    assert not MapDelta.objects.exists()
    assert adoption_map(MapParams.from_query({}))["total"] == 3 and maps.summary_check()["drifted"] == 0


def test_cached_answer_follows_the_data_version(django_capture_on_commit_callbacks):
    make_geography()
    AdoptionFactory(published=True)
    params = MapParams.from_query({})
    assert aggregates.cached_answer(params)["total"] == 1
    with django_capture_on_commit_callbacks(execute=True):  # the cached version is dropped on commit
        AdoptionFactory(published=True)
    assert aggregates.cached_answer(params)["total"] == 2
    assert aggregates.cached_answer(MapParams.from_query({}, timeseries=True), timeseries=True)["undated"] == 0


# --- publication spans: as_of, the adopter's place at the time, rebuilt from history, drift ---


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
    assert maps.summary_check()["drifted"] == 0


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
        cursor.execute(maps.spans_from_history_sql(), [])
    assert answers() == kept
    assert maps.summary_check()["drifted"] == 0


def test_span_drift_is_reported_and_repaired_without_rewriting_the_past(contributor, curator, capsys):
    from django.core.management import call_command

    make_geography()
    adoption = submitted(contributor)
    moderation.adoption_approve(adoption=adoption, user=curator)
    after_approval = timezone.now()
    PublicationSpan.objects.filter(adoption_id=adoption.pk).update(stage="discontinued")  # drift
    call_command("check_map_summary")
    assert f"record {adoption.pk}: its open publication span differs" in capsys.readouterr().out
    report = maps.summary_check(repair=True)
    assert report["examples"] == [{"span": {"adoption_id": adoption.pk}}] and report["repaired"]
    assert maps.summary_check()["drifted"] == 0
    assert adoption_map(MapParams.from_query({"split": "stage"}))["split_totals"] == {"production": 1}
    # What was recorded for the past stays: the repair closes the drifted span, it does not erase it.
    past = adoption_map(MapParams.from_query({"as_of": after_approval.isoformat(), "split": "stage"}))
    assert past["split_totals"] == {"discontinued": 1}


def test_a_family_changing_origin_moves_its_adopters_and_the_data_version(curator, django_capture_on_commit_callbacks):
    from adoption.services import catalogue

    countries = make_geography()
    org = Organization.objects.create(name="Lab", slug="lab", country=countries["KE"])
    llama = ModelFamily.objects.create(slug="llama", name="Llama", origin_country=countries["US"])
    qwen = ModelFamily.objects.create(slug="qwen", name="Qwen", origin_country=countries["CN"])
    for family in (llama, qwen):
        AdoptionFactory(adopter=org, family=family, published=True)
    adopters = MapParams.from_query({"unit": "adopters"})
    assert adoption_map(adopters)["split_totals"] == {"CN": 1, "US": 1}
    version = maps.data_version()
    with django_capture_on_commit_callbacks(execute=True):
        catalogue.family_update(family=llama, user=curator, data={"origin_country": countries["CN"]})
    assert maps.data_version() != version  # cached maps split by origin are not served stale
    assert adoption_map(adopters)["split_totals"] == {"CN": 1}  # one adopter, counted once under CN
    assert adoption_map(MapParams.from_query({}))["split_totals"] == {"CN": 2}
    assert maps.summary_check()["drifted"] == 0


def test_as_of_a_bare_date_means_the_end_of_that_day():
    """The API documents `as_of=2025-06-30` as the registry at the end of that day (UTC)."""
    make_geography()
    record = AdoptionFactory(published=True)
    noon = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)
    PublicationSpan.objects.filter(adoption_id=record.pk).update(published_from=noon)  # published at noon
    day = noon.date().isoformat()
    params = MapParams.from_query({"as_of": day})
    assert params.as_of.isoformat().startswith(f"{day}T23:59:59")
    assert adoption_map(params)["total"] == 1
    before = (noon - datetime.timedelta(days=1)).date().isoformat()
    assert adoption_map(MapParams.from_query({"as_of": before}))["total"] == 0
    assert MapParams.from_query({"as_of": f"{day}T12:00:00Z"}).as_of == noon


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
    real_unpublished = maps.summary_record_unpublished

    def slow_unpublished(adoption):
        real_unpublished(adoption)  # span closed and delta logged, not committed yet
        inside.set()
        release.wait(timeout=30)

    monkeypatch.setattr(moderation.maps, "summary_record_unpublished", slow_unpublished)

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
    assert maps.summary_check()["drifted"] == 0


def test_timeseries_of_adopters_ends_at_the_maps_adopters_per_key():
    """The adopters' cumulative line counts each adopter once per key: where every record is dated, its
    last value per key is the adopters map's split_totals; `undated` counts records in both units."""
    countries = make_geography()
    aisg = Organization.objects.create(name="AI Singapore", slug="ai-sg", country=countries["SG"])
    lab = Organization.objects.create(name="Lab", slug="lab", country=countries["KE"])
    llama = ModelFamily.objects.create(slug="llama", name="Llama", origin_country=countries["US"])
    qwen = ModelFamily.objects.create(slug="qwen", name="Qwen", origin_country=countries["CN"])
    for adopter, family, year in ((aisg, llama, 2023), (aisg, qwen, 2023), (aisg, qwen, 2024), (lab, qwen, 2024)):
        AdoptionFactory(adopter=adopter, family=family,
                        started_on=datetime.date(year, 3, 1), started_precision="month", published=True)
    for split in SPLITS:
        query = {"interval": "year", "unit": "adopters", "split": split}
        series = adoption_timeseries(MapParams.from_query(query, timeseries=True))
        totals = adoption_map(MapParams.from_query({"unit": "adopters", "split": split}))["split_totals"]
        assert series["series"][-1]["cumulative"] == totals, split
    by_origin = adoption_timeseries(MapParams.from_query({"interval": "year", "unit": "adopters"}, timeseries=True))
    assert [(p["period"], p["counts"], p["cumulative"]) for p in by_origin["series"]] == [
        ("2023", {"CN": 1, "US": 1}, {"CN": 1, "US": 1}), ("2024", {"CN": 2, "US": 0}, {"CN": 2, "US": 1}),
    ]
    AdoptionFactory(adopter=lab, family=llama, started_on=None, started_precision="", published=True)
    for unit in UNITS:
        assert adoption_timeseries(MapParams.from_query({"unit": unit}, timeseries=True))["undated"] == 1
