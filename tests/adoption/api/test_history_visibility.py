"""The public history of a published record: published versions only, no private comments."""

import pytest

from adoption.services import change_requests, moderation, records
from tests.factories import CountryFactory, ModelFamilyFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(contributor, curator, other_contributor):
    adopter = OrganizationFactory(name="AI Singapore", slug="aisg", country=CountryFactory())
    family = ModelFamilyFactory(slug="qwen", name="Qwen")
    adoption = records.adoption_create(
        user=contributor, data={"adopter": adopter, "family": family, "relation": "fine_tune",
                                "summary": "SECRET draft wording"},
        evidence=[{"url": "https://example.org/a", "kind": "press"}],
    )
    adoption = records.adoption_update(adoption=adoption, user=contributor, data={"summary": "Public wording"})
    moderation.adoption_submit(adoption=adoption, user=contributor)
    moderation.adoption_request_changes(adoption=adoption, user=curator, comment="PRIVATE note to the contributor")
    moderation.adoption_submit(adoption=adoption, user=contributor)
    moderation.adoption_claim(adoption=adoption, user=curator)
    adoption = moderation.adoption_approve(adoption=adoption, user=curator)
    change_requests.change_request_create(adoption=adoption, user=other_contributor, proposed={"stage": "production"},
                                     comment="PENDING proposal reason")
    moderation.adoption_retract(adoption=adoption, user=curator, comment="Source withdrawn")
    return adoption


def test_public_history_hides_drafts_and_private_comments(anon, record):
    response = anon.get(f"/api/v1/adoptions/{record.pk}/history/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "SECRET" not in body and "PRIVATE" not in body and "PENDING" not in body
    data = response.json()
    assert {v["status"] for v in data["versions"]} == {"published", "retracted"}
    assert any(e["comment"] == "Source withdrawn" for e in data["events"])  # the retraction's reason is public


def test_owner_and_curators_see_the_full_history(as_contributor, as_curator, record):
    for client in (as_contributor, as_curator):
        body = client.get(f"/api/v1/adoptions/{record.pk}/history/").content.decode()
        assert "SECRET" in body and "PRIVATE" in body


def test_public_history_names_nobody_from_the_draft_stage(anon, as_curator, record):
    data = anon.get(f"/api/v1/adoptions/{record.pk}/history/").json()
    assert [event["action"] for event in data["events"]] == ["approve", "retract"]
    assert {event["actor"] for event in data["events"]} | {v["changed_by"] for v in data["versions"]} == {"cura"}
    assert "carla" not in str(data) and "omar" not in str(data)  # the contributor and a pending proposer
    full = as_curator.get(f"/api/v1/adoptions/{record.pk}/history/").json()
    assert [event["action"] for event in full["events"]][:3] == ["create", "edit", "submit"]
