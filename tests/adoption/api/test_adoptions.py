"""Published adoptions: list and detail with nested objects and evidence, every filter, ordering, pages, history."""

import datetime

import pytest

from adoption.choices import DatePrecision, Status
from tests.factories import (
    AdoptionFactory,
    CheckpointFactory,
    CountryFactory,
    EvidenceFactory,
    ModelFamilyFactory,
    OrganizationFactory,
    RegionFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]
URL = "/api/v1/adoptions/"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def world():
    """Two adopters (Singapore, Kenya), two families (US Gemma, CN Qwen), four published records and a draft."""
    RegionFactory(code="001", name="World", level="world")
    africa = RegionFactory(code="002", name="Africa", level="region")
    eastern = RegionFactory(code="014", name="Eastern Africa", level="subregion", parent=africa)
    singapore = CountryFactory()
    kenya = CountryFactory(iso2="KE", iso3="KEN", numeric="404", name="Kenya", region=africa, subregion=eastern)
    us = CountryFactory(iso2="US", iso3="USA", numeric="840", name="United States", region=RegionFactory(
        code="019", name="Americas", level="region"), subregion=None)
    china = CountryFactory(iso2="CN", iso3="CHN", numeric="156", name="China")
    aisg = OrganizationFactory(name="AI Singapore", slug="aisg", kind="public_programme", country=singapore,
                               aliases=["AISG"])
    jacaranda = OrganizationFactory(name="Jacaranda Health", slug="jacaranda", kind="ngo", country=kenya)
    gemma = ModelFamilyFactory(slug="gemma", name="Gemma", origin_country=us, developer=OrganizationFactory(country=us))
    qwen = ModelFamilyFactory(slug="qwen", name="Qwen", origin_country=china,
                              developer=OrganizationFactory(country=china))
    qwen32 = CheckpointFactory(family=qwen, repo_id="Qwen/Qwen3-32B")
    records = {
        "sea_lion_gemma": AdoptionFactory(
            adopter=aisg, family=gemma, product_name="Gemma-SEA-LION-v4", relation="continued_pretraining",
            stage="production", started_on=datetime.date(2025, 8, 25), started_precision=DatePrecision.DAY,
            sectors=["public_sector"], languages=["id", "ms", "th"], summary="Southeast Asian languages",
            published_at=datetime.datetime(2025, 9, 1, tzinfo=datetime.UTC), published=True,
        ),
        "sea_lion_qwen": AdoptionFactory(
            adopter=aisg, family=qwen, checkpoint=qwen32, product_name="Qwen-SEA-LION-v4", relation="fine_tune",
            stage="pilot", started_on=datetime.date(2025, 11, 1), started_precision=DatePrecision.MONTH,
            languages=["ms"], published_at=datetime.datetime(2025, 12, 1, tzinfo=datetime.UTC), published=True,
        ),
        "uliza": AdoptionFactory(
            adopter=jacaranda, family=gemma, product_name="UlizaLlama", relation="adapter", stage="announced",
            started_on=datetime.date(2024, 1, 1), started_precision=DatePrecision.YEAR,
            sectors=["health"], languages=["sw"], summary="Maternal health chatbot",
            published_at=datetime.datetime(2024, 6, 1, tzinfo=datetime.UTC), published=True,
        ),
        "undated": AdoptionFactory(
            adopter=jacaranda, family=qwen, product_name="Undated", relation="deployment", started_on=None,
            started_precision="", published_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC), published=True,
        ),
        "draft": AdoptionFactory(adopter=aisg, family=qwen, product_name="Secret draft", status=Status.DRAFT),
    }
    EvidenceFactory(adoption=records["draft"])  # the published ones cite one source each
    return records


def test_list_shows_published_records_with_nested_objects_and_evidence(anon, world):
    body = anon.get(URL).json()
    assert body["count"] == 4 and set(body) == {"count", "next", "previous", "results"}
    assert world["draft"].pk not in [row["id"] for row in body["results"]]
    row = next(row for row in body["results"] if row["id"] == world["sea_lion_qwen"].pk)
    assert row["adopter"] == {"slug": "aisg", "name": "AI Singapore", "kind": "public_programme",
                              "country": {"iso2": "SG", "name": "Singapore"}, "city": ""}
    assert row["family"] == {"slug": "qwen", "name": "Qwen", "origin_country": {"iso2": "CN", "name": "China"}}
    assert row["checkpoint"]["repo_id"] == "Qwen/Qwen3-32B"
    assert row["started_on"] == "2025-11" and row["started_precision"] == "month"
    assert row["evidence"][0]["link_status"] == "unchecked"


def test_detail_has_evidence_with_link_health_and_hides_unpublished(anon, as_contributor, world):
    record = world["uliza"]
    evidence = record.evidence.get()
    evidence.link_status, evidence.link_checked_at = "broken", datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC)
    evidence.save()
    body = anon.get(f"{URL}{record.pk}/").json()
    assert body["evidence"][0]["link_status"] == "broken"
    assert body["evidence"][0]["link_checked_at"].startswith("2026-01-02")
    assert body["started_on"] == "2024"
    assert anon.get(f"{URL}{world['draft'].pk}/").status_code == 404
    assert as_contributor.get(f"{URL}{world['draft'].pk}/").status_code == 404
    assert anon.get(f"{URL}99999999999999999999/").status_code == 404


@pytest.mark.parametrize("params, expected", [
    ({"country": "sg"}, ["sea_lion_gemma", "sea_lion_qwen"]),
    ({"region": "014"}, ["uliza", "undated"]),  # sub-region
    ({"region": "002"}, ["uliza", "undated"]),  # region
    ({"region": "142"}, ["sea_lion_gemma", "sea_lion_qwen"]),
    ({"region": "001"}, ["sea_lion_gemma", "sea_lion_qwen", "uliza", "undated"]),  # world
    ({"adopter": "jacaranda"}, ["uliza", "undated"]),
    ({"adopter_kind": "ngo"}, ["uliza", "undated"]),
    ({"family": "gemma"}, ["sea_lion_gemma", "uliza"]),
    ({"checkpoint": "Qwen/Qwen3-32B"}, ["sea_lion_qwen"]),
    ({"origin_country": "CN"}, ["sea_lion_qwen", "undated"]),
    ({"relation": "adapter"}, ["uliza"]),
    ({"stage": "pilot"}, ["sea_lion_qwen"]),
    ({"sector": "health"}, ["uliza"]),
    ({"language": "MS"}, ["sea_lion_gemma", "sea_lion_qwen"]),
    ({"since": "2025-08"}, ["sea_lion_gemma", "sea_lion_qwen"]),
    ({"until": "2024"}, ["uliza"]),  # the whole year 2024
    ({"since": "2025-08-26", "until": "2025-11-30"}, ["sea_lion_qwen"]),
    ({"q": "maternal"}, ["uliza"]),  # summary
    ({"q": "aisg"}, ["sea_lion_gemma", "sea_lion_qwen"]),  # adopter alias
    ({"q": "ulizallama"}, ["uliza"]),  # product
    ({"family": "gemma", "country": "KE"}, ["uliza"]),
])
def test_every_filter(anon, world, params, expected):
    assert sorted(ids(anon.get(URL, params))) == sorted(world[name].pk for name in expected)


def test_checkpoint_filter_accepts_an_id(anon, world):
    checkpoint = world["sea_lion_qwen"].checkpoint
    assert ids(anon.get(URL, {"checkpoint": checkpoint.pk})) == [world["sea_lion_qwen"].pk]


@pytest.mark.parametrize("param, value", [
    ("country", "ZZ"), ("region", "999"), ("adopter", "nobody"), ("adopter_kind", "pirate"), ("family", "nope"),
    ("checkpoint", "Nope/Nope"), ("origin_country", "XX"), ("relation", "telepathy"), ("stage", "done"),
    ("since", "2025-13"), ("until", "yesterday"), ("since", "0000"), ("ordering", "secret"),
])
def test_unknown_choice_or_bad_date_is_a_400_naming_the_parameter(anon, world, param, value):
    response = anon.get(URL, {param: value})
    assert response.status_code == 400
    assert param in response.json()


def test_ordering(anon, world):
    newest_first = ids(anon.get(URL, {"ordering": "-started_on"}))
    assert newest_first == [world[name].pk for name in ("sea_lion_qwen", "sea_lion_gemma", "uliza", "undated")]
    oldest_first = ids(anon.get(URL, {"ordering": "started_on"}))
    assert oldest_first[-1] == world["undated"].pk  # undated last both ways
    by_adopter = anon.get(URL, {"ordering": "adopter,-published_at"}).json()["results"]
    assert [row["adopter"]["slug"] for row in by_adopter] == ["aisg", "aisg", "jacaranda", "jacaranda"]
    assert by_adopter[0]["id"] == world["sea_lion_qwen"].pk


def test_pagination_with_page_size_up_to_1000(anon):
    AdoptionFactory.create_batch(3, published=True)
    first = anon.get(URL, {"page_size": 2}).json()
    assert len(first["results"]) == 2 and first["count"] == 3 and "page=2" in first["next"]
    second = anon.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None
    assert anon.get(URL, {"page": 3, "page_size": 2}).status_code == 404
    capped = anon.get(URL, {"page_size": 5000})
    assert capped.status_code == 200 and len(capped.json()["results"]) == 3


def test_list_query_count_does_not_grow_with_the_page(anon, world, django_assert_num_queries):
    # count, page, evidence, partners
    with django_assert_num_queries(4):
        anon.get(URL)
    checkpoint = CheckpointFactory()
    for record in AdoptionFactory.create_batch(6, family=checkpoint.family, checkpoint=checkpoint, published=True):
        EvidenceFactory.create_batch(2, adoption=record)
        record.partners.add(OrganizationFactory())
    with django_assert_num_queries(4):
        assert anon.get(URL).json()["count"] == 10


def test_history_of_a_retracted_record_stays_public(anon, as_contributor, as_curator, contributor, world):
    record = world["uliza"]
    response = as_curator.post(f"{URL}{record.pk}/retract/", {"comment": "Source withdrawn"})
    assert response.status_code == 200 and response.json()["status"] == "retracted"
    assert record.pk not in ids(anon.get(URL))
    history = anon.get(f"{URL}{record.pk}/history/").json()
    assert history["status"] == "retracted"
    assert history["events"][-1] == {**history["events"][-1], "action": "retract", "from_status": "published",
                                     "to_status": "retracted", "actor": "cura", "comment": "Source withdrawn"}
    assert history["versions"][0]["status"] == "retracted"
    # a draft never published has no public history
    assert anon.get(f"{URL}{world['draft'].pk}/history/").status_code == 404


def test_retract_needs_a_curator_and_a_published_record(anon, as_contributor, as_curator, world):
    record = world["uliza"]
    assert anon.post(f"{URL}{record.pk}/retract/", {"comment": "x"}).status_code == 401
    assert as_contributor.post(f"{URL}{record.pk}/retract/", {"comment": "x"}).status_code == 403
    missing_reason = as_curator.post(f"{URL}{record.pk}/retract/", {})
    assert missing_reason.status_code == 400 and "comment" in missing_reason.json()
    assert as_curator.post(f"{URL}{record.pk}/retract/", {"comment": "x"}).status_code == 200
    again = as_curator.post(f"{URL}{record.pk}/retract/", {"comment": "x"})
    assert again.status_code == 409 and again.json()["status"] == "retracted"
