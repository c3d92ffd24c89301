"""The map endpoints' formats (DESIGN §4): DRF renderers for JSON, GeoJSON and CSV, and the content
negotiation that picks one from `?format=` or the Accept header.

The renderers turn a map or timeseries payload into bytes; the views keep those bytes in the cache.
The negotiation differs from DRF's default where the contract does: an unknown `?format=` is left to the
parameter validation (a 400 naming the allowed values, not DRF's 404), an Accept header that no renderer
satisfies gets JSON (not a 406), and the Accept header's q-values count (ordered by Django's
`HttpRequest.accepted_types`).
"""

import csv
import io

from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.settings import api_settings

from adoption import geo
from adoption.maps.grains import UNKNOWN


def _geometry(group_by: str, key: str) -> dict | None:
    if key == UNKNOWN:
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


class GeoJSONRenderer(JSONRenderer):
    """A map as a GeoJSON FeatureCollection (map_geojson)."""

    media_type = "application/geo+json"
    format = "geojson"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return super().render(map_geojson(data), accepted_media_type, renderer_context)


class MapCSVRenderer(BaseRenderer):
    """A map as CSV (map_csv), offered as a download."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"
    filename = "adoption-map.csv"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return map_csv(data).encode()


class TimeseriesCSVRenderer(MapCSVRenderer):
    """A timeseries as CSV (timeseries_csv), offered as a download."""

    filename = "adoption-timeseries.csv"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return timeseries_csv(data).encode()


def content_type(renderer: BaseRenderer) -> str:
    """The Content-Type of what `renderer` writes (as DRF's Response would set it)."""
    return f"{renderer.media_type}; charset={renderer.charset}" if renderer.charset else renderer.media_type


class MapContentNegotiation(BaseContentNegotiation):
    """`?format=` names the renderer; without it the Accept header's most preferred media range that a
    renderer has does; failing both, the first renderer (JSON). Reads only `GET` and the headers, so it
    also serves a plain Django request (adoption.middleware.CachedMapMiddleware negotiates before DRF)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        wanted = format_suffix or request.GET.get(api_settings.URL_FORMAT_OVERRIDE)
        if wanted:
            chosen = next((renderer for renderer in renderers if renderer.format == wanted), renderers[0])
        else:
            chosen = next(_by_preference(request, renderers), renderers[0])
        return chosen, chosen.media_type


def _by_preference(request, renderers):
    """The renderers the Accept header takes, most preferred first. Django orders the media ranges by
    q-value, then by how specific they are (dropping q=0); a range's parameters (`text/csv;
    charset=UTF-8`) are not compared: each renderer writes one form only."""
    try:
        media_ranges = request.accepted_types
    except ValueError:  # a media range too long for Django to parse: no preference then
        return
    for media_range in media_ranges:
        for renderer in renderers:
            main_type, _, sub_type = renderer.media_type.partition("/")
            if media_range.main_type in ("*", main_type) and media_range.sub_type in ("*", sub_type):
                yield renderer
