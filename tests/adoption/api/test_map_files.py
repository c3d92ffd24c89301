"""Map files that tools read directly: flat GeoJSON properties, intermediate regions, M49 codes kept as
text in CSV, and the time series CSV saying how many records have no start date."""

import csv
import datetime
import io

import pytest
from rest_framework.test import APIClient

from adoption.maps.params import GROUP_BYS
from tests.adoption.maps.registry import make_geography, publish
from tests.factories import ModelFamilyFactory, OrganizationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]
MAP = "/api/v1/maps/adoption/"
SERIES = "/api/v1/maps/timeseries/"


@pytest.fixture
def registry():
    """Kenya (Eastern Africa, an intermediate region): 1 Qwen; Singapore (no intermediate region): 2 Llama
    and 1 Qwen, one of them undated."""
    countries = make_geography()
    llama = ModelFamilyFactory(slug="llama", origin_country=countries["US"])
    qwen = ModelFamilyFactory(slug="qwen", origin_country=countries["CN"])
    sg = OrganizationFactory(country=countries["SG"], city="Singapore")
    ke = OrganizationFactory(country=countries["KE"], city="Nairobi")
    publish(adopter=sg, family=llama, started_on=datetime.date(2024, 5, 1))
    publish(adopter=sg, family=llama, started_on=None, started_precision="")
    publish(adopter=sg, family=qwen, started_on=datetime.date(2025, 2, 1))
    publish(adopter=ke, family=qwen, started_on=datetime.date(2025, 7, 1))
    return countries


def test_geojson_properties_are_flat_beside_the_nested_figures(registry):
    features = APIClient().get(MAP, {"format": "geojson"}).json()["features"]
    singapore = next(f for f in features if f["id"] == "SG")["properties"]
    assert singapore["total"] == 3
    assert (singapore["count_US"], singapore["count_CN"]) == (2, 1)
    assert singapore["share_US"] == pytest.approx(0.6667) and singapore["share_CN"] == pytest.approx(0.3333)
    assert singapore["counts"] == {"US": 2, "CN": 1}  # the nested figures stay, as in the JSON
    assert all(not isinstance(v, dict) for k, v in singapore.items() if k.startswith(("count_", "share_")))


def test_group_by_intermediate_region_falls_back_to_the_sub_region(registry):
    assert "intermediate_region" in GROUP_BYS
    body = APIClient().get(MAP, {"group_by": "intermediate_region", "split": "none"}).json()
    groups = {g["key"]: (g["name"], g["total"]) for g in body["groups"]}
    # Kenya is in Eastern Africa (014); Singapore has no intermediate region: its sub-region (035).
    assert groups == {"014": ("Eastern Africa", 1), "035": ("South-eastern Asia", 3)}
    points = APIClient().get(MAP, {"group_by": "intermediate_region", "format": "geojson"}).json()["features"]
    east_africa = next(f for f in points if f["id"] == "014")
    lon, lat = east_africa["geometry"]["coordinates"]
    assert 20 < lon < 55 and -30 < lat < 20


def test_the_map_page_draws_intermediate_regions(registry, client):
    response = client.get("/map/", {"group_by": "intermediate_region"})
    assert response.status_code == 200
    assert "4 adoptions in 2 intermediate regions" in response.content.decode()


@pytest.mark.parametrize("group_by", ["subregion", "region", "intermediate_region"])
def test_m49_codes_stay_text_in_csv(registry, group_by):
    text = APIClient().get(MAP, {"group_by": group_by, "format": "csv"}).content.decode()
    header, *lines = text.splitlines()
    assert header == "group_key,group_name,split_key,count,share"
    assert all(line.startswith('"') for line in lines)  # "035", not 35 in a spreadsheet
    rows = list(csv.reader(io.StringIO("\n".join(lines)), quoting=csv.QUOTE_NONNUMERIC))
    assert all(isinstance(row[0], str) and len(row[0]) == 3 for row in rows)
    assert all(isinstance(row[3], float) for row in rows)  # the counts are numbers, unquoted


def test_the_timeseries_csv_states_the_undated_records(registry):
    body = APIClient().get(SERIES, {"interval": "year"}).json()
    assert body["undated"] == 1
    lines = APIClient().get(SERIES, {"interval": "year", "format": "csv"}).content.decode().splitlines()
    assert lines[0] == "period,split_key,count,cumulative"
    assert lines[-1] == "undated,,1,"
    assert sum(int(line.split(",")[2]) for line in lines[1:-1]) == 3  # the dated records, then the undated one


def test_no_undated_row_when_every_record_is_dated(registry):
    lines = APIClient().get(SERIES, {"interval": "year", "format": "csv", "family": "qwen"}).content.decode()
    assert "undated" not in lines
