"""GET /api/v1/maps/adoption/ and /api/v1/maps/timeseries/ (DESIGN §4, a contract).

Responses carry a weak ETag (the registry's data version + the parameters + the format) and
Last-Modified; Django's conditional-request evaluation (`get_conditional_response`, what its
`condition()` decorator runs) answers a matching If-None-Match or If-Modified-Since with a 304 before
anything is computed, and without a database query (the data version lives in the cache). The formats are
DRF renderers (adoption.api.renderers). A full answer is rendered once per data version and kept in the
cache as bytes (and in a small per-process copy), so a repeated map costs a cache read.
`cached_response` answers both cases without the view: adoption.middleware.CachedMapMiddleware calls it
before URL resolution, DRF and the rest of the middleware.
"""

import contextlib
import hashlib
import threading
from typing import NamedTuple

from cachetools import LRUCache, cached
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from adoption import filtersets
from adoption.api.authentication import TokenAuthentication
from adoption.maps.answers import adoption_map, adoption_timeseries
from adoption.maps.params import FORMATS, GROUP_BYS, INTERVALS, SPLITS, TIMESERIES_FORMATS, UNITS, MapParams
from adoption.services.data_version import data_version_entry, redis_client

from .renderers import GeoJSONRenderer, MapContentNegotiation, MapCSVRenderer, TimeseriesCSVRenderer, content_type

RESPONSE_CACHE_SECONDS = 24 * 3600
ALLOW = "GET, HEAD, OPTIONS"


class ConditionFailed(exceptions.APIException):
    """412: If-Match or If-Unmodified-Since names a map other than the current one (RFC 9110 §13.1)."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = gettext_lazy("The map has changed since the version If-Match or If-Unmodified-Since names.")
    default_code = "precondition_failed"


# --- the views ---


class _MapEndpoint(APIView):
    # The same answer for everyone: read no session (it would add "Vary: Cookie", which a cached answer,
    # served before the session middleware, cannot carry, and which would keep shared caches from
    # serving one copy to all). A token still identifies a client for the throttles.
    authentication_classes = [TokenAuthentication]
    permission_classes = [AllowAny]
    content_negotiation_class = MapContentNegotiation
    timeseries = False

    def compute(self, params) -> dict:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        token, changed_at, fill = data_version_entry()
        answer = _answer(request, token, changed_at, type(self))
        response = _unchanged_or_cached(request, answer, fill)
        if response is None:
            body = answer.renderer.render(self.compute(answer.params))
            _body_set(answer.digest, fill, body)
            response = _response(answer, body)
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response):
            # What DRF renders here is an error or the OPTIONS description (answers are rendered in get):
            # JSON whatever format was asked for, like every API error.
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


# --- the answer without the view: ETag, 304 and the cached bytes (shared with the middleware) ---


def request_params(request, *, timeseries: bool, negotiated: str = "json") -> MapParams:
    """The map parameters of a request; `negotiated` is the format content negotiation chose from the
    Accept header, taken when ?format= is not given (?format= wins).
    Raises ValidationError (a 400) on a bad parameter. Unlike the /map/ page's form, an API client
    that sends a parameter with no value (`?as_of=`) has made a mistake: it is refused, not ignored."""
    query = request.GET
    if empty := filtersets.empty_parameters(query):
        raise ValidationError(empty)
    if "format" not in query and negotiated != "json":
        query = query.copy()
        query["format"] = negotiated
    return MapParams.from_query(query, timeseries=timeseries)


def _digest(token: str, params: MapParams, *, timeseries: bool) -> str:
    kind = "timeseries" if timeseries else "map"
    return hashlib.sha256(f"{token}|{params.format}|{params.cache_key(kind=kind)}".encode()).hexdigest()[:32]


class _Answer(NamedTuple):
    """What a map request asks for, under one data version: everything but the body."""

    params: MapParams
    renderer: BaseRenderer
    digest: str
    etag: str
    last_modified: int  # seconds since the epoch, as If-Modified-Since compares them
    headers: tuple[tuple[str, str], ...]


# Per process: what recent requests were parsed into, by query string and Accept header, for one data
# version (its token), so a repeated request skips negotiating and validating its parameters: with the
# answer's bytes kept in the process too, a cached map then costs about what a static file does.
@cached(
    cache=LRUCache(maxsize=4096),
    key=lambda request, token, changed_at, view: (
        view, request.META.get("QUERY_STRING", ""), request.META.get("HTTP_ACCEPT", ""), token),
    lock=threading.Lock(),
)
def _answer(request, token: str, changed_at, view: type[_MapEndpoint]) -> _Answer:
    """The answer a map request asks for; raises ValidationError on a bad parameter."""
    renderers = [renderer() for renderer in view.renderer_classes]
    renderer, _ = view.content_negotiation_class().select_renderer(request, renderers)
    params = request_params(request, timeseries=view.timeseries, negotiated=renderer.format)
    # The validated ?format= has the last word (the negotiation read it as it came).
    renderer = next(candidate for candidate in renderers if candidate.format == params.format)
    digest = _digest(token, params, timeseries=view.timeseries)
    etag = f'W/"{digest}"'
    headers = [("Content-Type", content_type(renderer))]
    if filename := getattr(renderer, "filename", None):
        headers.append(("Content-Disposition", f'attachment; filename="{filename}"'))
    headers += [("ETag", etag), ("Last-Modified", http_date(changed_at.timestamp())),
                ("Cache-Control", "public, max-age=0, must-revalidate"), ("Vary", "Accept"),
                ("Allow", ALLOW)]  # (DRF's, on a view's answer)
    return _Answer(params, renderer, digest, etag, int(changed_at.timestamp()), tuple(headers))


def _response(answer: _Answer, body: bytes) -> HttpResponse:
    """The 200 with `body` and the answer's headers (with those the view and the middleware below
    adoption.middleware.CachedMapMiddleware would add, so an answer from the cache is the view's)."""
    response = HttpResponse(body)
    response["Content-Length"] = str(len(body))  # (CommonMiddleware's, on a view's answer)
    for name, value in answer.headers:
        response[name] = value
    return response


def _unchanged_or_cached(request, answer: _Answer, fill: str) -> HttpResponse | None:
    """The 304 when the request's conditions find the client's copy current (Django's evaluation of
    If-None-Match, If-Modified-Since and the others, RFC 9110 §13.2.2), else the cached answer, else None
    (compute it). Raises ConditionFailed (412) for an If-Match or If-Unmodified-Since that fails."""
    outcome = get_conditional_response(request, etag=answer.etag, last_modified=answer.last_modified)
    if outcome is not None:  # Django's bare 304 or 412
        if outcome.status_code != status.HTTP_304_NOT_MODIFIED:
            raise ConditionFailed
        for name, value in answer.headers:  # the 200's headers, Content-Type included, as before
            outcome[name] = value
        return outcome
    body = _body_get(answer.digest, fill)
    return None if body is None else _response(answer, body)


def cached_response(request, *, timeseries: bool) -> HttpResponse | None:
    """The answer to a map GET when it needs no computation: a 304 for a matching If-None-Match (or
    If-Modified-Since), or the cached bytes of this data version. None: let the view answer (a bad
    parameter, a failed If-Match, a first request, a cache outage)."""
    view = AdoptionTimeseriesView if timeseries else AdoptionMapView
    try:
        token, changed_at, fill = data_version_entry()
        answer = _answer(request, token, changed_at, view)
        return _unchanged_or_cached(request, answer, fill)
    except (ValidationError, ValueError, ConditionFailed):
        return None


# Per-process copies of recent answers, keyed by (cache fill, digest): the digest holds the data version,
# and the fill changes whenever the cached data version was refilled (a cleared or restored cache), so a
# copy is never served for data it does not show. Bounded in bytes, least recently used out first.
_LOCAL_MAX_BYTES = 32 * 1024 * 1024
_local = LRUCache(maxsize=_LOCAL_MAX_BYTES, getsizeof=len)
_local_lock = threading.Lock()


def _local_put(key: tuple[str, str], body: bytes) -> None:
    if len(body) <= _LOCAL_MAX_BYTES // 4:  # a few huge answers must not push out all the others
        with _local_lock:
            _local[key] = body


def _body_get(digest: str, fill: str) -> bytes | None:
    with _local_lock:
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


def _filter_parameters() -> list[OpenApiParameter]:
    """The map filters as the schema documents them, read from the shared FilterSet (one definition)."""
    parameters = []
    for name, spec in filtersets.MapFilters.base_filters.items():
        several = isinstance(spec, filtersets.ValuesFilter)
        description = f"{spec.label}." + (" Several values comma-separated: any of them." if several else "")
        if values := getattr(spec.field, "values", None):
            description += f" Values: {', '.join(values)}."
        parameters.append(OpenApiParameter(name, str, description=description))
    return parameters


FILTER_PARAMETERS = [
    *_filter_parameters(),
    OpenApiParameter("as_of", OpenApiTypes.DATETIME,
                     description="The registry as it stood at this instant (a date: the end of that day, UTC)."),
    OpenApiParameter("split", str, enum=SPLITS, default="origin_country",
                     description="What each group's count is split by: the base model's origin country (ISO "
                                 "alpha-2), the family slug, the relation, the stage, the adopter's kind, or none."),
    OpenApiParameter("unit", str, enum=UNITS, default="adoptions",
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
    (400, "application/json"): ERROR_400,  # errors are JSON whatever the format asked for
    (412, "application/json"): OpenApiResponse(
        {"type": "object", "properties": {"detail": {"type": "string"}}},
        description="If-Match or If-Unmodified-Since names another version of the map (RFC 9110)."),
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

    renderer_classes = [JSONRenderer, GeoJSONRenderer, MapCSVRenderer]  # the first is the default

    @extend_schema(
        operation_id="maps_adoption",
        summary="Aggregate adoption map",
        parameters=[
            OpenApiParameter("group_by", str, enum=GROUP_BYS, default="country",
                             description="One group per country (ISO alpha-2 key), UN M49 sub-region, region or "
                                         "intermediate region (three-digit key, e.g. 035; a country outside the "
                                         "intermediate regions is grouped under its sub-region), or city "
                                         "(`{iso2}:{city}`); adopters without one fall under `unknown`."),
            *FILTER_PARAMETERS,
            OpenApiParameter("format", str, enum=FORMATS, default="json",
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
        return adoption_map(params)


class AdoptionTimeseriesView(_MapEndpoint):
    """Published adoptions per period of their start date."""

    renderer_classes = [JSONRenderer, TimeseriesCSVRenderer]  # no geography: no GeoJSON
    timeseries = True

    @extend_schema(
        operation_id="maps_timeseries",
        summary="Adoptions over time",
        parameters=[
            OpenApiParameter("interval", str, enum=INTERVALS, default="quarter",
                             description="The length of a period: year (2025), quarter (2025-Q3) or month "
                                         "(2025-07), by the records' start dates."),
            *FILTER_PARAMETERS,
            OpenApiParameter("format", str, enum=TIMESERIES_FORMATS, default="json",
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
        return adoption_timeseries(params)
