"""What the map tables keep: the summary's grains, the adopter presence grains, and the columns of each.

A grain is a set of dimensions the summary counts published records by; readers pick the smallest
grain holding what they need. A presence grain counts adopters under one kind of split value.
"""

import enum


class Grain(enum.IntEnum):
    """The summary's grains (stored in `MapSummary.grain`: the numbers must not change)."""

    FAMILY = 1
    RELATION = 2
    STAGE = 3
    ADOPTER_KIND = 4
    CITY = 5
    MONTH = 6
    SECTOR = 7
    LANGUAGE = 8
    # Whole years in the `month` column as yyyy00: a date range reads its whole years here and only its
    # ragged months from MONTH (since=2023 reads 3 cells per country and family instead of 36).
    YEAR = 10


# Grain -> the dimensions it keeps. "sector" and "language" share the `tag` column and explode a record
# into one cell per distinct value. No grain holds two of relation, stage and kind: those maps read the
# publication spans, and each grain more costs every fold another cell per record.
GRAINS: dict[Grain, tuple[str, ...]] = {
    Grain.FAMILY: ("country", "family"),
    Grain.RELATION: ("country", "family", "relation"),
    Grain.STAGE: ("country", "family", "stage"),
    Grain.ADOPTER_KIND: ("country", "family", "adopter_kind"),
    Grain.CITY: ("country", "city", "family"),
    Grain.MONTH: ("country", "family", "month"),
    Grain.SECTOR: ("country", "family", "sector"),
    Grain.LANGUAGE: ("country", "family", "language"),
    Grain.YEAR: ("country", "family", "year"),
}
CELL_COLUMNS = ("grain", "country", "city", "adopter_kind", "family_id", "relation", "stage", "month", "tag")


class PresenceGrain(enum.IntEnum):
    """The adopter presence grains (stored in `AdopterPresence.grain`), named for the split they count
    adopters in: by family (family_id), by the family's origin, relation or stage (in `value`), or none
    (also the split by adopter kind, which is the adopter's own)."""

    FAMILY = 1
    ORIGIN_COUNTRY = 2
    RELATION = 3
    STAGE = 4
    NONE = 5


# Presence grain -> the split it serves. Readers count rows: one row with n > 0 is one adopter.
PRESENCE_GRAINS: dict[PresenceGrain, str] = {
    PresenceGrain.FAMILY: "family", PresenceGrain.ORIGIN_COUNTRY: "origin_country",
    PresenceGrain.RELATION: "relation", PresenceGrain.STAGE: "stage", PresenceGrain.NONE: "none",
}
PRESENCE_KEY = ("grain", "adopter_id", "family_id", "value")
PRESENCE_COLUMNS = (*PRESENCE_KEY, "country", "city", "adopter_kind")
# What the maps read of a published record (a span's and a delta's values, after their own columns).
SPAN_VALUES = ("adopter_id", "country", "city", "adopter_kind", "family_id", "relation", "stage", "started_on",
               "sectors", "languages")
TAG_MAX = 100  # longest sector or language a cell keeps (and a filter value may be)
UNKNOWN = "unknown"  # the group or split key of a record without that value (no country, no origin)
NO_SPLIT = "all"  # the one split key when split=none
