"""The world map as SVG, drawn on the server: no tiles, no script, readable without JavaScript.

Country shapes (Natural Earth via adoption.geo) are projected once with the Equal Earth projection
(Šavrič, Patterson and Jenny, 2018: equal-area, so big countries do not look more important than they
are), simplified to what a 1000-unit-wide drawing can show, and cached. A request only picks colours,
tooltips (`<title>`) and links. Countries too small to see (Singapore, Bahrain, the islands) get a
circle marker when they have figures, so a city-state with eight adoptions is not invisible.
"""

import math
from dataclasses import dataclass, field
from functools import lru_cache

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.translation import gettext, gettext_lazy

from adoption.localnames import english_country_name, place_name

WIDTH = 1000.0
# Equal Earth constants.
_A1, _A2, _A3, _A4 = 1.340264, -0.081106, 0.000893, 0.003796
_M = math.sqrt(3) / 2
_X_MAX = 2.7066297319215575  # projected x of (180, 0)
_SCALE = WIDTH / (2 * _X_MAX)
SIMPLIFY = 0.5  # Douglas-Peucker tolerance in map units (the drawing is 1000 units wide)
SMALL_AREA = 30.0  # map units²: below this a country with figures also gets a marker
NO_DATA = "#e1e5ea"
OCEAN = "#eef3f8"
BORDER = "#ffffff"
SKIP = {"AQ"}  # Antarctica: no adopters, a fifth of the height


def project(lon: float, lat: float) -> tuple[float, float]:
    """Equal Earth: (lon, lat) in degrees -> (x, y) in map units, y downwards, origin at the top left."""
    lam, phi = math.radians(lon), math.radians(max(-90.0, min(90.0, lat)))
    theta = math.asin(_M * math.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = lam * math.cos(theta) / (_M * (_A1 + 3 * _A2 * t2 + t6 * (7 * _A3 + 9 * _A4 * t2)))
    y = theta * (_A1 + _A2 * t2 + t6 * (_A3 + _A4 * t2))
    return (x + _X_MAX) * _SCALE, (1.3173627591574 - y) * _SCALE


@dataclass
class Shape:
    """One country as drawn: its SVG path, projected area and a point inside for markers and labels."""

    iso2: str
    name: str
    d: str
    area: float
    anchor: tuple[float, float]


@dataclass
class Marker:
    """A circle on the map (a small state, or a city when grouping by city)."""

    x: float
    y: float
    r: float
    fill: str
    title: str
    href: str = ""


@dataclass
class Layer:
    """What one request draws: fills and tooltips by ISO alpha-2, links, extra markers and a legend."""

    fills: dict[str, str] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    markers: list[Marker] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (colour, label)
    title: str = field(default_factory=lambda: gettext("World map"))
    description: str = ""


def _simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas-Peucker on a closed ring: keeps the points that matter at this drawing's scale."""
    if len(points) < 4:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    tolerance2 = tolerance * tolerance
    while stack:
        first, last = stack.pop()
        (x0, y0), (x1, y1) = points[first], points[last]
        dx, dy = x1 - x0, y1 - y0
        norm = dx * dx + dy * dy
        worst, index = 0.0, -1
        for i in range(first + 1, last):
            px, py = points[i]
            if norm:
                t = max(0.0, min(1.0, ((px - x0) * dx + (py - y0) * dy) / norm))
                ex, ey = x0 + t * dx - px, y0 + t * dy - py
            else:
                ex, ey = px - x0, py - y0
            distance = ex * ex + ey * ey
            if distance > worst:
                worst, index = distance, i
        if worst > tolerance2:
            keep[index] = True
            stack.extend(((first, index), (index, last)))
    return [point for point, kept in zip(points, keep, strict=True) if kept]


def _ring_path(ring) -> tuple[str, float, float, float]:
    """A closed ring as a relative SVG subpath, with its signed area and centroid sums (shoelace)."""
    projected = [project(lon, lat) for lon, lat in ring]
    # Split the closed ring at its far point so both halves keep their shape under Douglas-Peucker.
    far = max(range(len(projected)), key=lambda i: abs(projected[i][0] - projected[0][0]) + abs(
        projected[i][1] - projected[0][1])) if projected else 0
    points = _simplify(projected[: far + 1], SIMPLIFY)[:-1] + _simplify(projected[far:], SIMPLIFY)
    rounded = []
    for x, y in points:
        point = (round(x, 1), round(y, 1))
        if not rounded or rounded[-1] != point:
            rounded.append(point)
    if len(rounded) > 1 and rounded[0] == rounded[-1]:
        rounded.pop()
    if len(rounded) < 3:
        if not rounded:
            return "", 0.0, 0.0, 0.0
        x, y = rounded[0]
        rounded = [(x - 0.3, y - 0.3), (x + 0.3, y - 0.3), (x, y + 0.3)]
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(rounded, [*rounded[1:], rounded[0]], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    (sx, sy), steps = rounded[0], []
    for (x0, y0), (x1, y1) in zip(rounded, rounded[1:], strict=False):
        steps.append(f"{_num(x1 - x0)} {_num(y1 - y0)}")
    d = f"M{_num(sx)} {_num(sy)}l" + " ".join(steps) + "z"
    return d, area / 2, cx, cy


def _num(value: float) -> str:
    """Shortest text for a coordinate with one decimal: 12.0 -> '12', -0.5 -> '-.5'."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        return "0"
    return text.replace("0.", ".", 1) if text.startswith(("0.", "-0.")) else text


def shape_of(iso2: str, name: str, polygons, centroid: tuple[float, float] | None = None) -> Shape:
    """Project and simplify one country (polygons: [[outer ring, hole, ...], ...] of (lon, lat))."""
    parts, total, biggest = [], 0.0, (0.0, None)
    for polygon in polygons:
        for index, ring in enumerate(polygon):
            d, area, cx, cy = _ring_path(ring)
            if not d:
                continue
            parts.append(d)
            if index == 0:
                total += abs(area)
                if abs(area) > biggest[0] and area:
                    biggest = (abs(area), (cx / (6 * area), cy / (6 * area)))
    anchor = project(*centroid) if centroid else biggest[1] or (0.0, 0.0)
    return Shape(iso2=iso2, name=name, d="".join(parts), area=total, anchor=anchor)


@lru_cache(maxsize=1)
def world() -> tuple[tuple[Shape, ...], tuple[float, float, float, float]]:
    """Every country, projected once per process, and the view box that holds them."""
    from adoption import geo

    shapes = []
    for iso2, geometry in sorted(geo.country_features().items()):
        if iso2 in SKIP:
            continue
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        # (English: cached for the process, whoever asks first.)
        shapes.append(shape_of(iso2, english_country_name(iso2), polygons, geo.country_centroid(iso2)))
    top = project(0, 84)[1]
    bottom = project(0, -58)[1]
    return tuple(shapes), (0.0, top, WIDTH, bottom - top)


def render(layer: Layer, *, standalone: bool = False, element_id: str = "world-map") -> str:
    """The SVG document (standalone: with an XML namespace and a legend drawn inside, for download)."""
    shapes, (x0, y0, width, height) = world()
    legend_height = 28.0 if standalone and layer.legend else 0.0
    # An image's children are hidden from screen readers: a map with links is a group, so each country
    # with figures is a link, named by its figures, that the keyboard reaches.
    role = "group" if layer.links or any(m.href for m in layer.markers) else "img"
    # width and height reserve the map's box (scaled by CSS) before it is drawn: no layout shift.
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x0:.0f} {y0:.0f} {width:.0f} {height + legend_height:.0f}"'
        f' width="{width:.0f}" height="{height + legend_height:.0f}"'
        f' role="{role}" aria-labelledby="{element_id}-title {element_id}-desc" id="{element_id}"'
        ' font-family="system-ui, sans-serif">',
        f'<title id="{element_id}-title">{escape(layer.title)}</title>',
        f'<desc id="{element_id}-desc">{escape(layer.description)}</desc>',
        f'<rect x="{x0:.0f}" y="{y0:.0f}" width="{width:.0f}" height="{height + legend_height:.0f}" fill="{OCEAN}"/>',
        f'<g stroke="{BORDER}" stroke-width="0.5" stroke-linejoin="round">',
    ]
    markers = list(layer.markers)
    drawn = set()
    for shape in shapes:
        fill = layer.fills.get(shape.iso2, NO_DATA)
        title = layer.titles.get(shape.iso2) or place_name(shape.iso2, shape.name)
        path = (f'<path d="{shape.d}" fill="{escape(fill)}" data-iso2="{escape(shape.iso2)}">'
                f"<title>{escape(title)}</title></path>")
        href = layer.links.get(shape.iso2)
        drawn.add(shape.iso2)
        if shape.iso2 in layer.fills and shape.area < SMALL_AREA:
            # Too small to see or click: its marker carries the link (one tab stop per country).
            markers.append(Marker(*shape.anchor, r=4.0, fill=fill, title=title, href=href or ""))
            href = None
        out.append(_link(href, title, path) if href else path)
    out.append("</g>")
    if markers:
        out.append('<g stroke="#10263d" stroke-width="1">')
        for m in markers:
            circle = (f'<circle cx="{m.x:.1f}" cy="{m.y:.1f}" r="{m.r:.1f}" fill="{escape(m.fill)}">'
                      f"<title>{escape(m.title)}</title></circle>")
            out.append(_link(m.href, m.title, circle) if m.href else circle)
        out.append("</g>")
    if legend_height:
        out.append(_legend(layer.legend, x0 + 8, y0 + height + 6))
    out.append("</svg>")
    return "".join(out)


def _link(href: str, title: str, shape: str) -> str:
    """A shape as a link named by its figures (the <title> is the tooltip; not every reader names a link by it)."""
    return f'<a href="{escape(href)}" aria-label="{escape(title)}">{shape}</a>'


def _legend(items: list[tuple[str, str]], x: float, y: float) -> str:
    parts = ['<g font-size="11" fill="#1b1f24">']
    for colour, label in items:
        parts.append(f'<rect x="{x:.0f}" y="{y:.0f}" width="14" height="14" fill="{escape(colour)}" stroke="#8a94a3"/>')
        parts.append(f'<text x="{x + 18:.0f}" y="{y + 11:.0f}">{escape(label)}</text>')
        x += 26 + 6.5 * len(label)
    parts.append("</g>")
    return "".join(parts)


# Colour scales: sequential blues for counts and shares (ColorBrewer), Okabe-Ito for categories
# (distinguishable with colour-vision deficiencies; the legend and tables always give the text).
SEQUENTIAL = ("#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
CATEGORICAL = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#7f7f7f")
OTHER = "#b8bec6"


def count_classes(maximum: int) -> list[tuple[int, int]]:
    """Up to five classes [lo, hi] from 1 to `maximum`, growing geometrically (few records are common)."""
    if maximum < 1:
        return []
    lows = sorted({math.ceil(maximum ** (i / 5)) if i else 1 for i in range(5)})
    return [(lo, (lows[i + 1] - 1) if i + 1 < len(lows) else maximum) for i, lo in enumerate(lows) if lo <= maximum]


def count_colour(value: int, classes: list[tuple[int, int]]) -> str:
    if value <= 0 or not classes:
        return NO_DATA
    palette = SEQUENTIAL[-len(classes):]
    for (_lo, hi), colour in zip(classes, palette, strict=True):
        if value <= hi:
            return colour
    return palette[-1]


# The legend's texts are in the reader's language (numbers too: they are text, not coordinates).
NO_DATA_LABELS = {"adoptions": gettext_lazy("no adoptions"), "adopters": gettext_lazy("no adopters")}


def _no_data(unit: str) -> str:
    """'no adoptions' for a unit key ("adoptions", "adopters"); another word is shown as given."""
    return str(NO_DATA_LABELS.get(unit, unit))


def count_legend(classes: list[tuple[int, int]], unit: str) -> list[tuple[str, str]]:
    palette = SEQUENTIAL[-len(classes):] if classes else ()
    items = [(NO_DATA, _no_data(unit))]
    for (lo, hi), colour in zip(classes, palette, strict=True):
        low, high = number_format(lo, force_grouping=True), number_format(hi, force_grouping=True)
        items.append((colour, low if lo == hi else gettext("%(low)s–%(high)s") % {"low": low, "high": high}))
    return items


SHARE_BREAKS = (0.2, 0.4, 0.6, 0.8, 1.0)


def share_colour(share: float | None) -> str:
    if share is None:
        return NO_DATA
    for limit, colour in zip(SHARE_BREAKS, SEQUENTIAL, strict=True):
        if share <= limit:
            return colour
    return SEQUENTIAL[-1]


def share_legend(unit: str) -> list[tuple[str, str]]:
    items, low = [(NO_DATA, _no_data(unit))], 0
    for limit, colour in zip(SHARE_BREAKS, SEQUENTIAL, strict=True):
        # Translators: a range of percentages in the map legend, e.g. "20–40%".
        items.append((colour, gettext("%(low)s–%(high)s%%") % {"low": low, "high": round(limit * 100)}))
        low = round(limit * 100)
    return items


def category_colours(keys: list[str]) -> dict[str, str]:
    """A stable colour per split key, in the given order (largest first); the rest share 'other' grey."""
    colours = {key: CATEGORICAL[i] for i, key in enumerate(keys[: len(CATEGORICAL) - 1])}
    return colours | dict.fromkeys(keys[len(CATEGORICAL) - 1:], OTHER)
