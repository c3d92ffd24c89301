"""load_reference_data: complete, faithful to the sources, idempotent, and loud about what it could not map."""

from io import StringIO

import pytest
from django.core.management import call_command

from adoption.choices import ImportFlag, OrganizationKind, Relation, Status
from adoption.models import Adoption, Checkpoint, Country, Evidence, ModelFamily, ModerationEvent, Organization, Region


@pytest.fixture(scope="module")
def loaded(reference_data):
    """The reference data and the load's output (tests/conftest.py)."""
    return reference_data


pytestmark = pytest.mark.django_db


def test_geography_is_complete(loaded):
    assert Country.objects.count() == 249
    singapore = Country.objects.select_related("subregion", "region").get(iso2="SG")
    assert (singapore.subregion.code, singapore.subregion.name) == ("035", "South-eastern Asia")
    assert (singapore.region.code, singapore.region.name) == ("142", "Asia")
    assert singapore.subregion.parent_id == "142"
    assert singapore.name == "Singapore" and singapore.numeric == "702"
    assert Country.objects.get(iso2="JM").intermediate_region.name == "Caribbean"
    assert Region.objects.get(code="001").level == "world"


def test_every_reference_row_is_a_published_record(loaded):
    assert Adoption.objects.count() == 58
    assert Adoption.objects.filter(status=Status.PUBLISHED).count() == 58
    assert Adoption.objects.values("adopter").distinct().count() == 34
    assert ModelFamily.objects.count() == 7
    # Every record cites at least one source and has its import in the moderation log.
    assert not Adoption.objects.filter(evidence__isnull=True).exists()
    assert ModerationEvent.objects.filter(action="import").count() == 58


def test_adp_002_links_ai_singapore_to_qwen3_32b(loaded):
    record = Adoption.objects.select_related("adopter", "family", "checkpoint").get(reference_id="ADP-002")
    assert record.adopter.name == "AI Singapore"
    assert record.family.slug == "qwen"
    assert record.checkpoint.repo_id == "Qwen/Qwen3-32B"
    assert record.checkpoint.family == record.family
    assert record.relation == Relation.CONTINUED_PRETRAINING
    assert record.started_display == "2025-11-24"
    assert record.evidence.count() == 4
    assert record.confidence == "high"
    org = record.adopter
    assert org.kind == OrganizationKind.PUBLIC_PROGRAMME
    assert org.country_id == "SG" and org.city == "Singapore"
    assert org.latitude == pytest.approx(1.29, abs=0.05)
    assert "AI Singapore (AISG) - Products Pillar" in org.aliases
    assert org.adoptions.count() == 7


def test_multi_model_deployment_becomes_one_record_per_catalogued_family(loaded):
    records = Adoption.objects.filter(reference_id__startswith="ADP-046")
    assert sorted(r.family.slug for r in records) == ["deepseek", "gemma", "llama", "mistral", "qwen"]
    assert all(r.relation == Relation.DEPLOYMENT for r in records)
    assert all(ImportFlag.MULTI_MODEL in r.import_flags for r in records)
    urls = {tuple(r.evidence.values_list("url", flat=True)) for r in records}
    assert len(urls) == 1  # all cite the same source
    assert "ADP-046 names families the catalogue lacks" in loaded
    assert "gpt-oss, GAIA" in loaded


def test_rows_it_cannot_fully_map_import_with_flags(loaded):
    vistral = Adoption.objects.select_related("adopter").get(reference_id="ADP-017")
    assert vistral.adopter.country is None and vistral.adopter.kind == ""
    assert {ImportFlag.NO_COUNTRY, ImportFlag.NO_KIND, ImportFlag.DESCRIBED_CHECKPOINT} <= set(vistral.import_flags)
    assert vistral.checkpoint is None and vistral.checkpoint_note == "Mistral 7B"
    assert "ADP-017: described_checkpoint, no_country, no_date, no_kind" in loaded
    krutrim = Adoption.objects.get(reference_id="ADP-021")
    assert ImportFlag.UNVERIFIED in krutrim.import_flags


def test_partners_developers_and_shared_organizations(loaded):
    sahabat = Adoption.objects.get(reference_id="ADP-008")
    assert sorted(sahabat.partners.values_list("name", flat=True)) == ["AI Singapore", "Indosat Ooredoo Hutchison"]
    # The adopter DeepSeek and the developer of the DeepSeek family are one organization.
    deepseek = Organization.objects.get(name="DeepSeek")
    assert ModelFamily.objects.get(slug="deepseek").developer == deepseek
    assert deepseek.adoptions.count() == 2
    assert ModelFamily.objects.get(slug="qwen").origin_country_id == "CN"
    assert ModelFamily.objects.get(slug="llama").developer.name == "Meta Platforms"


def test_ambiguous_city_gets_no_coordinates(loaded):
    princeton = Organization.objects.get(name="Princeton University")
    assert princeton.city == "Princeton" and princeton.latitude is None


def test_second_run_changes_nothing_and_says_so(loaded):
    counts = {m.__name__: m.objects.count() for m in (Region, Country, Organization, ModelFamily, Checkpoint,
                                                      Adoption, Evidence, ModerationEvent)}
    history = Adoption.history.count()
    out = StringIO()
    call_command("load_reference_data", stdout=out)
    assert "no changes" in out.getvalue()
    assert "created    0" in out.getvalue()
    assert {m.__name__: m.objects.count() for m in (Region, Country, Organization, ModelFamily, Checkpoint,
                                                    Adoption, Evidence, ModerationEvent)} == counts
    assert Adoption.history.count() == history
