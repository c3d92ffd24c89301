"""The reference import publishes through the moderation service, as an approval does: the same history,
map upkeep, data version and log entry; still idempotent, and never an action a user can take."""

import csv

import pytest
from django.test import Client

from adoption.choices import Action, Status
from adoption.models import Adoption, ModerationEvent, Organization, PublicationSpan
from adoption.services import catalogue, moderation, records, reference, workflow
from adoption.services.data_version import data_version
from adoption.services.errors import TransitionNotAllowed
from tests.factories import CountryFactory

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

FAMILIES = {
    "family_key": "Qwen", "family": "Qwen", "developer_org": "Alibaba Cloud (Qwen team)", "developer_country": "CN",
    "first_open_weight_release": "2023-08", "typical_license": "Apache-2.0", "hub_prefixes": "Qwen/", "notes": "",
    "source_urls": "",
}
ADOPTION = {
    "record_id": "ADP-900", "adopter": "Kigali Speech Co-op", "partners": "", "adopter_name": "KSC",
    "adopter_kind": "ngo", "adopter_country": "SG", "adopter_city": "", "derived_model": "Kinyarwanda ASR",
    "base_model_family": "Qwen3", "base_family_key": "Qwen", "base_checkpoint": "Qwen/Qwen3-8B",
    "base_developer": "Alibaba Cloud", "base_developer_country": "CN", "relationship_kind": "fine_tune",
    "date": "2025-03", "date_basis": "", "source_urls": "https://example.org/ksc | https://huggingface.co/ksc/asr",
    "confidence": "verified_model_card", "notes": "",
}


def _write(path, row):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)


@pytest.fixture
def singapore(db):
    return CountryFactory()


@pytest.fixture
def data(tmp_path, singapore):
    CountryFactory(iso2="CN", iso3="CHN", numeric="156", name="China")
    _write(tmp_path / "base_models.csv", FAMILIES)
    _write(tmp_path / "adoptions.csv", ADOPTION)
    return tmp_path


def _load(path) -> reference.ImportReport:
    report = reference.ImportReport()
    reference.load_families(path / "base_models.csv", report)
    reference.load_adoptions(path / "adoptions.csv", report)
    return report


def _shape(adoption: Adoption) -> dict:
    """What publishing leaves behind, whoever published."""
    adoption.refresh_from_db()
    history = list(adoption.history.order_by("history_date", "history_id").values_list("status", flat=True))
    return {
        "status": adoption.status, "published": adoption.published_at is not None,
        "history": (history[0], history[-1]), "version": adoption.version > 1,
        "published events": adoption.events.filter(to_status=Status.PUBLISHED).count(),
        "adopter published": adoption.adopter.is_published,
        "open spans": PublicationSpan.objects.filter(adoption_id=adoption.pk, published_until__isnull=True).count(),
    }


def _on_the_map() -> int:
    return Client().get("/api/v1/maps/adoption/").json()["total"]


def test_an_imported_record_is_published_the_way_an_approval_publishes_it(
    data, contributor, curator, django_capture_on_commit_callbacks
):
    before = data_version()[0]
    with django_capture_on_commit_callbacks(execute=True):
        _load(data)
    imported = Adoption.objects.get(reference_id="ADP-900")
    assert data_version()[0] != before  # the maps' ETag moved
    assert _on_the_map() == 1

    approved = records.adoption_create(
        user=contributor, data={"adopter": imported.adopter, "family": imported.family, "relation": "fine_tune"},
        evidence=[{"url": "https://example.org/approved", "kind": "model_card"}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        for service in (moderation.adoption_submit, moderation.adoption_claim, moderation.adoption_approve):
            approved = service(adoption=approved, user=curator if service is not moderation.adoption_submit
                               else contributor)
    assert _on_the_map() == 2
    assert _shape(imported) == _shape(approved)
    assert _shape(imported)["history"] == (Status.DRAFT, Status.PUBLISHED)
    assert _shape(imported)["open spans"] == 1

    event = imported.events.get()
    assert (event.action, event.actor, event.actor_username) == (Action.IMPORT, None, reference.IMPORT_ACTOR)
    assert (event.from_status, event.to_status) == (Status.DRAFT, Status.PUBLISHED)
    assert event.comment == "Imported from reference record ADP-900."
    assert imported.evidence.count() == 2 and imported.reviewer is None


def test_a_second_run_publishes_nothing_again(data):
    _load(data)
    counts = (Adoption.history.count(), ModerationEvent.objects.count(), PublicationSpan.objects.count(),
              Organization.objects.count())
    token = data_version()[0]
    report = _load(data)
    assert not report.changed
    assert (Adoption.history.count(), ModerationEvent.objects.count(), PublicationSpan.objects.count(),
            Organization.objects.count()) == counts
    assert data_version()[0] == token


def test_the_import_finds_an_organization_by_its_name_key(data, singapore):
    existing = catalogue.organization_create(name="Kigali speech coop", country=singapore)
    _load(data)
    adoption = Adoption.objects.select_related("adopter").get(reference_id="ADP-900")
    assert adoption.adopter == existing
    assert "KSC" in adoption.adopter.aliases


def test_only_an_imported_draft_is_published_by_import_and_no_user_may(contributor, curator, superuser, singapore):
    adopter = catalogue.organization_create(name="Lab", country=singapore)
    family = catalogue.family_create(slug="qwen", name="Qwen", developer=adopter, origin_country=singapore)
    draft = records.adoption_create(user=contributor, data={"adopter": adopter, "family": family,
                                                            "relation": "fine_tune"}, evidence=[])
    with pytest.raises(TransitionNotAllowed):  # a contributor's draft has no reference id
        moderation.adoption_publish_import(adoption=draft, system=reference.IMPORT_ACTOR)
    for user in (contributor, curator, superuser):
        assert Action.IMPORT not in workflow.allowed_actions(draft, user)
    Adoption.objects.filter(pk=draft.pk).update(reference_id="ADP-901")
    published = moderation.adoption_publish_import(adoption=draft, system=reference.IMPORT_ACTOR)
    assert published.status == Status.PUBLISHED
    with pytest.raises(TransitionNotAllowed):  # once
        moderation.adoption_publish_import(adoption=draft, system=reference.IMPORT_ACTOR)


def test_an_imported_record_publishes_the_proposed_organization_it_names(data, contributor, singapore):
    """As an approval does: the organization becomes public with its first published record."""
    proposal = catalogue.organization_create(name="Kigali Speech Co-op", country=singapore, is_published=False,
                                             user=contributor)
    _load(data)
    proposal.refresh_from_db()
    assert Adoption.objects.get(reference_id="ADP-900").adopter == proposal
    assert proposal.is_published
