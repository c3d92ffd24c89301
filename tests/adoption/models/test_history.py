"""Every model a curator edits keeps its history."""

import pytest

from adoption.services import catalogue
from tests.factories import AdoptionFactory, CheckpointFactory, EvidenceFactory, ModelFamilyFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_catalogue_edits_leave_history_with_the_editor():
    editor = UserFactory(username="editor")
    org = catalogue.organization_create(name="Sunbird AI", kind="ngo")
    catalogue.organization_update(organization=org, user=editor, data={"city": "Kampala"})
    org.refresh_from_db()
    assert org.version == 2
    records = list(org.history.order_by("history_date"))
    assert [r.history_type for r in records] == ["+", "~"]
    assert records[-1].city == "Kampala" and records[-1].history_user == editor
    assert records[0].city == ""


def test_families_checkpoints_adoptions_and_evidence_have_history():
    family = ModelFamilyFactory(slug="qwen")
    family.name = "Qwen (Alibaba)"
    family.save()
    assert family.history.count() == 2
    checkpoint = CheckpointFactory(family=family)
    assert checkpoint.history.count() == 1
    adoption = AdoptionFactory(family=family)
    adoption.summary = "Corrected"
    adoption.save()
    assert [h.summary for h in adoption.history.order_by("history_date")] == ["", "Corrected"]
    evidence = EvidenceFactory(adoption=adoption)
    assert evidence.history.count() == 1


def test_stale_catalogue_edit_is_refused_naming_who_changed_it():
    from adoption.services.errors import StaleVersion

    alice = UserFactory(username="alice")
    org = catalogue.organization_create(name="ELYZA")
    catalogue.organization_update(organization=org, user=alice, data={"city": "Tokyo"}, expected_version=1)
    with pytest.raises(StaleVersion, match="changed by alice"):
        catalogue.organization_update(organization=org, user=None, data={"city": "Osaka"}, expected_version=1)
    org.refresh_from_db()
    assert org.city == "Tokyo"
