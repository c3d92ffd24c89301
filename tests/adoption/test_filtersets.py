"""The shared FilterSets on both databases: list filters match whole elements, odd digits are not ids."""

import pytest

from adoption.filtersets import AdoptionFilterSet, CheckpointFilterSet
from adoption.models import Adoption, Checkpoint
from tests.factories import AdoptionFactory, CheckpointFactory

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]


def filtered(params: dict) -> set[str]:
    filterset = AdoptionFilterSet(params, queryset=Adoption.objects.all())
    assert filterset.is_valid(), filterset.errors
    return set(filterset.qs.values_list("product_name", flat=True))


@pytest.fixture
def records():
    AdoptionFactory(product_name="clinic", sectors=["health"], languages=["sw", "en"])
    AdoptionFactory(product_name="public", sectors=["public_health", "education"], languages=["eng"])
    AdoptionFactory(product_name="spaced", sectors=["health care"], languages=["EN-gb"])
    AdoptionFactory(product_name="none", sectors=[], languages=[])


def test_sector_and_language_match_whole_elements(records):
    assert filtered({"sector": "health"}) == {"clinic"}
    assert filtered({"sector": "health care"}) == {"spaced"}
    assert filtered({"sector": "education"}) == {"public"}
    assert filtered({"sector": "heal"}) == set()
    assert filtered({"language": "EN"}) == {"clinic"}  # codes are lower case, whatever the query's case
    assert filtered({"language": "en", "sector": "health"}) == {"clinic"}
    assert filtered({"language": '"en"'}) == set()
    assert filtered({"sector": "%"}) == filtered({"sector": "_"}) == set()


def test_a_filtered_list_still_works_inside_another_query(records):
    """The element test follows the table's alias when the list becomes a subquery."""
    inner = AdoptionFilterSet({"sector": "health"}, queryset=Adoption.objects.all()).qs
    assert set(Adoption.objects.filter(pk__in=inner.values("pk")).values_list("product_name", flat=True)) == {"clinic"}


@pytest.mark.parametrize("value", ["³", "²³", "١", "１", "Ⅻ", "9" * 30])
def test_odd_digits_are_not_checkpoint_ids(value):
    checkpoint = CheckpointFactory(repo_id="org/model")
    CheckpointFactory(repo_id="org/derived", derived_from=checkpoint)
    filterset = CheckpointFilterSet({"derived_from": value}, queryset=Checkpoint.objects.all())
    assert not filterset.is_valid()
    assert "derived_from" in filterset.errors


def test_a_checkpoint_filter_takes_an_id_or_a_repo_id():
    base = CheckpointFactory(repo_id="org/model")
    CheckpointFactory(repo_id="org/derived", derived_from=base)
    for value in (str(base.pk), "org/model"):
        filterset = CheckpointFilterSet({"derived_from": value}, queryset=Checkpoint.objects.all())
        assert [c.repo_id for c in filterset.qs] == ["org/derived"]
