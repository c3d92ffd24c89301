"""The shared FilterSets (adoption/filtersets.py) on both databases: list filters match whole elements, odd
digits are not ids, partial dates name whole periods, several values are one comma-separated parameter, an
unknown parameter or value is an error naming the allowed ones, undated records sort last both ways. The same
grammar over every endpoint, through HTTP: test_filter_grammar.py."""

import datetime

import pytest

from adoption.filtersets import (
    AdoptionFilterSet,
    CheckpointFilterSet,
    CountryFilterSet,
    MapFilterSet,
    SubmissionFilterSet,
)
from adoption.models import Adoption, Checkpoint, Country
from tests.factories import AdoptionFactory, CheckpointFactory, CountryFactory, ModelFamilyFactory, OrganizationFactory

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


def errors(filterset_class, params: dict, queryset) -> dict:
    filterset = filterset_class(params, queryset=queryset)
    assert not filterset.is_valid()
    return {name: " ".join(messages) for name, messages in filterset.errors.items()}


@pytest.fixture
def dated():
    for name, started in (("dec31", datetime.date(2024, 12, 31)), ("jan1", datetime.date(2025, 1, 1)),
                          ("jun30", datetime.date(2025, 6, 30)), ("jul1", datetime.date(2025, 7, 1)),
                          ("undated", None)):
        AdoptionFactory(product_name=name, started_on=started, started_precision="day" if started else "")


def test_a_partial_date_names_its_whole_period(dated):
    assert filtered({"since": "2025"}) == {"jan1", "jun30", "jul1"}
    assert filtered({"until": "2025-06"}) == {"dec31", "jan1", "jun30"}  # to the last day of June
    assert filtered({"until": "2024"}) == {"dec31"}
    assert filtered({"since": "2025-06-30", "until": "2025-06-30"}) == {"jun30"}
    assert filtered({"since": "2025-01", "until": "2025"}) == {"jan1", "jun30", "jul1"}


@pytest.mark.parametrize(("params", "field"), [
    ({"since": "2025-13"}, "since"), ({"until": "yesterday"}, "until"), ({"since": "2025-02-30"}, "since"),
    ({"since": "2025-07", "until": "2025-06"}, "until"),  # a period that ends before it starts
])
def test_a_bad_date_is_an_error_under_its_parameter(dated, params, field):
    assert field in errors(AdoptionFilterSet, params, Adoption.objects.all())


@pytest.mark.parametrize("ordering", ["started_on", "-started_on"])
def test_undated_records_come_last_whichever_way(dated, ordering):
    filterset = AdoptionFilterSet({"ordering": ordering}, queryset=Adoption.objects.all())
    assert filterset.is_valid(), filterset.errors
    names = list(filterset.qs.values_list("product_name", flat=True))
    dated_names = ["dec31", "jan1", "jun30", "jul1"]
    assert names == [*(dated_names if ordering == "started_on" else dated_names[::-1]), "undated"]


def test_several_values_are_one_comma_separated_parameter_in_any_case():
    for slug in ("qwen", "llama", "gemma"):
        AdoptionFactory(product_name=slug, family=ModelFamilyFactory(slug=slug))
    assert filtered({"family": "QWEN, llama"}) == {"qwen", "llama"}
    assert filtered({"relation": "FINE_TUNE"}) == {"qwen", "llama", "gemma"}
    assert "nope" in errors(AdoptionFilterSet, {"family": "qwen,nope"}, Adoption.objects.all())["family"]
    assert "Choose from" in errors(AdoptionFilterSet, {"stage": "sideways"}, Adoption.objects.all())["stage"]


def test_an_unknown_parameter_is_an_error_naming_the_allowed_ones():
    found = errors(AdoptionFilterSet, {"famly": "qwen"}, Adoption.objects.all())
    assert "Unknown parameter" in found["famly"] and "family" in found["famly"]
    assert AdoptionFilterSet({"_": "1712345"}, queryset=Adoption.objects.all()).is_valid()  # a cache-buster
    assert "status" in errors(AdoptionFilterSet, {"status": "draft"}, Adoption.objects.all())  # the queue's only
    assert SubmissionFilterSet({"status": "draft"}, queryset=Adoption.objects.all()).is_valid()


def test_a_region_is_any_m49_level_with_leading_zeros_optional():
    kenya = CountryFactory(iso2="KE", iso3="KEN", numeric="404", name="Kenya")
    AdoptionFactory(product_name="sg", adopter=OrganizationFactory(country=CountryFactory()))
    AdoptionFactory(product_name="ke", adopter=OrganizationFactory(country=kenya))
    AdoptionFactory(product_name="nowhere", adopter=OrganizationFactory(country=None))
    assert filtered({"region": "35"}) == filtered({"region": "035"}) == filtered({"region": "142"}) == {"sg"}
    assert filtered({"region": "002"}) == {"ke"}  # Africa, the region above Kenya's subregion
    assert filtered({"region": "035,014"}) == {"sg", "ke"}
    assert filtered({"region": "001"}) == {"sg", "ke"}  # the world: every record with a country
    assert "M49" in errors(AdoptionFilterSet, {"region": "999"}, Adoption.objects.all())["region"]
    countries = CountryFilterSet({"region": "2"}, queryset=Country.objects.all())
    assert countries.is_valid() and list(countries.qs.values_list("iso2", flat=True)) == ["KE"]


def test_the_map_options_beside_the_filters():
    maps = MapFilterSet({"group_by": "country", "as_of": "2025-06-30", "family": ""}, queryset=Adoption.objects.all())
    assert maps.is_valid(), maps.errors
    assert maps.form.cleaned_data["as_of"] == datetime.datetime(2025, 6, 30, 23, 59, 59, 999999, tzinfo=datetime.UTC)
    assert maps.form.query() == {"group_by": "country", "as_of": "2025-06-30"}
    found = errors(MapFilterSet, {"group_by": "planet", "as_of": "2025-06-30T12:00+15:00", "page": "2"},
                   Adoption.objects.all())
    assert set(found) == {"group_by", "as_of", "page"}  # a map is not paginated
    assert "-14:00 and +14:00" in found["as_of"]


def test_open_weights_and_text_search_of_checkpoints():
    CheckpointFactory(repo_id="Qwen/Qwen3-32B", open_weights=True)
    CheckpointFactory(repo_id="vendor/closed-model", open_weights=False)
    for value, expected in (("true", ["Qwen/Qwen3-32B"]), ("false", ["vendor/closed-model"])):
        filterset = CheckpointFilterSet({"open_weights": value}, queryset=Checkpoint.objects.all())
        assert filterset.is_valid(), filterset.errors
        assert list(filterset.qs.values_list("repo_id", flat=True)) == expected
    search = CheckpointFilterSet({"q": "qwen3"}, queryset=Checkpoint.objects.all())
    assert search.is_valid() and list(search.qs.values_list("repo_id", flat=True)) == ["Qwen/Qwen3-32B"]
