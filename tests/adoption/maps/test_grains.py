"""The grains the code names are the grains the tables index, and their numbers are the stored ones."""

from adoption.maps.grains import GRAINS, PRESENCE_GRAINS, Grain, PresenceGrain
from adoption.models.summary import SUMMARY_INDEXES


def test_every_grain_has_its_index_and_keeps_its_stored_number():
    assert set(SUMMARY_INDEXES) == set(GRAINS) == set(Grain)
    # Stored in MapSummary.grain and AdopterPresence.grain: renumbering would misread every row.
    assert {grain.name: int(grain) for grain in Grain} == {
        "FAMILY": 1, "RELATION": 2, "STAGE": 3, "ADOPTER_KIND": 4, "CITY": 5, "MONTH": 6, "SECTOR": 7,
        "LANGUAGE": 8, "YEAR": 10}
    assert {grain.name: int(grain) for grain in PresenceGrain} == {
        "FAMILY": 1, "ORIGIN_COUNTRY": 2, "RELATION": 3, "STAGE": 4, "NONE": 5}
    assert set(PRESENCE_GRAINS) == set(PresenceGrain)
