"""What the map tests share: a small geography, an independent count of every map in plain Python,
random registries built through the map upkeep, and records published as curators publish them."""

import datetime
from collections import defaultdict

from django.contrib.auth.models import Group
from hypothesis import strategies as st

from adoption.choices import OrganizationKind, Relation, Stage, Status
from adoption.maps import fold, upkeep
from adoption.maps.answers import adoption_map
from adoption.maps.params import MapParams
from adoption.models import Adoption, ModelFamily, Organization
from adoption.roles import CONTRIBUTOR, CURATOR
from adoption.services import moderation
from tests.factories import AdoptionFactory, CountryFactory, EvidenceFactory, RegionFactory, UserFactory


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
            upkeep.record_published(record)
        records.append(record)
    if between is not None:
        between()
    for action, index, variant in actions:
        if action == "fold":  # the periodic fold, between any two actions: answers must not move
            fold.fold()
            continue
        if not records:
            break
        record = Adoption.objects.select_related("adopter").get(pk=records[index % len(records)].pk)
        if action == "retract" and record.status == Status.PUBLISHED:
            upkeep.record_unpublished(record)
            Adoption.objects.filter(pk=record.pk).update(status=Status.RETRACTED)
        elif action == "change" and record.status == Status.PUBLISHED:
            # An approved change request: its span reopens, with a delta out and a delta in.
            with upkeep.record_changing(record):
                record.stage = Stage.PILOT if record.stage == Stage.PRODUCTION else Stage.PRODUCTION
                record.sectors = ["health"] if variant == "a" else []
                record.started_on = datetime.date(2021, 5, 1) if variant == "a" else None
                record.started_precision = "month" if variant == "a" else ""
                record.save()
        elif action == "origin":  # the family's origin moves (its adopters' presence by origin with it)
            family = record.family
            with upkeep.family_changing(family):
                ModelFamily.objects.filter(pk=family.pk).update(
                    origin_country=countries["FR"] if variant == "a" else None)
        elif action == "move_adopter":
            org = record.adopter
            with upkeep.adopter_changing(org):
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


def submitted(contributor, **fields) -> Adoption:
    adoption = AdoptionFactory(status=Status.IN_REVIEW, created_by=contributor, **fields)
    EvidenceFactory(adoption=adoption)
    return adoption


def _curator():
    """The curator who approves the records `publish` makes (one per test database)."""
    user = UserFactory._meta.model.objects.filter(username="maps-curator").first() or UserFactory(
        username="maps-curator")
    user.groups.add(Group.objects.get_or_create(name=CURATOR)[0], Group.objects.get_or_create(name=CONTRIBUTOR)[0])
    return user


def publish(**fields) -> Adoption:
    """A record published as the registry publishes one: submitted with its evidence, then approved by a
    curator through the moderation service (its span, delta and data version come from there)."""
    record = AdoptionFactory(status=Status.IN_REVIEW, **fields)
    EvidenceFactory(adoption=record)
    return moderation.adoption_approve(adoption=record, user=_curator())
