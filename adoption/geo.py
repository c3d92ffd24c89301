"""Country shapes, centroids and the M49 hierarchy, from files shipped in adoption/data/ (no network).

`manage.py build_geo` converts the Natural Earth TopoJSON (data/geo/countries-50m.json, keyed by ISO
numeric code) once into data/geo/countries.geojson keyed by ISO alpha-2, with RFC 7946 winding and a
label point per country; this module loads it lazily and caches it for the life of the process.
Coordinates are [longitude, latitude] throughout, as GeoJSON writes them.
"""

import csv
import json
import math
from functools import lru_cache
from pathlib import Path

from adoption.geonames import city_coordinates

DATA_DIR = Path(__file__).resolve().parent / "data"
TOPOJSON_PATH = DATA_DIR / "geo" / "countries-50m.json"
GEOJSON_PATH = DATA_DIR / "geo" / "countries.geojson"
M49_PATH = DATA_DIR / "m49_regions.csv"
WORLD = "001"
PRECISION = 3  # decimal places of a degree: about 100 m, finer than the 1:50m source


# --- the M49 hierarchy (no database needed: request validation must not query) ---


@lru_cache(maxsize=1)
def m49_countries() -> dict[str, dict]:
    """iso2 -> {"iso3", "numeric", "region", "subregion", "intermediate"} (codes zero-padded)."""
    with M49_PATH.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))

    def pad(code: str) -> str:
        return code.zfill(3) if code else ""

    return {
        row["iso2"]: {
            "iso3": row["iso3"], "numeric": pad(row["m49"]), "region": pad(row["region_code"]),
            "region_name": row["region_name"], "subregion": pad(row["subregion_code"]),
            "subregion_name": row["subregion_name"], "intermediate": pad(row["intermediate_region_code"]),
            "intermediate_name": row["intermediate_region_name"],
        }
        for row in rows
    }


@lru_cache(maxsize=1)
def m49_region_names() -> dict[str, str]:
    """Every M49 area code any country sits under (world, region, sub-region, intermediate) -> name."""
    names = {WORLD: "World"}
    for row in m49_countries().values():
        for level in ("region", "subregion", "intermediate"):
            if row[level]:
                names[row[level]] = row[f"{level}_name"]
    return names


def region_members(code: str) -> list[str]:
    """ISO alpha-2 codes of the countries in an M49 area of any level."""
    if code == WORLD:
        return sorted(m49_countries())
    return sorted(
        iso2 for iso2, row in m49_countries().items() if code in (row["region"], row["subregion"], row["intermediate"])
    )


def region_countries(codes) -> list[str]:
    """The countries in any of these M49 areas: what a region filter keeps, on the lists and the maps."""
    return sorted({iso2 for code in codes for iso2 in region_members(code)})


# --- shapes ---


@lru_cache(maxsize=1)
def _features() -> dict[str, dict]:
    with GEOJSON_PATH.open(encoding="utf-8") as handle:
        collection = json.load(handle)
    return {feature["id"]: feature for feature in collection["features"]}


def country_features() -> dict[str, dict]:
    """iso2 -> GeoJSON geometry (Polygon or MultiPolygon), for every country with a shape."""
    return {iso2: feature["geometry"] for iso2, feature in _features().items()}


def country_centroid(iso2: str) -> tuple[float, float] | None:
    """(longitude, latitude) of a label point inside the country's largest polygon, or None."""
    feature = _features().get((iso2 or "").upper())
    return tuple(feature["properties"]["centroid"]) if feature else None


@lru_cache(maxsize=512)
def region_centroid(code: str) -> tuple[float, float] | None:
    """Area-weighted mean of the member countries' label points (longitude, latitude), or None."""
    points = [
        (feature["properties"]["centroid"], feature["properties"]["area"])
        for iso2 in region_members(code)
        if (feature := _features().get(iso2))
    ]
    weight = sum(area for _, area in points)
    if not weight:
        return None
    lon = sum(point[0] * area for point, area in points) / weight
    lat = sum(point[1] * area for point, area in points) / weight
    return round(lon, PRECISION), round(lat, PRECISION)


@lru_cache(maxsize=4096)
def city_point(iso2: str, city: str) -> tuple[float, float] | None:
    """(longitude, latitude) of a city from GeoNames, else the country's label point."""
    coords = city_coordinates(city, iso2)
    if coords:
        return round(coords[1], PRECISION), round(coords[0], PRECISION)
    return country_centroid(iso2)


# --- the one-off conversion (manage.py build_geo) ---


def _decode_arcs(topology: dict) -> list[list[list[float]]]:
    transform = topology.get("transform")
    arcs = []
    for arc in topology["arcs"]:
        if transform:
            (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
            x = y = 0
            points = []
            for dx, dy in arc:
                x, y = x + dx, y + dy
                points.append([x * sx + tx, y * sy + ty])
        else:
            points = [list(point) for point in arc]
        arcs.append(points)
    return arcs


def _ring(indexes: list[int], arcs: list) -> list[list[float]]:
    ring: list[list[float]] = []
    for index in indexes:
        points = arcs[index] if index >= 0 else arcs[~index][::-1]
        ring.extend(points if not ring else points[1:])
    return ring


def _signed_area(ring: list[list[float]]) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False)) / 2


def _clean(ring: list[list[float]], *, exterior: bool) -> list[list[float]] | None:
    """Round, drop repeated points, close, and wind as RFC 7946 asks (exterior counter-clockwise)."""
    out: list[list[float]] = []
    for x, y in ring:
        point = [round(x, PRECISION), round(y, PRECISION)]
        if not out or out[-1] != point:
            out.append(point)
    if out and out[0] != out[-1]:
        out.append(list(out[0]))
    if len(out) < 4 or _signed_area(out) == 0:
        return None
    if (_signed_area(out) > 0) != exterior:
        out.reverse()
    return out


def _ring_centroid(ring: list[list[float]]) -> tuple[float, float]:
    area = _signed_area(ring)
    cx = sum((x0 + x1) * (x0 * y1 - x1 * y0) for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False))
    cy = sum((y0 + y1) * (x0 * y1 - x1 * y0) for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False))
    return cx / (6 * area), cy / (6 * area)


def _clip(ring: list[list[float]], limit: float, keep_below: bool) -> list[list[float]]:
    """Sutherland-Hodgman: the part of a closed ring on one side of the meridian x = limit."""

    def inside(point):
        return point[0] <= limit if keep_below else point[0] >= limit

    out = []
    for start, end in zip(ring, ring[1:], strict=False):
        if inside(start):
            out.append(start)
        if inside(start) != inside(end):
            t = (limit - start[0]) / (end[0] - start[0])
            out.append([limit, start[1] + t * (end[1] - start[1])])
    if out and out[0] != out[-1]:
        out.append(list(out[0]))
    return out


def _split_antimeridian(ring: list[list[float]]) -> list[list[list[float]]]:
    """Cut a ring that jumps across the 180th meridian into rings that stay within -180..180 (RFC 7946
    §3.1.9); a ring around a pole (Antarctica) is left as it is."""
    if all(abs(a[0] - b[0]) <= 180 for a, b in zip(ring, ring[1:], strict=False)):
        return [ring]
    unwrapped = [list(ring[0])]
    for x, y in ring[1:]:
        previous = unwrapped[-1][0]
        while x - previous > 180:
            x -= 360
        while previous - x > 180:
            x += 360
        unwrapped.append([x, y])
    if abs(unwrapped[0][0] - unwrapped[-1][0]) > 1e-6:
        return [ring]
    pieces = []
    for low, high, shift in ((-540, -180, 360), (-180, 180, 0), (180, 540, -360)):
        part = _clip(_clip(unwrapped, low, keep_below=False), high, keep_below=True)
        if len(part) >= 4:
            pieces.append([[x + shift, y] for x, y in part])
    return pieces


def _polygons(geometry: dict, arcs: list) -> list[list[list[list[float]]]]:
    raw = [geometry["arcs"]] if geometry["type"] == "Polygon" else geometry["arcs"]
    polygons = []
    for rings in raw:
        decoded = [_ring(indexes, arcs) for indexes in rings]
        exteriors = _split_antimeridian(decoded[0]) if len(decoded) == 1 else decoded[:1]
        for exterior in exteriors:
            cleaned = [_clean(exterior, exterior=True)] + [_clean(hole, exterior=False) for hole in decoded[1:]]
            if cleaned[0] is not None:
                polygons.append([ring for ring in cleaned if ring is not None])
    return polygons


def build_countries_geojson(topojson_path: Path = TOPOJSON_PATH) -> tuple[dict, list[str]]:
    """Convert the world-atlas TopoJSON to a FeatureCollection keyed by ISO alpha-2.

    Returns (collection, skipped) where skipped names the shapes with no ISO code in the M49 table.
    """
    topology = json.loads(Path(topojson_path).read_text(encoding="utf-8"))
    arcs = _decode_arcs(topology)
    by_numeric = {row["numeric"]: iso2 for iso2, row in m49_countries().items()}
    # Several shapes can share one ISO code (Ashmore and Cartier Is. carry Australia's 036): merge them
    # into one feature named after the largest, so no shape overwrites its country.
    shapes: dict[str, dict] = {}
    skipped = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        name = (geometry.get("properties") or {}).get("name", "")
        iso2 = by_numeric.get(str(geometry.get("id", "")).zfill(3))
        if not iso2 or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            skipped.append(f"{geometry.get('id', '-')} {name}".strip())
            continue
        polygons = _polygons(geometry, arcs)
        if not polygons:
            skipped.append(f"{geometry['id']} {name} (too small)")
            continue
        size = sum(abs(_signed_area(p[0])) for p in polygons)
        shape = shapes.setdefault(iso2, {"name": name, "size": 0.0, "numeric": str(geometry["id"]).zfill(3),
                                         "polygons": []})
        if size > shape["size"]:
            shape["name"], shape["size"] = name, size
        shape["polygons"].extend(polygons)
    features = []
    for iso2, shape in shapes.items():
        polygons = shape["polygons"]
        largest = max(polygons, key=lambda polygon: abs(_signed_area(polygon[0])))
        lon, lat = _ring_centroid(largest[0])
        # Planar area in square degrees, shrunk by latitude: good enough to weight region centres.
        area = sum(abs(_signed_area(p[0])) * math.cos(math.radians(_ring_centroid(p[0])[1])) for p in polygons)
        features.append({
            "type": "Feature",
            "id": iso2,
            "properties": {
                "iso2": iso2, "iso_numeric": shape["numeric"], "name": shape["name"],
                "centroid": [round(lon, PRECISION), round(lat, PRECISION)], "area": round(area, 4),
            },
            "geometry": (
                {"type": "Polygon", "coordinates": polygons[0]} if len(polygons) == 1
                else {"type": "MultiPolygon", "coordinates": polygons}
            ),
        })
    features.sort(key=lambda feature: feature["id"])
    return {"type": "FeatureCollection", "features": features}, skipped
