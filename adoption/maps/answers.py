"""The map and timeseries answers (DESIGN §4, a contract) from the rows of `queries`.

    params = MapParams.from_query(request.GET)          # ValidationError({"param": [message]}) when bad
    adoption_map(params) -> dict                         # the JSON of /api/v1/maps/adoption/
    adoption_timeseries(params) -> dict                  # ... and of /api/v1/maps/timeseries/
    cached_answer(params)                                # either, cached by the registry's data version

The API renders the same dicts as CSV and GeoJSON (adoption.api.renderers); the pages draw them.
"""

import contextlib
import hashlib

from django.core.cache import cache
from django.utils import timezone

from adoption import geo
from adoption.localnames import english_country_name
from adoption.services.data_version import data_version

from .grains import UNKNOWN
from .params import MapParams
from .queries import map_rows, timeseries_rows


def _ordered(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _fallback_name(params: MapParams, key: str) -> str:
    if key == UNKNOWN:
        return "Unknown"
    if params.group_by == "country":
        return english_country_name(key)  # (the answer is cached for every language, and the API is English)
    if params.group_by in ("subregion", "region", "intermediate_region"):
        return geo.m49_region_names().get(key, key)
    return key.partition(":")[2]


def adoption_map(params: MapParams) -> dict:
    """The aggregate adoption map (DESIGN §4): groups sorted by total descending, then key.

    With unit=adoptions each published record counts once: a group's total is the sum of its counts.
    With unit=adopters a count is the number of distinct organizations with a record of that split key
    in the group (an adopter on Qwen and Llama counts once under each), a group's total its distinct
    adopters and the top-level total the distinct adopters overall (the home page's figure), so counts
    may add up to more than the total; shares are counts over the group's total, and split_totals the
    adopters having each key overall.
    """
    groups: dict[str, dict] = {}
    group_totals: dict[str, int] = {}
    split_totals: dict[str, int] = {}
    grand_total = None
    for key, name, split_key, count in map_rows(params):
        if key is None:  # distinct adopters overall: per split key, or (split key None) in all
            if split_key is None:
                grand_total = int(count)
            else:
                split_totals[split_key] = int(count)
        elif split_key is None:  # a group's distinct adopters
            group_totals[key] = int(count)
        else:
            group = groups.setdefault(key, {"key": key, "name": name or _fallback_name(params, key), "counts": {}})
            group["counts"][split_key] = int(count)
    summed_splits: dict[str, int] = {}
    out = []
    for group in groups.values():
        counts = _ordered(group["counts"])
        total = group_totals.get(group["key"], sum(counts.values()))
        for split_key, count in counts.items():
            summed_splits[split_key] = summed_splits.get(split_key, 0) + count
        out.append({"key": group["key"], "name": group["name"], "total": total, "counts": counts,
                    "shares": {k: round(v / total, 4) for k, v in counts.items()}})
    out.sort(key=lambda group: (-group["total"], group["key"]))
    if not split_totals:  # one group per adopter (see map_rows): the sums are the totals
        split_totals = summed_splits
    if grand_total is None:
        grand_total = sum(group["total"] for group in out)
    return {
        "group_by": params.group_by, "split": params.split, "unit": params.unit,
        "filters": params.filters_echo(), "as_of": params.as_of.isoformat() if params.as_of else None,
        "generated_at": timezone.now().isoformat(), "total": grand_total,
        "split_totals": _ordered(split_totals), "groups": out,
    }


def _label(period: int, interval: str) -> str:
    if interval == "year":
        return f"{period}"
    if interval == "quarter":
        return f"{period // 10}-Q{period % 10}"
    return f"{period // 100}-{period % 100:02d}"


def _next_period(period: int, interval: str) -> int:
    if interval == "year":
        return period + 1
    if interval == "quarter":
        return period + 1 if period % 10 < 4 else (period // 10 + 1) * 10 + 1
    return period + 1 if period % 100 < 12 else (period // 100 + 1) * 100 + 1


def adoption_timeseries(params: MapParams) -> dict:
    """Counts per period of the start date (DESIGN §4), every period from the first to the last.

    Each entry: {"period": "2025-Q3", "counts": {...}, "cumulative": {...}}, every split key present in
    each. With unit=adoptions a count is the records of that key starting in the period, and cumulative
    their running sum. With unit=adopters a count is the distinct adopters with a record of that key
    starting in the period (an adopter active in two periods counts in both), and cumulative the
    distinct adopters whose first record of that key started by then: each adopter once per key, so the
    last cumulative of a key is the map's split_totals for it (less adopters with undated records only).
    As on the map, one adopter may count under several keys. Records without a start date cannot be
    placed: "undated" says how many records (in either unit) were left out.
    """
    rows, undated = timeseries_rows(params)
    keys = sorted({split_key for _, split_key, _, _ in rows})
    by_period: dict[int, dict[str, tuple[int, int]]] = {}
    for period, split_key, count, fresh in rows:
        by_period.setdefault(period, {})[split_key] = (count, fresh)
    series, running = [], dict.fromkeys(keys, 0)
    if by_period:
        period, last = min(by_period), max(by_period)
        while period <= last:
            cells = by_period.get(period, {})
            counts = {key: cells.get(key, (0, 0))[0] for key in keys}
            for key in keys:
                running[key] += cells.get(key, (0, 0))[1]
            series.append({"period": _label(period, params.interval), "counts": counts, "cumulative": dict(running)})
            period = _next_period(period, params.interval)
    return {
        "interval": params.interval, "split": params.split, "unit": params.unit,
        "filters": params.filters_echo(), "as_of": params.as_of.isoformat() if params.as_of else None,
        "generated_at": timezone.now().isoformat(), "undated": undated, "series": series,
    }


def cached_answer(params: MapParams, *, timeseries: bool = False) -> dict:
    """adoption_map / adoption_timeseries through the cache, keyed by the registry's data version:
    what the pages call, so a page view after an approval still shows it (new version, new key)."""
    kind = "timeseries" if timeseries else "map"
    token, _ = data_version()
    key = "adoption:maps:payload:" + hashlib.sha256(f"{token}|{params.cache_key(kind=kind)}".encode()).hexdigest()
    try:
        payload = cache.get(key)
    except Exception:  # a cache outage costs a recomputation, never an error
        payload = None
    if payload is None:
        payload = adoption_timeseries(params) if timeseries else adoption_map(params)
        with contextlib.suppress(Exception):
            cache.set(key, payload, timeout=24 * 3600)
    return payload
