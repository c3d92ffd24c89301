"""GET /api/v1/maps/adoption/ and /api/v1/maps/timeseries/ (DESIGN §4, a contract).

Responses carry a weak ETag (the registry's data version + the parameters + the format) and
Last-Modified. A matching If-None-Match answers 304 before anything is computed, and without a
database query (the data version lives in the cache). A full answer is rendered once per data version
and kept in the cache as bytes (and in a small per-process copy), so a repeated map costs a cache read.
`cached_response` answers both cases without the view: adoption.middleware.CachedMapMiddleware calls it
before URL resolution, DRF and the rest of the middleware.
"""

import contextlib
import csv
import hashlib
import io
import json
import threading
from collections import OrderedDict

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.http import http_date, parse_etags, parse_http_date_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from adoption import aggregates, geo
from adoption.choices import OrganizationKind, Relation, Stage
from adoption.services.data_version import data_version_entry, redis_client

RESPONSE_CACHE_SECONDS = 24 * 3600
CONTENT_TYPES = {"json": "application/json", "geojson": "application/geo+json", "csv": "text/csv; charset=utf-8"}
ACCEPT_FORMATS = {"application/geo+json": "geojson", "text/csv": "csv"}
ALLOW = "GET, HEAD, OPTIONS"


# --- GeoJSON and CSV forms ---


def _geometry(group_by: str, key: str) -> dict | None:
    if key == aggregates.UNKNOWN:
        return None
    if group_by == "country":
        return geo.country_features().get(key)
    if group_by == "city":
        iso2, _, city = key.partition(":")
        point = geo.city_point(iso2, city)
    else:
        point = geo.region_centroid(key)
    return {"type": "Point", "coordinates": list(point)} if point else None


def map_geojson(payload: dict) -> dict:
    """The map as an RFC 7946 FeatureCollection: one Feature per group (country polygons for
    group_by=country, points otherwise, null geometry for "unknown"); the figures in properties and
    the map's own fields as foreign members."""
    features = [
        {"type": "Feature", "id": group["key"], "geometry": _geometry(payload["group_by"], group["key"]),
         "properties": dict(group)}
        for group in payload["groups"]
    ]
    head = {key: value for key, value in payload.items() if key != "groups"}
    return {"type": "FeatureCollection", **head, "features": features}


def _cell(text: str) -> str:
    """Keep spreadsheets from running a name as a formula (CSV injection)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def map_csv(payload: dict) -> str:
    """One row per group and split key: group_key,group_name,split_key,count,share."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["group_key", "group_name", "split_key", "count", "share"])
    for group in payload["groups"]:
        for split_key, count in group["counts"].items():
            writer.writerow([_cell(group["key"]), _cell(group["name"]), _cell(split_key), count,
                             group["shares"][split_key]])
    return out.getvalue()


def timeseries_csv(payload: dict) -> str:
    """One row per period and split key: period,split_key,count,cumulative."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["period", "split_key", "count", "cumulative"])
    for entry in payload["series"]:
        for split_key, count in entry["counts"].items():
            writer.writerow([entry["period"], _cell(split_key), count, entry["cumulative"][split_key]])
    return out.getvalue()


# --- the views ---


class _MapEndpoint(APIView):
    # The same answer for everyone: read no session (it would add "Vary: Cookie", which a cached answer,
    # served before the session middleware, cannot carry, and which would keep shared caches from
    # serving one copy to all). A token still identifies a client for the throttles.
    authentication_classes = [TokenAuthentication]
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]  # for errors; answers are rendered below, per format
    timeseries = False

    def perform_content_negotiation(self, request, force=False):
        # ?format= is ours (json, geojson, csv), validated with the other parameters into a 400;
        # DRF would turn an unknown one into a 404.
        return self.renderer_classes[0](), "application/json"

    def compute(self, params) -> dict:
        raise NotImplementedError

    def render(self, params, payload: dict) -> bytes:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        token, changed_at, fill = data_version_entry()
        params, digest, last_modified = _parsed(request, token, changed_at, timeseries=self.timeseries)
        if _not_modified(request, digest, changed_at):
            return _response(None, params, digest, last_modified, timeseries=self.timeseries)
        body = _body_get(digest, fill)
        if body is None:
            body = self.render(params, self.compute(params))
            _body_set(digest, fill, body)
        return _response(body, params, digest, last_modified, timeseries=self.timeseries)


# --- the answer without the view: ETag, 304 and the cached bytes (shared with the middleware) ---


def request_params(request, *, timeseries: bool) -> aggregates.MapParams:
    """The map parameters of a request; ?format= wins over an Accept header naming GeoJSON or CSV.
    Raises ValidationError (a 400) on a bad parameter. Unlike the /map/ page's form, an API client
    that sends a parameter with no value (`?as_of=`) has made a mistake: it is refused, not ignored."""
    query = request.GET
    empty = [key for key in query if not key.startswith("_") and not any(v.strip() for v in query.getlist(key))]
    if empty:
        raise ValidationError({key: ["Give a value or leave the parameter out."] for key in empty})
    if "format" not in query:
        accept = request.headers.get("Accept", "")
        wanted = next((fmt for media, fmt in ACCEPT_FORMATS.items() if media in accept), None)
        if wanted and not (timeseries and wanted == "geojson"):
            query = query.copy()
            query["format"] = wanted
    return aggregates.MapParams.from_query(query, timeseries=timeseries)


def _digest(token: str, params: aggregates.MapParams, *, timeseries: bool) -> str:
    kind = "timeseries" if timeseries else "map"
    return hashlib.sha256(f"{token}|{params.format}|{params.cache_key(kind=kind)}".encode()).hexdigest()[:32]


# Per process: what recent requests were parsed into, by query string and Accept header, for one data
# version (its token), so a repeated request skips parsing and validating its parameters: with the
# answer's bytes kept in the process too, a cached map then costs about what a static file does.
_PARSED_MAX = 4096
_parsed_requests: dict[tuple, tuple] = {}


def _parsed(request, token: str, changed_at, *, timeseries: bool) -> tuple:
    """(params, digest, Last-Modified) of a map request; raises ValidationError on a bad parameter."""
    key = (timeseries, request.META.get("QUERY_STRING", ""), request.META.get("HTTP_ACCEPT", ""))
    known = _parsed_requests.get(key)
    if known is not None and known[0] == token:
        return known[1:]
    params = request_params(request, timeseries=timeseries)
    entry = (token, params, _digest(token, params, timeseries=timeseries), http_date(changed_at.timestamp()))
    if len(_parsed_requests) >= _PARSED_MAX:  # rare: crude, but bounded
        _parsed_requests.clear()
    _parsed_requests[key] = entry
    return entry[1:]


def _response(body: bytes | None, params, digest: str, last_modified: str, *, timeseries: bool) -> HttpResponse:
    """The 200 with `body`, or the 304 when body is None; the same headers either way (those the view
    and the middleware below adoption.middleware.CachedMapMiddleware would add included, so an answer
    from the cache is the view's answer)."""
    if body is None:
        response = HttpResponse(status=304, content_type=CONTENT_TYPES[params.format])
    else:
        response = HttpResponse(body, content_type=CONTENT_TYPES[params.format])
        response["Content-Length"] = str(len(body))  # (CommonMiddleware's, on a view's answer)
    if params.format == "csv":
        filename = "adoption-timeseries" if timeseries else "adoption-map"
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    response["ETag"] = f'W/"{digest}"'
    response["Last-Modified"] = last_modified
    response["Cache-Control"] = "public, max-age=0, must-revalidate"
    response["Vary"] = "Accept"
    response["Allow"] = ALLOW  # (DRF's, on a view's answer)
    return response


def _not_modified(request, digest: str, changed_at) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = parse_etags(if_none_match)
        return "*" in tags or any(tag.removeprefix("W/").strip('"') == digest for tag in tags)
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return since is not None and int(changed_at.timestamp()) <= since


def cached_response(request, *, timeseries: bool) -> HttpResponse | None:
    """The answer to a map GET when it needs no computation: a 304 for a matching If-None-Match (or
    If-Modified-Since), or the cached bytes of this data version. None: let the view answer (a bad
    parameter, a first request, a cache outage)."""
    try:
        token, changed_at, fill = data_version_entry()
        params, digest, last_modified = _parsed(request, token, changed_at, timeseries=timeseries)
    except (ValidationError, ValueError):
        return None
    if _not_modified(request, digest, changed_at):
        return _response(None, params, digest, last_modified, timeseries=timeseries)
    body = _body_get(digest, fill)
    return None if body is None else _response(body, params, digest, last_modified, timeseries=timeseries)


# Per-process copies of recent answers, keyed by (cache fill, digest): the digest holds the data version,
# and the fill changes whenever the cached data version was refilled (a cleared or restored cache), so a
# copy is never served for data it does not show. Bounded in bytes.
_LOCAL_MAX_BYTES = 32 * 1024 * 1024
_local: OrderedDict[tuple[str, str], bytes] = OrderedDict()
_local_bytes = 0
_local_lock = threading.Lock()


def _local_put(key: tuple[str, str], body: bytes) -> None:
    global _local_bytes
    if len(body) > _LOCAL_MAX_BYTES // 4:
        return
    with _local_lock:
        if key in _local:
            return
        _local[key] = body
        _local_bytes += len(body)
        while _local_bytes > _LOCAL_MAX_BYTES:
            _, dropped = _local.popitem(last=False)
            _local_bytes -= len(dropped)


def _body_get(digest: str, fill: str) -> bytes | None:
    body = _local.get((fill, digest))
    if body is not None:
        return body
    body = _cache_get(_body_key(digest))
    if body is not None:
        _local_put((fill, digest), body)
    return body


def _body_set(digest: str, fill: str, body: bytes) -> None:
    _cache_set(_body_key(digest), body)
    _local_put((fill, digest), body)


def _body_key(digest: str) -> str:
    return f"adoption:maps:body:{digest}"


# With Redis the bytes are stored as they are (no pickle) through the process's client, under the key
# Django's cache would use (its KEY_PREFIX and VERSION); without it, through Django's cache.


def _cache_get(key: str) -> bytes | None:
    try:
        client = redis_client()
        return cache.get(key) if client is None else client.get(cache.make_key(key))
    except Exception:  # a cache outage costs a recomputation, never an error
        return None


def _cache_set(key: str, body: bytes) -> None:
    with contextlib.suppress(Exception):  # see _cache_get
        client = redis_client()
        if client is None:
            cache.set(key, body, timeout=RESPONSE_CACHE_SECONDS)
        else:
            client.set(cache.make_key(key), body, ex=RESPONSE_CACHE_SECONDS)


def _dumps(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


FILTER_PARAMETERS = [
    OpenApiParameter("family", str, description="Family slug(s), comma-separated: any of them."),
    OpenApiParameter("origin_country", str, description="ISO alpha-2 origin country of the base family."),
    OpenApiParameter("relation", str, enum=Relation.values, description="How the adopter builds on the family."),
    OpenApiParameter("stage", str, enum=Stage.values),
    OpenApiParameter("adopter_kind", str, enum=OrganizationKind.values),
    OpenApiParameter("sector", str, description="Records naming this sector."),
    OpenApiParameter("language", str, description="Records serving this ISO 639 language."),
    OpenApiParameter("region", str, description="UN M49 code of any level (001 world, 142 Asia, 035 ...)."),
    OpenApiParameter("country", str, description="ISO alpha-2 country of the adopter."),
    OpenApiParameter("since", str, description="Start date on or after: YYYY, YYYY-MM or YYYY-MM-DD."),
    OpenApiParameter("until", str, description="Start date on or before (the end of the period given)."),
    OpenApiParameter("as_of", OpenApiTypes.DATETIME,
                     description="The registry as it stood at this instant (a date: the end of that day, UTC)."),
    OpenApiParameter("split", str, enum=aggregates.SPLITS, default="origin_country"),
    OpenApiParameter("unit", str, enum=aggregates.UNITS, default="adoptions",
                     description="adoptions: each published record once; adopters: distinct organizations, "
                                 "once in every total and once under each split key they have (so counts and "
                                 "shares may add up to more than the total)."),
]
ERROR_400 = OpenApiResponse(
    # An object keyed by the parameter's name, each with its messages.
    {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    description="A bad parameter, named with its messages, e.g. {\"group_by\": [\"Choose one of: ...\"]}.",
)
COMMON_RESPONSES = {
    304: OpenApiResponse(description="Not modified: If-None-Match matched the ETag (nothing was computed)."),
    400: ERROR_400,
    429: OpenApiResponse(description="Too many requests: wait the seconds in Retry-After."),
}
_group = inline_serializer("MapGroup", {
    "key": serializers.CharField(help_text="ISO alpha-2, M49 code, '{iso2}:{city}' or 'unknown'."),
    "name": serializers.CharField(),
    "total": serializers.IntegerField(),
    "counts": serializers.DictField(child=serializers.IntegerField()),
    "shares": serializers.DictField(child=serializers.FloatField()),
}, many=True)
_head = {
    "split": serializers.CharField(), "unit": serializers.CharField(),
    "filters": serializers.DictField(child=serializers.CharField()),
    "as_of": serializers.DateTimeField(allow_null=True), "generated_at": serializers.DateTimeField(),
}
MAP_SCHEMA = inline_serializer("AdoptionMap", {
    "group_by": serializers.CharField(), **_head, "total": serializers.IntegerField(),
    "split_totals": serializers.DictField(child=serializers.IntegerField()), "groups": _group,
})
TIMESERIES_SCHEMA = inline_serializer("AdoptionTimeseries", {
    "interval": serializers.CharField(), **_head,
    "undated": serializers.IntegerField(help_text="Records without a start date, left out of the series."),
    "series": inline_serializer("TimeseriesPeriod", {
        "period": serializers.CharField(help_text="2025, 2025-Q3 or 2025-03."),
        "counts": serializers.DictField(child=serializers.IntegerField()),
        "cumulative": serializers.DictField(child=serializers.IntegerField()),
    }, many=True),
})


class AdoptionMapView(_MapEndpoint):
    """Published adoptions counted by where the adopters are and whose models they build on."""

    @extend_schema(
        operation_id="maps_adoption",
        summary="Aggregate adoption map",
        parameters=[
            OpenApiParameter("group_by", str, enum=aggregates.GROUP_BYS, default="country"),
            *FILTER_PARAMETERS,
            OpenApiParameter("format", str, enum=aggregates.FORMATS, default="json",
                             description="json, geojson (an RFC 7946 FeatureCollection) or csv "
                                         "(group_key,group_name,split_key,count,share)."),
            OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER, description="An ETag from before."),
        ],
        responses={
            (200, "application/json"): MAP_SCHEMA,
            (200, "application/geo+json"): OpenApiResponse(OpenApiTypes.OBJECT, description="A FeatureCollection."),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="One row per group and split key."),
            **COMMON_RESPONSES,
        },
        examples=[OpenApiExample("Default map", response_only=True, value={
            "group_by": "country", "split": "origin_country", "unit": "adoptions", "filters": {}, "as_of": None,
            "generated_at": "2026-11-29T10:00:00Z", "total": 8, "split_totals": {"US": 4, "CN": 3, "CH": 1},
            "groups": [{"key": "SG", "name": "Singapore", "total": 8, "counts": {"US": 4, "CN": 3, "CH": 1},
                        "shares": {"US": 0.5, "CN": 0.375, "CH": 0.125}}]})],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def compute(self, params) -> dict:
        return aggregates.adoption_map(params)

    def render(self, params, payload: dict) -> bytes:
        if params.format == "geojson":
            return _dumps(map_geojson(payload))
        if params.format == "csv":
            return map_csv(payload).encode()
        return _dumps(payload)


class AdoptionTimeseriesView(_MapEndpoint):
    """Published adoptions per period of their start date."""

    timeseries = True

    @extend_schema(
        operation_id="maps_timeseries",
        summary="Adoptions over time",
        parameters=[
            OpenApiParameter("interval", str, enum=aggregates.INTERVALS, default="quarter"),
            *FILTER_PARAMETERS,
            OpenApiParameter("format", str, enum=aggregates.TIMESERIES_FORMATS, default="json",
                             description="json or csv (period,split_key,count,cumulative)."),
            OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER, description="An ETag from before."),
        ],
        responses={
            (200, "application/json"): TIMESERIES_SCHEMA,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="One row per period and split key."),
            **COMMON_RESPONSES,
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def compute(self, params) -> dict:
        return aggregates.adoption_timeseries(params)

    def render(self, params, payload: dict) -> bytes:
        return timeseries_csv(payload).encode() if params.format == "csv" else _dumps(payload)
