"""The admin's history pages only show old versions: posting one never restores it (that would skip the services)."""

import pytest

from adoption.choices import Status
from adoption.models import Adoption, Organization
from adoption.services import moderation, records
from adoption.services.roles import role_grant
from tests.factories import CountryFactory, ModelFamilyFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_curator(db):
    user = UserFactory(username="ada")
    role_grant(user=user, role="curator")
    return user


def test_posting_an_old_version_does_not_restore_it(signed_in, contributor, curator, staff_curator):
    adoption = records.adoption_create(
        user=contributor, data={"adopter": OrganizationFactory(country=CountryFactory()),
                                "family": ModelFamilyFactory(), "relation": "fine_tune", "summary": "Draft text"},
        evidence=[{"url": "https://example.org/a", "kind": "press"}], submit=True,
    )
    moderation.adoption_claim(adoption=adoption, user=curator)
    moderation.adoption_approve(adoption=adoption, user=curator)
    draft_version = adoption.history.filter(status=Status.DRAFT).earliest("history_date")
    url = f"/admin/adoption/adoption/{adoption.pk}/history/{draft_version.history_id}/"
    client = signed_in(staff_curator)
    assert client.get(url).status_code == 200  # the old version stays viewable
    response = client.post(url, {})
    assert Adoption.objects.get(pk=adoption.pk).status == Status.PUBLISHED
    assert response.status_code == 403


def test_posting_an_old_organization_version_changes_nothing(signed_in, staff_curator):
    from adoption.services import catalogue

    org = catalogue.organization_create(user=staff_curator, name="Old Name")
    old = org.history.earliest("history_date")
    catalogue.organization_update(organization=org, user=staff_curator, data={"name": "New Name"})
    client = signed_in(staff_curator)
    response = client.post(f"/admin/adoption/organization/{org.pk}/history/{old.history_id}/", {"name": "Old Name"})
    assert Organization.objects.get(pk=org.pk).name == "New Name"
    assert response.status_code == 403
