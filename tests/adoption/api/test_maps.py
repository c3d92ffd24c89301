"""The map endpoints over HTTP: the JSON contract, GeoJSON, CSV, ETag/304, errors and the schema."""

import csv
import io

import pytest
from django.core.cache import cache
from django.urls import include, path
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from adoption.choices import Status
from adoption.maps import fold
from adoption.services import moderation
from tests.adoption.maps.registry import make_geography
from tests.factories import AdoptionFactory, EvidenceFactory, ModelFamilyFactory, OrganizationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]
MAP = "/api/v1/maps/adoption/"
SERIES = "/api/v1/maps/timeseries/"


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def registry():
    """Singapore: 2 Llama (US) + 1 Qwen (CN); Kenya: 1 Qwen; an adopter with no country: 1 Llama."""
    countries = make_geography()
    llama = ModelFamilyFactory(slug="llama", origin_country=countries["US"], developer__country=countries["US"])
    qwen = ModelFamilyFactory(slug="qwen", origin_country=countries["CN"], developer__country=countries["CN"])
    sg = OrganizationFactory(country=countries["SG"], city="Singapore")
    ke = OrganizationFactory(country=countries["KE"], city="Nairobi", kind="government")
    nowhere = OrganizationFactory(country=None, city="")
    for adopter, family in ((sg, llama), (sg, llama), (sg, qwen), (ke, qwen), (nowhere, llama)):
        AdoptionFactory(adopter=adopter, family=family, sectors=["health"], published=True)
    return countries


def test_default_map_follows_the_contract(client, registry):
    response = client.get(MAP)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["group_by", "split", "unit", "filters", "as_of", "generated_at", "total", "split_totals",
                          "groups"]
    assert (body["group_by"], body["split"], body["unit"], body["filters"], body["as_of"]) == (
        "country", "origin_country", "adoptions", {}, None)
    assert body["total"] == 5 and body["split_totals"] == {"US": 3, "CN": 2}
    assert [(g["key"], g["total"]) for g in body["groups"]] == [("SG", 3), ("KE", 1), ("unknown", 1)]
    assert body["groups"][0] == {"key": "SG", "name": "Singapore", "total": 3, "counts": {"US": 2, "CN": 1},
                                 "shares": {"US": 0.6667, "CN": 0.3333}}


def test_filters_are_echoed_and_applied(client, registry):
    body = client.get(MAP, {"family": "qwen", "group_by": "region", "split": "family", "since": "2020"}).json()
    assert body["filters"] == {"family": "qwen", "since": "2020"}
    assert [(g["key"], g["name"], g["counts"]) for g in body["groups"]] == [
        ("002", "Africa", {"qwen": 1}), ("142", "Asia", {"qwen": 1}),
    ]
    assert client.get(MAP, {"region": "142"}).json()["total"] == 3
    assert client.get(MAP, {"sector": "health", "unit": "adopters", "split": "none"}).json()["total"] == 3


def test_etag_revalidation_answers_304_without_queries(client, registry, django_assert_num_queries):
    first = client.get(MAP, {"group_by": "city"})
    assert first["ETag"].startswith('W/"') and first["Last-Modified"]
    with django_assert_num_queries(0):
        again = client.get(MAP, {"group_by": "city"}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again["ETag"] == first["ETag"] and not again.content
    with django_assert_num_queries(0):
        assert client.get(MAP, {"group_by": "city"}).content == first.content  # served from the cache
    assert client.get(MAP, {"group_by": "city", "format": "csv"})["ETag"] != first["ETag"]  # per format
    modified = client.get(MAP, {"group_by": "city"}, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert modified.status_code == 304


@pytest.mark.parametrize("query", [{}, {"unit": "adopters", "group_by": "subregion"}, {"sector": "health",
                                   "language": "en", "family": "qwen"}, {"as_of": "2030-01-01"}])
def test_a_computed_map_takes_a_constant_number_of_queries(client, registry, query, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        assert client.get(MAP, query).status_code == 200
    with django_assert_max_num_queries(4):
        series_query = {key: value for key, value in query.items() if key != "group_by"}
        assert client.get(SERIES, series_query).status_code == 200


def test_a_cached_map_is_answered_before_the_view(client, registry, monkeypatch):
    from adoption.api import maps as api_maps

    first = client.get(MAP, {"group_by": "subregion"})
    monkeypatch.setattr(api_maps.AdoptionMapView, "compute", lambda self, params: pytest.fail("recomputed"))
    monkeypatch.setattr(api_maps.AdoptionMapView, "throttle_classes", [])
    again = client.get(MAP, {"group_by": "subregion"})
    assert again.content == first.content
    assert {name: again[name] for name in ("ETag", "Last-Modified", "Content-Type", "Cache-Control")} == {
        name: first[name] for name in ("ETag", "Last-Modified", "Content-Type", "Cache-Control")}
    assert "Accept" in again["Vary"]  # the answer is the same for every user: no Vary on the cookie needed
    monkeypatch.undo()
    csv_first = client.get(MAP, {"format": "csv"})
    assert client.get(MAP, {"format": "csv"})["Content-Disposition"] == csv_first["Content-Disposition"]
    assert client.get(MAP, {"group_by": "nowhere"}).status_code == 400  # bad input still reaches the view


def test_a_cleared_cache_is_never_answered_from_a_process_copy(client, registry):
    from django.db.models import F

    from adoption.models import MapSummary

    fold.fold()  # the registry's counts in the summary (not left in the delta log)
    before = client.get(MAP)
    # The same data version (no bump) but other figures, as after a restore: once the shared cache is
    # cleared, the per-process copy of the old answer must not be served.
    MapSummary.objects.filter(grain=1).update(n=F("n") + 1)
    cache.clear()
    after = client.get(MAP)
    assert after["ETag"] == before["ETag"]
    assert after.json()["total"] == before.json()["total"] + 4


def test_an_approval_shows_at_once_with_a_new_etag(
    client, registry, contributor, curator, django_capture_on_commit_callbacks
):
    before = client.get(MAP)
    adoption = AdoptionFactory(status=Status.IN_REVIEW, created_by=contributor,
                               adopter=OrganizationFactory(country=registry["FR"]))
    EvidenceFactory(adoption=adoption)
    with django_capture_on_commit_callbacks(execute=True):  # the cached version is dropped on commit
        moderation.adoption_approve(adoption=adoption, user=curator)
    stale = client.get(MAP, HTTP_IF_NONE_MATCH=before["ETag"])
    assert stale.status_code == 200 and stale["ETag"] != before["ETag"]
    assert "FR" in [g["key"] for g in stale.json()["groups"]]


def test_geojson_is_an_rfc7946_feature_collection(client, registry):
    response = client.get(MAP, {"format": "geojson"})
    assert response["Content-Type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection" and body["total"] == 5
    features = {f["id"]: f for f in body["features"]}
    assert features["SG"]["properties"]["counts"] == {"US": 2, "CN": 1}
    assert features["unknown"]["geometry"] is None
    for feature in body["features"]:
        assert feature["type"] == "Feature"
        if feature["geometry"]:
            assert_valid_geometry(feature["geometry"])
    points = client.get(MAP, {"format": "geojson", "group_by": "subregion"}).json()["features"]
    sea = next(f for f in points if f["id"] == "035")
    assert sea["geometry"]["type"] == "Point"
    lon, lat = sea["geometry"]["coordinates"]
    assert 90 < lon < 130 and -10 < lat < 25
    cities = client.get(MAP, {"format": "geojson", "group_by": "city"}).json()["features"]
    nairobi = next(f for f in cities if f["id"] == "KE:Nairobi")
    assert nairobi["geometry"]["coordinates"] == pytest.approx([36.82, -1.28], abs=0.1)


def assert_valid_geometry(geometry: dict) -> None:
    """RFC 7946: positions [lon, lat] in range, closed rings of 4+ positions, exterior counter-clockwise."""
    assert geometry["type"] in ("Polygon", "MultiPolygon", "Point")
    if geometry["type"] == "Point":
        lon, lat = geometry["coordinates"]
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        return
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    for polygon in polygons:
        for index, ring in enumerate(polygon):
            assert len(ring) >= 4 and ring[0] == ring[-1]
            assert all(-180 <= x <= 180 and -90 <= y <= 90 for x, y in ring)
            area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False))
            assert (area > 0) == (index == 0)


def test_csv_round_trips_to_the_json_figures(client, registry):
    for query in ({}, {"group_by": "city", "split": "stage"}, {"unit": "adopters", "split": "family"}):
        response = client.get(MAP, {**query, "format": "csv"})
        assert response["Content-Type"].startswith("text/csv")
        assert response["Content-Disposition"] == 'attachment; filename="adoption-map.csv"'
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        body = client.get(MAP, query).json()
        from_csv = [(r["group_key"], r["group_name"], r["split_key"], int(r["count"]), float(r["share"])) for r in rows]
        assert from_csv == [
            (g["key"], g["name"], k, c, g["shares"][k]) for g in body["groups"] for k, c in g["counts"].items()
        ]


def test_csv_never_starts_a_cell_with_a_formula(client):
    make_geography()
    AdoptionFactory(adopter=OrganizationFactory(city="=HYPERLINK(1)"), published=True)
    text = client.get(MAP, {"format": "csv", "group_by": "city"}).content.decode()
    assert ",'=HYPERLINK(1)," in text


def test_timeseries_json_and_csv(client, registry):
    body = client.get(SERIES, {"interval": "year"}).json()
    assert body["interval"] == "year" and body["split"] == "origin_country" and body["undated"] == 0
    assert body["series"] == [{"period": "2025", "counts": {"CN": 2, "US": 3}, "cumulative": {"CN": 2, "US": 3}}]
    response = client.get(SERIES, {"interval": "year", "format": "csv"})
    assert response["Content-Disposition"] == 'attachment; filename="adoption-timeseries.csv"'
    assert response.content.decode().splitlines() == ["period,split_key,count,cumulative", "2025,CN,2,2",
                                                      "2025,US,3,3"]


@pytest.mark.parametrize(("url", "query", "bad"), [
    (MAP, {"group_by": "galaxy"}, "group_by"), (MAP, {"format": "xml"}, "format"), (MAP, {"family": "nope"}, "family"),
    (MAP, {"interval": "year"}, "interval"), (SERIES, {"format": "geojson"}, "format"),
    (SERIES, {"group_by": "city"}, "group_by"), (MAP, {"as_of": "last week"}, "as_of"),
    (MAP, {"region": "x"}, "region"),
])
def test_bad_parameters_answer_400_naming_them(client, url, query, bad):
    response = client.get(url, query)
    assert response.status_code == 400
    assert bad in response.json()


def test_schema_documents_every_parameter_and_response():
    generator = SchemaGenerator(patterns=[path("api/v1/maps/", include("adoption.api.maps_urls"))])
    schema = generator.get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/maps/adoption/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"group_by", "split", "unit", "format", "family", "origin_country", "relation", "stage", "adopter_kind",
            "sector", "language", "region", "country", "since", "until", "as_of"} <= names
    assert {"200", "304", "400", "412", "429"} <= set(operation["responses"])
    assert set(operation["responses"]["200"]["content"]) == {"application/json", "application/geo+json", "text/csv"}
    assert set(operation["responses"]["400"]["content"]) == {"application/json"}  # errors are JSON
    format_parameter = next(p for p in operation["parameters"] if p["name"] == "format")
    assert set(format_parameter["schema"]["enum"]) == {"json", "geojson", "csv"}
    series = schema["paths"]["/api/v1/maps/timeseries/"]["get"]
    assert "interval" in {p["name"] for p in series["parameters"]}
    assert set(series["responses"]["200"]["content"]) == {"application/json", "text/csv"}


def test_a_parameter_without_a_value_is_refused_by_the_api(client):
    response = client.get("/api/v1/maps/adoption/?as_of=")
    assert response.status_code == 400
    assert response.json() == {"as_of": ["Give a value or leave the parameter out."]}


# --- extreme dates and instants answer 200 or a 400 naming the parameter, never a 500 (issue 11) ---

EXTREME_DATES = [{"until": "9999"}, {"until": "9999-12"}, {"until": "9999-12-31"}, {"since": "0001"},
                 {"since": "0001-01"}, {"since": "0001-01-01"}, {"since": "0001", "until": "9999"},
                 {"since": "9999-12-31"}, {"until": "0001-01-01"}, {"since": "0001-01-01", "until": "9999-12-31"}]


@pytest.mark.parametrize("query", EXTREME_DATES)
@pytest.mark.parametrize("fmt", ["json", "geojson", "csv"])
def test_the_map_takes_the_first_and_last_dates_there_are(client, registry, query, fmt):
    response = client.get(MAP, {**query, "format": fmt})
    assert response.status_code == 200, response.content[:500]
    json_total = client.get(MAP, query).json()["total"]
    # Every record of the registry starts between year 1 and 9999: a bound at either end keeps them all.
    assert json_total == (0 if query in ({"since": "9999-12-31"}, {"until": "0001-01-01"}) else 5)


@pytest.mark.parametrize("query", EXTREME_DATES)
@pytest.mark.parametrize("extra", [{}, {"unit": "adopters"}, {"interval": "month", "format": "csv"}])
def test_the_timeseries_takes_the_first_and_last_dates_there_are(client, registry, query, extra):
    response = client.get(SERIES, {**query, **extra})
    assert response.status_code == 200, response.content[:500]


@pytest.mark.parametrize("as_of", [
    "8144-07-24T02:03:57.320+22:00", "2025-06-30T12:00:00+14:01", "2025-06-30T12:00:00-23:59",
    "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "10000-01-01", "0000-01-01", "2025-02-30",
    "2025-06-30T24:01:00Z", "2025-06-30T12:00:00+99:00", "2025-06-30\x00",
])
@pytest.mark.parametrize("url", [MAP, SERIES])
def test_an_instant_out_of_range_is_a_400_on_as_of(client, url, as_of):
    response = client.get(url, {"as_of": as_of})
    assert response.status_code == 400, response.content[:500]
    assert list(response.json()) == ["as_of"] and response.json()["as_of"][0]


@pytest.mark.parametrize("as_of", ["0001-01-01", "9999-12-31", "9999-12-31T23:59:59+14:00",
                                   "0001-01-01T12:00:00-11:00", "2025-06-30T12:00:00+05:45"])
def test_an_instant_at_the_ends_of_the_calendar_is_answered(client, registry, as_of):
    for url in (MAP, SERIES):
        response = client.get(url, {"as_of": as_of})
        assert response.status_code == 200, response.content[:500]
    # The instant is read in UTC: the same instant with another offset is the same answer (and cache entry).
    assert client.get(MAP, {"as_of": "2025-06-30T12:00:00+05:45"}).json()["as_of"] == "2025-06-30T06:15:00+00:00"


# --- a cached answer and a 304 carry the headers of the first answer (issue 11) ---

BODY_HEADERS = {"content-length"}  # a 304 has no body


def vary_but_encoding(response) -> list[str]:
    """The Vary header's names but Accept-Encoding (GZipMiddleware adds it to any answer it could compress)."""
    return [name for name in response["Vary"].split(", ") if name != "Accept-Encoding"]


@pytest.mark.parametrize(("url", "query"), [
    (MAP, {}), (MAP, {"format": "csv"}), (MAP, {"format": "geojson", "group_by": "city"}),
    (MAP, {"unit": "adopters", "split": "family"}), (SERIES, {}), (SERIES, {"format": "csv"}),
])
@pytest.mark.parametrize("who", ["anonymous", "session", "token"])
def test_a_cached_answer_and_a_304_carry_the_first_answers_headers(registry, contributor, monkeypatch, url, query,
                                                                   who):
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from adoption.api import maps as api_maps

    client = Client()
    if who == "session":
        client.force_login(contributor)
    elif who == "token":
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {Token.objects.create(user=contributor).key}"
    first = client.get(url, query)
    assert first.status_code == 200
    # The first answer's security headers, as every page has them.
    assert first["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in first["Content-Security-Policy"]
    assert first["X-Content-Type-Options"] == "nosniff" and first["Referrer-Policy"]
    assert vary_but_encoding(first) == ["Accept"]  # the same answer for everyone: no Vary on the cookie
    view = api_maps.AdoptionTimeseriesView if url == SERIES else api_maps.AdoptionMapView
    monkeypatch.setattr(view, "compute", lambda self, params: pytest.fail("not served from the cache"))
    cached = client.get(url, query)
    assert cached.content == first.content
    assert dict(cached.headers) == dict(first.headers)
    revalidated = client.get(url, query, HTTP_IF_NONE_MATCH=first["ETag"])
    assert revalidated.status_code == 304
    assert {k.lower(): v for k, v in revalidated.headers.items()} == {
        k.lower(): v for k, v in first.headers.items() if k.lower() not in BODY_HEADERS}


# --- formats chosen by the Accept header (the renderers and their negotiation) ---

@pytest.mark.parametrize(("url", "accept", "content_type"), [
    (MAP, "text/csv", "text/csv; charset=utf-8"),
    (MAP, "application/geo+json", "application/geo+json"),
    (MAP, "text/csv; charset=UTF-8", "text/csv; charset=utf-8"),  # a range's parameters are not compared
    (MAP, "text/csv, application/json;q=0.5", "text/csv; charset=utf-8"),  # q-values count
    (MAP, "application/json;q=0.5, application/geo+json", "application/geo+json"),
    (MAP, "application/json, text/csv", "application/json"),  # equal preference: the first named
    (MAP, "text/csv;q=0, */*", "application/json"),  # q=0: not acceptable
    (MAP, "text/html,application/xhtml+xml,*/*;q=0.8", "application/json"),  # a browser
    (MAP, "text/html", "application/json"),  # nothing we have: JSON, not a 406
    (MAP, "text/csv;" + "a=b;" * 3000, "application/json"),  # too long for Django to parse: no preference
    (SERIES, "text/csv", "text/csv; charset=utf-8"),
    (SERIES, "application/geo+json", "application/json"),  # a timeseries has no GeoJSON
])
def test_the_accept_header_picks_the_format(client, registry, url, accept, content_type):
    first = client.get(url, HTTP_ACCEPT=accept)
    assert first.status_code == 200 and first["Content-Type"] == content_type
    assert vary_but_encoding(first) == ["Accept"]
    again = client.get(url, HTTP_ACCEPT=accept)  # from the cache, before the view: the same answer
    assert again.content == first.content and again["Content-Type"] == content_type
    if content_type.startswith("text/csv"):
        assert first.content.decode().startswith("group_key," if url == MAP else "period,")
    elif content_type == "application/geo+json":
        assert first.json()["type"] == "FeatureCollection"
    else:
        assert first.json()["total" if url == MAP else "series"]


def test_the_format_parameter_wins_over_the_accept_header(client, registry):
    assert client.get(MAP, {"format": "json"}, HTTP_ACCEPT="text/csv")["Content-Type"] == "application/json"
    answer = client.get(MAP, {"format": "csv"}, HTTP_ACCEPT="application/json")
    assert answer["Content-Type"] == "text/csv; charset=utf-8"
    assert answer["ETag"] == client.get(MAP, HTTP_ACCEPT="text/csv")["ETag"]  # one representation, one ETag


@pytest.mark.parametrize(("url", "allowed"), [(MAP, "json, geojson, csv"), (SERIES, "json, csv")])
@pytest.mark.parametrize("accept", ["*/*", "text/csv"])
def test_an_unknown_format_is_a_json_400_naming_the_allowed_ones(client, url, allowed, accept):
    response = client.get(url, {"format": "xlsx"}, HTTP_ACCEPT=accept)
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert allowed in response.json()["format"][0]


@pytest.mark.parametrize("request_format", [{"format": "csv"}, {"format": "geojson"}, {"HTTP_ACCEPT": "text/csv"}])
def test_errors_and_options_are_json_whatever_the_format_asked(client, request_format):
    query = {"group_by": "galaxy", **{k: v for k, v in request_format.items() if k == "format"}}
    headers = {k: v for k, v in request_format.items() if k != "format"}
    response = client.get(MAP, query, **headers)
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert "group_by" in response.json()
    options = client.options(MAP, **headers)
    assert options.status_code == 200 and options["Content-Type"] == "application/json"
    assert set(options.json()["renders"]) == {"application/json", "application/geo+json", "text/csv"}


# --- conditional requests (Django's evaluation, RFC 9110) ---

def test_if_none_match_compares_weakly_and_wins_over_if_modified_since(client, registry):
    first = client.get(MAP)
    etag, strong = first["ETag"], first["ETag"].removeprefix("W/")
    for header in (etag, strong, "*", f'"other", {etag}'):
        assert client.get(MAP, HTTP_IF_NONE_MATCH=header).status_code == 304, header
    # A tag of another version: the full answer, even though If-Modified-Since alone would be a 304.
    stale = client.get(MAP, HTTP_IF_NONE_MATCH='W/"other"', HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert stale.status_code == 200 and stale.content == first.content
    assert client.get(MAP, HTTP_IF_MODIFIED_SINCE="Mon, 01 Jan 2001 00:00:00 GMT").status_code == 200


def test_head_answers_the_headers_and_revalidates(client, registry):
    first = client.get(MAP, {"format": "csv"})
    head = client.head(MAP, {"format": "csv"})
    assert head.status_code == 200 and not head.content
    assert {k: head[k] for k in ("ETag", "Content-Type", "Content-Length", "Content-Disposition")} == {
        k: first[k] for k in ("ETag", "Content-Type", "Content-Length", "Content-Disposition")}
    assert client.head(MAP, {"format": "csv"}, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_if_match_and_if_unmodified_since_are_preconditions(client, registry):
    first = client.get(MAP)
    assert client.get(MAP, HTTP_IF_MATCH="*").status_code == 200
    # A weak ETag never matches If-Match (RFC 9110 §13.1.1 compares strongly): the map may differ in bytes.
    failed = client.get(MAP, HTTP_IF_MATCH=first["ETag"])
    assert failed.status_code == 412 and failed["Content-Type"] == "application/json"
    assert failed.json()["detail"]
    assert client.get(MAP, HTTP_IF_UNMODIFIED_SINCE=first["Last-Modified"]).status_code == 200
    assert client.get(MAP, HTTP_IF_UNMODIFIED_SINCE="Mon, 01 Jan 2001 00:00:00 GMT").status_code == 412


# --- the demo's set-up: no Redis, a local-memory cache ---

def test_without_redis_maps_are_cached_revalidated_and_current(
    local_memory_cache, client, registry, contributor, curator, django_capture_on_commit_callbacks,
    django_assert_num_queries,
):
    first = client.get(MAP)
    assert first.status_code == 200 and first.json()["total"] == 5
    with django_assert_num_queries(0):
        assert client.get(MAP, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
        assert client.get(MAP).content == first.content
    adoption = AdoptionFactory(status=Status.IN_REVIEW, created_by=contributor,
                               adopter=OrganizationFactory(country=registry["FR"]))
    EvidenceFactory(adoption=adoption)
    with django_capture_on_commit_callbacks(execute=True):
        moderation.adoption_approve(adoption=adoption, user=curator)
    after = client.get(MAP, HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200 and after.json()["total"] == 6
