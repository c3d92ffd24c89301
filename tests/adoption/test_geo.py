"""Country shapes and centroids converted from the Natural Earth TopoJSON."""

import json

from adoption import geo
from tests.adoption.api.test_maps import assert_valid_geometry


def test_small_states_have_shapes_and_label_points_inside_them():
    features = geo.country_features()
    for iso2 in ("SG", "MC", "VA", "MT", "BH", "LU"):
        assert iso2 in features, iso2
    lon, lat = geo.country_centroid("SG")
    assert 103.6 < lon < 104.1 and 1.1 < lat < 1.5
    lon, lat = geo.country_centroid("US")  # the largest polygon: the contiguous states, not Alaska's pull
    assert -105 < lon < -90 and 35 < lat < 45
    assert geo.country_centroid("ZZ") is None


def test_every_shape_is_valid_rfc7946_and_none_crosses_the_antimeridian_but_antarctica():
    for iso2, geometry in geo.country_features().items():
        if iso2 == "AQ":
            continue
        assert_valid_geometry(geometry)
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        for polygon in polygons:
            for ring in polygon:
                assert all(abs(a[0] - b[0]) <= 180 for a, b in zip(ring, ring[1:], strict=False)), iso2
    fiji_lon, _ = geo.country_centroid("FJ")
    assert 176 < fiji_lon < 180


def test_region_centroids_and_members():
    assert "SG" in geo.region_members("035") and "SG" in geo.region_members("142")
    lon, lat = geo.region_centroid("155")  # Western Europe
    assert 0 < lon < 15 and 43 < lat < 53
    assert geo.m49_region_names()["035"] == "South-eastern Asia"


def test_city_points_come_from_geonames_else_the_country():
    lon, lat = geo.city_point("KE", "Nairobi")
    assert abs(lon - 36.82) < 0.1 and abs(lat + 1.28) < 0.1
    assert geo.city_point("KE", "Nowhere-upon-Nothing") == geo.country_centroid("KE")


def test_committed_geojson_is_what_build_geo_makes():
    built, skipped = geo.build_countries_geojson()
    committed = json.loads(geo.GEOJSON_PATH.read_text(encoding="utf-8"))
    assert built == committed
    assert all("Kosovo" not in entry or entry.startswith("-") for entry in skipped)


def test_a_territory_sharing_a_code_does_not_replace_its_country():
    # Ashmore and Cartier Is. carry Australia's numeric code; Australia must still be drawn whole.
    australia = geo.country_features()["AU"]
    lon, lat = geo.country_centroid("AU")
    assert 120 < lon < 150 and -35 < lat < -15
    assert australia["type"] == "MultiPolygon"
