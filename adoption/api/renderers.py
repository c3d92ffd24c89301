"""The map endpoints' formats (DESIGN §4): DRF renderers for JSON, GeoJSON and CSV, and the content
negotiation that picks one from `?format=` or the Accept header; the lists' CSV and NDJSON exports
(adoption.api.exports streams them) share the CSV cell guard and the negotiation.

The renderers turn a map or timeseries payload into bytes; the views keep those bytes in the cache.
The negotiation differs from DRF's default where the contract does: an unknown `?format=` is left to the
parameter validation (a 400 naming the allowed values, not DRF's 404), an Accept header that no renderer
satisfies gets JSON (not a 406), and the Accept header's q-values count (ordered by Django's
`HttpRequest.accepted_types`).
"""

import csv
import io
import json

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import BaseContentNegotiation, DefaultContentNegotiation
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


def _properties(group: dict) -> dict:
    """The group as in the JSON, plus the figures flat (`count_CN`, `share_CN`) for tools that read only
    scalar properties (QGIS, Datawrapper, Flourish)."""
    flat = {f"count_{key}": count for key, count in group["counts"].items()}
    flat |= {f"share_{key}": share for key, share in group["shares"].items()}
    return {**group, **flat}


def map_geojson(payload: dict) -> dict:
    """The map as an RFC 7946 FeatureCollection: one Feature per group (country polygons for
    group_by=country, points otherwise, null geometry for "unknown"); the figures in properties (nested
    and flat) and the map's own fields as foreign members."""
    features = [
        {"type": "Feature", "id": group["key"], "geometry": _geometry(payload["group_by"], group["key"]),
         "properties": _properties(group)}
        for group in payload["groups"]
    ]
    head = {key: value for key, value in payload.items() if key != "groups"}
    return {"type": "FeatureCollection", **head, "features": features}


def _cell(text: str) -> str:
    """Keep spreadsheets from running a name as a formula (CSV injection; a leading tab or carriage return
    can start one too)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


M49_GROUPS = ("subregion", "region", "intermediate_region")


def map_csv(payload: dict) -> str:
    """One row per group and split key: group_key,group_name,split_key,count,share. Grouped by M49 area,
    the text cells are quoted, so a spreadsheet or pandas can keep "035" a code rather than the number 35."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(["group_key", "group_name", "split_key", "count", "share"])
    quoting = csv.QUOTE_NONNUMERIC if payload["group_by"] in M49_GROUPS else csv.QUOTE_MINIMAL
    writer = csv.writer(out, lineterminator="\n", quoting=quoting)
    for group in payload["groups"]:
        for split_key, count in group["counts"].items():
            writer.writerow([_cell(group["key"]), _cell(group["name"]), _cell(split_key), count,
                             group["shares"][split_key]])
    return out.getvalue()


def timeseries_csv(payload: dict) -> str:
    """One row per period and split key: period,split_key,count,cumulative; then, when some records have
    no start date, a last row `undated,,n,` saying how many the periods leave out."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["period", "split_key", "count", "cumulative"])
    for entry in payload["series"]:
        for split_key, count in entry["counts"].items():
            writer.writerow([entry["period"], _cell(split_key), count, entry["cumulative"][split_key]])
    if payload.get("undated"):
        writer.writerow(["undated", "", payload["undated"], ""])
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


class ExportContentNegotiation(MapContentNegotiation, DefaultContentNegotiation):
    """The maps' negotiation for the viewsets whose lists export (adoption.api.exports.ExportMixin). A list
    has no `format` field to validate it, so here an unknown `?format=` is the 400 naming the allowed ones
    (case ignored, as the parameter grammar does). Their writes read bodies as DRF does (its select_parser)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        wanted = format_suffix or request.GET.get(api_settings.URL_FORMAT_OVERRIDE)
        if wanted is None:
            return super().select_renderer(request, renderers, format_suffix)
        chosen = next((renderer for renderer in renderers if renderer.format == wanted.strip().lower()), None)
        if chosen is None:
            allowed = ", ".join(renderer.format for renderer in renderers)
            message = _("Choose one of: %(values)s.") % {"values": allowed}
            raise ValidationError({api_settings.URL_FORMAT_OVERRIDE: [message]})
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


# --- the list exports: CSV and NDJSON written row by row (adoption.api.exports streams them) ---


class ExportRenderer(BaseRenderer):
    """A list written as a file: `stream(rows, columns)` turns the JSON items, a chunk at a time, into
    bytes; `render` writes a whole list the same way (DRF's interface)."""

    charset = "utf-8"

    def stream(self, chunks, columns):
        """Bytes for each chunk (a list of JSON items) of `chunks`, after a header if the format has one."""
        raise NotImplementedError

    def render(self, data, accepted_media_type=None, renderer_context=None):
        view = (renderer_context or {}).get("view")
        return b"".join(self.stream([data], view.export_columns()))


class ListCSVRenderer(ExportRenderer):
    """One row per JSON item with nested objects flattened (`columns` is a exports.Columns); text cells
    guarded against spreadsheet formulas (`_cell`), text quoted and numbers not, so codes such as M49's
    "035" read as text."""

    media_type = "text/csv"
    format = "csv"

    def stream(self, chunks, columns):
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_STRINGS)
        writer.writerow(columns.names)
        for chunk in chunks:
            writer.writerows([_cell(value) if isinstance(value, str) else value for value in columns.row(item)]
                             for item in chunk)
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
        if out.tell():  # the header of an empty list
            yield out.getvalue().encode()


class NDJSONRenderer(ExportRenderer):
    """JSON Lines: each JSON item as it is in the paginated list, one per line."""

    media_type = "application/x-ndjson"
    format = "ndjson"

    def stream(self, chunks, columns):
        encoder = JSONRenderer.encoder_class
        for chunk in chunks:
            yield "".join(json.dumps(item, cls=encoder, ensure_ascii=False, separators=(",", ":")) + "\n"
                          for item in chunk).encode()
