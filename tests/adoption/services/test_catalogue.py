"""Catalogue edits keep the maps right: an adopter that moves takes its published records along."""

import pytest

from adoption.maps import repair
from adoption.maps.answers import adoption_map
from adoption.maps.params import MapParams
from adoption.services import catalogue
from tests.factories import AdoptionFactory, CountryFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def country_totals() -> dict[str, int]:
    answer = adoption_map(MapParams.from_query({"split": "none"}))
    return {group["key"]: group["total"] for group in answer["groups"]}


def test_moving_an_adopter_moves_its_records_on_the_map():
    malaysia = CountryFactory(iso2="MY", iso3="MYS", numeric="458", name="Malaysia")
    adopter = OrganizationFactory(name="Mesolitica")  # in Singapore by default
    AdoptionFactory(adopter=adopter, published=True)
    assert country_totals() == {"SG": 1}

    catalogue.organization_update(organization=adopter, user=UserFactory(), data={"country": malaysia})

    assert country_totals() == {"MY": 1}
    assert repair.check(repair=False)["drifted"] == 0


def test_editing_an_adopter_without_moving_it_leaves_the_map_alone():
    adopter = OrganizationFactory(name="ELYZA")
    AdoptionFactory(adopter=adopter, published=True)
    catalogue.organization_update(organization=adopter, user=None, data={"website": "https://elyza.ai/"})
    assert country_totals() == {"SG": 1}
