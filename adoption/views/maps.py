"""The map page, its SVG at its own URL, and the small map of the home page.

The figures come from adoption.maps (the same computation and parameters as the API's
/api/v1/maps/adoption/); adoption.mapdraw draws them. The page works without JavaScript: the filter
form is a GET form. With the page script, changing a filter swaps only the results (X-Map-Partial).
"""

import datetime
import math
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_GET

from adoption import geo, mapdraw, selectors
from adoption.forms import map_form, split_labels
from adoption.localnames import place_name
from adoption.maps import figures
from adoption.maps.answers import adoption_map, cached_answer
from adoption.maps.grains import UNKNOWN
from adoption.maps.params import MapParams
from adoption.selectors.ecosystem import download_shares_by_country

API_PATH = "/api/v1/maps/adoption/"  # contract (DESIGN §4)
TOOLTIP_SPLITS = 4  # split keys named in a tooltip; the table has them all


def _unit_word(unit: str) -> str:
    """What is counted, as a plural noun of the page's language."""
    return _("adopters") if unit == "adopters" else _("adoptions")


def _plural(count: int, unit: str) -> str:
    if unit == "adopters":
        return ngettext("%(count)s adopter", "%(count)s adopters", count) % {"count": count}
    return ngettext("%(count)s adoption", "%(count)s adoptions", count) % {"count": count}


def _group_word(group_by: str) -> str:
    """How the map groups, as in "by country" (the API's group_by values are keys, not words)."""
    return {
        "country": pgettext("map grouped by", "country"), "subregion": pgettext("map grouped by", "sub-region"),
        "region": pgettext("map grouped by", "region"),
        "intermediate_region": pgettext("map grouped by", "intermediate region"),
        "city": pgettext("map grouped by", "city"),
    }[group_by]


def _description(records: str, groups: int, group_by: str) -> str:
    """The map's caption: "4 adoptions in 2 countries." (`records` is _plural's phrase)."""
    texts = {
        "country": ngettext("%(records)s in %(count)s country.", "%(records)s in %(count)s countries.", groups),
        "subregion": ngettext("%(records)s in %(count)s sub-region.", "%(records)s in %(count)s sub-regions.", groups),
        "region": ngettext("%(records)s in %(count)s region.", "%(records)s in %(count)s regions.", groups),
        "intermediate_region": ngettext("%(records)s in %(count)s intermediate region.",
                                        "%(records)s in %(count)s intermediate regions.", groups),
        "city": ngettext("%(records)s in %(count)s city.", "%(records)s in %(count)s cities.", groups),
    }
    return texts[group_by] % {"records": records, "count": groups}


def _group_name(group: dict, group_by: str) -> str:
    """A country or M49 area in the reader's language (the API answers the UN's English names); a city as is."""
    return group["name"] if group_by == "city" else place_name(group["key"], group["name"])


def _split_colours(data: dict) -> dict[str, str]:
    if data["split"] == "origin_country":
        # The same colour per origin country as on every other page.
        colours = figures.origin_colours()
        missing = [key for key in data["split_totals"] if key not in colours]
        return colours | mapdraw.category_colours(missing) if missing else colours
    return mapdraw.category_colours(list(data["split_totals"]))


def _compute(query):
    """(form, api query, map data or None). Bad input leaves errors on the form, never an exception."""
    form = map_form(query)
    if not form.is_valid():
        return form, {}, None
    return form, form.api_query(), adoption_map(MapParams.from_form(form))


def _segments(group: dict, labels: dict, colours: dict) -> list[dict]:
    return [
        {"key": key, "name": labels.get(key, key), "count": count, "share": group["shares"][key],
         "colour": colours.get(key, mapdraw.OTHER)}
        for key, count in group["counts"].items()
    ]


def _tooltip(name: str, group: dict, unit: str, split: str, labels: dict) -> str:
    text = f"{name}: {_plural(group['total'], unit)}"
    if split != "none":
        parts = [f"{labels.get(key, key)} {count} ({round(group['shares'][key] * 100)}%)"
                 for key, count in list(group["counts"].items())[:TOOLTIP_SPLITS]]
        more = len(group["counts"]) - TOOLTIP_SPLITS
        if more > 0:
            # Translators: the end of a map tooltip listing the first few shares: "+3 more".
            parts.append(_("+%(count)s more") % {"count": more})
        text += " — " + ", ".join(parts)
    return text


def build_map(data: dict, colour: str = "total") -> dict:
    """Everything the page shows from one map answer: the SVG, legend, table rows and caption."""
    group_by, unit, split = data["group_by"], data["unit"], data["split"]
    labels = split_labels(split)
    colours = _split_colours(data)
    groups = [g for g in data["groups"] if g["key"] != UNKNOWN]
    unknown = next((g["total"] for g in data["groups"] if g["key"] == UNKNOWN), 0)
    by_share = colour != "total" and colour in labels
    if by_share:
        value_of = {g["key"]: g["shares"].get(colour, 0.0) for g in groups}
        paint = mapdraw.share_colour
        legend = mapdraw.share_legend(_unit_word(unit))
    else:
        value_of = {g["key"]: g["total"] for g in groups}
        classes = mapdraw.count_classes(max(value_of.values(), default=0))
        paint = lambda value: mapdraw.count_colour(value, classes)  # noqa: E731
        legend = mapdraw.count_legend(classes, _unit_word(unit))

    layer = mapdraw.Layer(legend=legend)
    if group_by == "country":
        for g in groups:
            layer.fills[g["key"]] = paint(value_of[g["key"]])
            layer.titles[g["key"]] = _tooltip(_group_name(g, group_by), g, unit, split, labels)
            layer.links[g["key"]] = reverse("adoption:country-detail", kwargs={"iso2": g["key"]})
    elif group_by in ("subregion", "region", "intermediate_region"):
        by_key = {g["key"]: g for g in groups}
        for iso2, row in geo.m49_countries().items():
            code = row["intermediate"] or row["subregion"] if group_by == "intermediate_region" else row[group_by]
            if (g := by_key.get(code)) is not None:
                layer.fills[iso2] = paint(value_of[g["key"]])
                layer.titles[iso2] = _tooltip(_group_name(g, group_by), g, unit, split, labels)
                layer.links[iso2] = f"{reverse('adoption:adoption-list')}?{urlencode({'region': g['key']})}"
    else:  # city: a circle per city, its area growing with the count
        biggest = max((g["total"] for g in groups), default=1)
        for g in groups:
            iso2, _sep, city = g["key"].partition(":")
            point = geo.city_point(iso2, city)
            if point is None:
                continue
            x, y = mapdraw.project(*point)
            layer.markers.append(mapdraw.Marker(
                x, y, r=3 + 9 * math.sqrt(g["total"] / biggest), fill=paint(value_of[g["key"]]),
                title=_tooltip(f"{g['name']} ({iso2})", g, unit, split, labels),
                href=reverse("adoption:country-detail", kwargs={"iso2": iso2}),
            ))

    if by_share:
        what = _("share of %(label)s") % {"label": labels[colour]}
    else:
        what = _("number of %(units)s") % {"units": _unit_word(unit)}
    layer.title = _("Published %(units)s by %(group)s, coloured by %(what)s") % {
        "units": _unit_word(unit), "group": _group_word(group_by), "what": what,
    }
    layer.description = _description(_plural(data["total"], unit), len(groups), group_by)
    rows = [
        {"key": g["key"], "name": _group_name(g, group_by), "total": g["total"],
         "segments": _segments(g, labels, colours),
         "link": layer.links.get(g["key"]) if group_by == "country" else None}
        for g in data["groups"]
    ]
    return {
        "layer": layer, "legend": legend, "rows": rows, "unknown": unknown, "groups": len(groups),
        "split_legend": [
            {"key": key, "name": labels.get(key, key), "count": count, "share": count / (data["total"] or 1),
             "colour": colours.get(key, mapdraw.OTHER)}
            for key, count in data["split_totals"].items()
        ],
        "caption": layer.description, "title": layer.title,
    }


def _month_index(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


def time_slider(form) -> dict | None:
    """The month range the page script's slider moves `until` over: from the first published start date to
    this month, positioned at the form's `until` (the end when there is none). None when nothing is dated."""
    first = selectors.first_start_date()
    if first is None:
        return None
    start, end = _month_index(first), _month_index(datetime.date.today())
    until = form.cleaned_data.get("until") if form.is_valid() else None
    value = end if until is None else min(max(_month_index(until.last), start), end)
    return {"first": f"{first:%Y-%m}", "steps": end - start, "value": value - start,
            "label": _("all dates") if until is None else f"{value // 12}-{value % 12 + 1:02d}"}


@require_GET
def map_page(request):
    """The adoption map with its filter form, legend, split breakdown, figures table and downloads."""
    form, api_query, data = _compute(request.GET)
    context = {"form": form, "data": data, "api_query": api_query, "slider": time_slider(form)}
    if data is not None:
        colour = form.cleaned_data.get("colour") or "total"
        drawn = build_map(data, colour)
        drawn["svg"] = mark_safe(mapdraw.render(drawn["layer"]))  # noqa: S308 -- mapdraw escapes every text
        query = urlencode(api_query)
        context |= {
            "map": drawn,
            "split_label": dict(form.fields["split"].choices)[data["split"]],
            "downloads": {
                "csv": f"{API_PATH}?{urlencode({**api_query, 'format': 'csv'})}",
                "geojson": f"{API_PATH}?{urlencode({**api_query, 'format': 'geojson'})}",
                "json": f"{API_PATH}?{query}" if query else API_PATH,
                "svg": f"{reverse('adoption:map-svg')}?{urlencode({**api_query, 'colour': colour})}",
            },
        }
    status = 200 if data is not None else 400
    if request.headers.get("X-Map-Partial"):
        return render(request, "adoption/_map_results.html", context, status=status)
    # Beside the curated records, the Hub's signal: who the downloads go to, under both attributions.
    context["hub_shares"] = download_shares_by_country()
    return render(request, "adoption/map.html", context, status=status)


@require_GET
def map_svg(request):
    """The map alone as an SVG file (with its legend drawn in), for download or embedding."""
    form, _api_query, data = _compute(request.GET)
    if data is None:
        errors = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in form.errors.items())
        return HttpResponse(_("Bad map parameters. %(errors)s") % {"errors": errors}, status=400,
                            content_type="text/plain; charset=utf-8")
    drawn = build_map(data, form.cleaned_data.get("colour") or "total")
    svg = mapdraw.render(drawn["layer"], standalone=True)
    response = HttpResponse(f'<?xml version="1.0" encoding="UTF-8"?>\n{svg}', content_type="image/svg+xml")
    response["Content-Disposition"] = 'inline; filename="adoption-map.svg"'
    return response


def home_map(request) -> dict:
    """The default map (adoptions by country, coloured by count) for the home page."""
    data = cached_answer(MapParams())  # the answer the headline figures read too
    drawn = build_map(data)
    drawn["svg"] = mark_safe(mapdraw.render(drawn["layer"], element_id="home-map"))  # noqa: S308
    return drawn
