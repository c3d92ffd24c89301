"""The one aggregate query behind each map or timeseries answer.

Over summary cells or adopter presence rows (with the unfolded deltas added) when a grain holds every
dimension asked for, else over the publication spans: the open ones (the registry now) or, for as_of,
those covering its instant. Every one of them carries the adopter's country, city and kind, so no
query reads the records or joins the organizations.
"""

# SQL here is assembled from fixed fragments only; every value travels as a query parameter.
# ruff: noqa: S608
import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, connections, router
from django.utils.translation import gettext as _

from adoption import geo
from adoption.dates import period_end
from adoption.models import MapSummary, ModelFamily

from .grains import CELL_COLUMNS, GRAINS, NO_SPLIT, PRESENCE_GRAINS, UNKNOWN, Grain, PresenceGrain
from .params import MapParams
from .sql import cells_sql, month_sql, presence_rows_sql


@dataclass
class _Source:
    """Where the counts come from, and the SQL expression of each dimension there."""

    from_sql: str
    from_params: list
    where: list[str]
    params: list
    cols: dict[str, str]
    measure: str
    summary_grain: Grain | None = None  # set when sector/language are one `tag` column of cells
    dates_applied: bool = False  # the since/until bounds are already in from_sql
    presence: bool = False  # rows are (adopter, split value) pairs: counted like records


def _needed_dims(params: MapParams, *, timeseries: bool) -> set[str] | None:
    """Dimensions a summary grain must hold to answer; None when no grain can (sector and language
    together, several values of one of them, or a date bound inside a month)."""
    dims = {"month"} if timeseries else {"country"} | ({"city"} if params.group_by == "city" else set())
    dims |= {"origin_country": {"family"}, "family": {"family"}, "none": set()}.get(params.split, {params.split})
    for name, values in params.filters:
        if name in ("family", "origin_country"):
            dims.add("family")
        elif name in ("region", "country"):
            dims.add("country")
        elif name in ("sector", "language"):
            if len(values) > 1:
                return None
            dims.add(name)
        else:
            dims.add(name)
    if params.since or params.until:
        # A month's last day by the calendar: until=9999-12-31 has no next day to test for a 1st.
        ragged_end = params.until and params.until != period_end(params.until, "month")
        if (params.since and params.since.day != 1) or ragged_end:
            return None
        dims.add("month")
    return dims


def _grain_for(dims: set[str] | None) -> Grain | None:
    if dims is None or ({"sector", "language"} <= dims):
        return None
    fitting = [grain for grain, held in GRAINS.items() if dims <= set(held)]
    return min(fitting, key=lambda grain: (len(GRAINS[grain]), grain)) if fitting else None


def _whole_years_and_months(params: MapParams) -> tuple[str, list]:
    """The cells of a month-aligned date range: its whole years from the year grain, the months before
    and after them from the month grain (both keep the start in `month`: yyyymm and yyyy00)."""
    since = params.since.year * 100 + params.since.month if params.since else None
    until = params.until.year * 100 + params.until.month if params.until else None
    first_year = None if since is None else since // 100 + (0 if since % 100 == 1 else 1)
    last_year = None if until is None else until // 100 - (0 if until % 100 == 12 else 1)
    months, month_args = ["grain = %s", "month > 0"], [int(Grain.MONTH)]
    years, year_args = ["grain = %s", "month > 0"], [int(Grain.YEAR)]
    for op, value in ((">=", since), ("<=", until)):
        if value is not None:
            months.append(f"month {op} %s")
            month_args.append(value)
    if first_year is not None:
        years.append("month >= %s")
        year_args.append(first_year * 100)
    if last_year is not None:
        years.append("month <= %s")
        year_args.append(last_year * 100)
    if first_year is not None and last_year is not None and first_year > last_year:
        years.append("1 = 0")  # no whole year inside the range
    else:  # the months of the whole years are counted by the year cells
        outside = []
        if first_year is not None:
            outside.append("month < %s")
            month_args.append(first_year * 100)
        if last_year is not None:
            outside.append("month > %s")
            month_args.append(last_year * 100 + 12)
        months.append("(" + " OR ".join(outside) + ")" if outside else "1 = 0")
    columns = ", ".join((*CELL_COLUMNS[1:], "n"))
    return (f"(SELECT {columns} FROM ({cells_sql(Grain.YEAR)}) y WHERE {' AND '.join(years)} UNION ALL "
            f"SELECT {columns} FROM ({cells_sql(Grain.MONTH)}) m WHERE {' AND '.join(months)}) s",
            year_args + month_args)


_LOCATION_FILTERS = {"country", "region"}


def _presence_grain(params: MapParams, *, timeseries: bool) -> PresenceGrain | None:
    """The presence grain that counts the adopters of this map, if one can: unit=adopters now, not over
    time, filtered by the adopters' place only."""
    if params.unit != "adopters" or params.as_of is not None or timeseries or params.since or params.until:
        return None
    if any(name not in _LOCATION_FILTERS for name, _ in params.filters):
        return None
    split = "none" if params.split == "adopter_kind" else params.split
    return next(grain for grain, held in PRESENCE_GRAINS.items() if held == split)


def _presence_source(grain: PresenceGrain) -> _Source:
    """One row per adopter and split value of `grain`: the number of rows is the number of adopters."""
    cols = {"country": "p.country", "city": "p.city", "adopter_kind": "p.adopter_kind", "family": "p.family_id",
            "relation": "p.value", "stage": "p.value", "origin": "p.value", "adopter": "p.adopter_id"}
    return _Source(f"({presence_rows_sql([grain])}) p", [], ["p.grain = %s", "p.n > 0"], [int(grain)], cols, "COUNT(*)",
                   presence=True)


def _source(params: MapParams, *, timeseries: bool) -> _Source:
    presence = _presence_grain(params, timeseries=timeseries)
    if presence is not None:
        return _presence_source(presence)
    grain = None
    if params.as_of is None and params.unit == "adoptions":
        grain = _grain_for(_needed_dims(params, timeseries=timeseries))
    if grain is not None:
        cols = {"country": "s.country", "city": "s.city", "adopter_kind": "s.adopter_kind", "family": "s.family_id",
                "relation": "s.relation", "stage": "s.stage", "month": "s.month", "sector": "s.tag",
                "language": "s.tag", "adopter": "NULL"}
        if grain == Grain.MONTH and not timeseries and (params.since or params.until):
            from_sql, from_params = _whole_years_and_months(params)
            return _Source(from_sql, from_params, ["1 = 1"], [], cols, "SUM(s.n)", grain, dates_applied=True)
        return _Source(f"({cells_sql(grain)}) s", [], ["s.grain = %s"], [int(grain)], cols, "SUM(s.n)", grain)
    cols = {"country": "a.country", "city": "a.city", "adopter_kind": "a.adopter_kind", "family": "a.family_id",
            "relation": "a.relation", "stage": "a.stage", "month": month_sql("a.started_on"),
            "sector": "a.sectors", "language": "a.languages", "adopter": "a.adopter_id"}
    measure = "COUNT(DISTINCT a.adopter_id)" if params.unit == "adopters" else "COUNT(*)"
    if params.as_of is None:
        return _Source("adoption_publicationspan a", [], ["a.published_until IS NULL"], [], cols, measure)
    return _Source("adoption_publicationspan a", [],
                   ["a.published_from <= %s", "(a.published_until IS NULL OR a.published_until > %s)"],
                   [params.as_of, params.as_of], cols, measure)


def _in(expr: str, values) -> tuple[str, list]:
    return f"{expr} IN ({', '.join(['%s'] * len(values))})", list(values)


def _json_has_any(expr: str, values) -> tuple[str, list]:
    if connection.vendor == "postgresql":
        return "(" + " OR ".join([f"{expr} @> %s::jsonb"] * len(values)) + ")", [json.dumps([v]) for v in values]
    clause, args = _in("j.value", values)
    return f"EXISTS (SELECT 1 FROM json_each({expr}) j WHERE j.type = 'text' AND {clause})", args


def _family_ids(params: MapParams) -> list[int] | None:
    """Ids of the families the family/origin_country filters allow (one query), None when unfiltered.
    An unknown family slug is a 400, not an empty map."""
    slugs, origins = params.get("family"), params.get("origin_country")
    if not slugs and not origins:
        return None
    rows = ModelFamily.objects.filter(**({"slug__in": slugs} if slugs else {"origin_country_id__in": origins}))
    rows = list(rows.values_list("id", "slug", "origin_country_id"))
    if slugs:
        missing = sorted(set(slugs) - {slug for _, slug, _ in rows})
        if missing:
            raise ValidationError({"family": [_("Unknown family %(value)s.") % {"value": repr(missing[0])}]})
    return [pk for pk, _, origin in rows if not origins or origin in origins]


def _where(params: MapParams, src: _Source) -> tuple[list[str], list]:
    where, args = list(src.where), list(src.params)
    family_ids = _family_ids(params)
    if family_ids is not None:
        if not family_ids:
            where.append("1 = 0")
        else:
            clause, extra = _in(src.cols["family"], family_ids)
            where.append(clause)
            args += extra
    for name in ("relation", "stage", "adopter_kind", "country"):
        if values := params.get(name):
            clause, extra = _in(src.cols[name], values)
            where.append(clause)
            args += extra
    if values := params.get("adopter"):  # not a public parameter: the organization pages' own figures
        clause, extra = _in(src.cols["adopter"], [int(value) for value in values])
        where.append(clause)
        args += extra
    if codes := params.get("region"):
        # The M49 membership of the shipped CSV, as the lists filter by it (adoption.geo).
        clause, extra = _in(src.cols["country"], geo.region_countries(codes))
        where.append(clause if extra else "1 = 0")
        args += extra
    for name in ("sector", "language"):
        if values := params.get(name):
            if src.summary_grain is not None:
                where.append(f"{src.cols[name]} = %s")
                args.append(values[0])
            else:
                clause, extra = _json_has_any(src.cols[name], values)
                where.append(clause)
                args += extra
    if (params.since or params.until) and not src.dates_applied:
        if src.summary_grain is not None:
            where.append("s.month > 0")
            bounds = (("since", ">="), ("until", "<="))
            for name, op in bounds:
                if date := getattr(params, name):
                    where.append(f"s.month {op} %s")
                    args.append(date.year * 100 + date.month)
        else:
            for name, op in (("since", ">="), ("until", "<=")):
                if date := getattr(params, name):
                    where.append(f"a.started_on {op} %s")
                    args.append(date)
    return where, args


def _split_expr(params: MapParams, src: _Source) -> tuple[str, bool]:
    """(split key expression, needs the family join)."""
    if params.split == "origin_country" and src.presence:  # presence rows hold the origin itself
        return f"CASE WHEN {src.cols['origin']} = '' THEN '{UNKNOWN}' ELSE {src.cols['origin']} END", False
    return {
        "origin_country": (f"COALESCE(f.origin_country_id, '{UNKNOWN}')", True),
        "family": (f"COALESCE(f.slug, '{UNKNOWN}')", True),
        "relation": (src.cols["relation"], False),
        "stage": (src.cols["stage"], False),
        "adopter_kind": (f"CASE WHEN {src.cols['adopter_kind']} = '' THEN '{UNKNOWN}' "
                         f"ELSE {src.cols['adopter_kind']} END", False),
        "none": (f"'{NO_SPLIT}'", False),
    }[params.split]


def _group_exprs(params: MapParams, src: _Source) -> tuple[str, str, str]:
    """(group key expression, group name expression, joins)."""
    country = src.cols["country"]
    if params.group_by == "country":
        return (f"CASE WHEN {country} = '' THEN '{UNKNOWN}' ELSE {country} END", "c.name",
                f"LEFT JOIN adoption_country c ON c.iso2 = {country}")
    if params.group_by == "city":
        city = src.cols["city"]
        return (f"CASE WHEN {country} = '' OR {city} = '' THEN '{UNKNOWN}' ELSE {country} || ':' || {city} END",
                f"CASE WHEN {country} = '' OR {city} = '' THEN NULL ELSE {city} END", "")
    # M49 gives some sub-regions intermediate regions (Eastern Africa, the Caribbean, ...): a country outside
    # them is grouped under its sub-region, so every country has a group.
    code = {"subregion": "c.subregion_id", "region": "c.region_id",
            "intermediate_region": "COALESCE(c.intermediate_region_id, c.subregion_id)"}[params.group_by]
    return (f"COALESCE({code}, '{UNKNOWN}')", "r.name",
            f"LEFT JOIN adoption_country c ON c.iso2 = {country} LEFT JOIN adoption_region r ON r.code = {code}")


# A map query reads many rows once: PostgreSQL's JIT compilation would cost it more than it saves, and
# the default work_mem would spill its hash aggregates to disk. Both set for this statement only (SET
# LOCAL in the implicit transaction of a multi-statement query string: still one round trip).
_PG_SETTINGS = "SET LOCAL jit = off; SET LOCAL work_mem = '64MB'; "
# Over the spans (a scan of every published record) a parallel plan pays for its workers' start-up
# many times over; the default costs keep PostgreSQL from choosing one for hash aggregates.
_PG_PARALLEL = "SET LOCAL parallel_setup_cost = 10; SET LOCAL parallel_tuple_cost = 0.001; "


def _run(sql: str, args: list, *, scan: bool = False) -> list[tuple]:
    # Raw SQL, routed as an ORM read of the map tables would be (a read replica may serve it).
    with connections[router.db_for_read(MapSummary)].cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_SETTINGS + (_PG_PARALLEL if scan else "") + sql, args)
            while cursor.description is None and cursor.nextset():
                pass
        else:
            cursor.execute(sql, args)
        return cursor.fetchall()


def _raw_dims(params: MapParams, src: _Source, *, split: bool = True) -> list[str]:
    """The source columns a map groups by before its keys are derived: the adopter's country (and city),
    and (with `split`) the column the split key comes from."""
    dims = ["country", "city"] if params.group_by == "city" else ["country"]
    origin = "origin" if src.presence else "family"
    column = {"origin_country": origin, "family": "family", "none": None}.get(params.split, params.split)
    return dims + ([column] if split and column and column not in dims else [])


# The splits whose key is one per adopter (its kind, or none): its split counts add up to its distinct adopters.
_ONE_KEY_PER_ADOPTER = ("none", "adopter_kind")


def map_rows(params: MapParams) -> list[tuple]:
    """(group key, group name, split key, count) rows of the map: one query (plus the family lookup).

    With unit=adopters a split count is the group's adopters having that key, so the counts of a group
    may add up to more than its adopters: rows with split key None then give each group's distinct
    adopters, and rows with group key None those overall (per split key; with split key None as well, in
    all). Where no such rows come, the totals are the sums of the counts (unit=adoptions, and the splits
    with one key per adopter).
    """
    src = _source(params, timeseries=False)
    where, args = _where(params, src)
    if params.unit == "adopters" and not src.presence:
        return _run(_distinct_adopters_sql(params, src, where), src.from_params + args, scan=True)
    sql, args = _counted_sql(params, src, where), src.from_params + args
    if src.presence and params.split not in _ONE_KEY_PER_ADOPTER:
        # An adopter has one row in the "none" presence grain, in one place: its rows per group are the
        # group's distinct adopters, and those add up to the adopters overall (in the same statement).
        everyone = _presence_source(PresenceGrain.NONE)
        totals_where, totals_args = _where(params, everyone)
        sql += " UNION ALL " + _counted_sql(params, everyone, totals_where, split=False)
        args += everyone.from_params + totals_args
    return _run(sql, args, scan=src.summary_grain is None)


def _counted_sql(params: MapParams, src: _Source, where: list[str], *, split: bool = True) -> str:
    """(group key, name, split key, count) over pre-counted rows (summary cells or presence rows).

    Counted first over the raw columns (few distinct values), then the keys, names and joins are
    derived from those few rows: the costly per-row work (joins, CASE, concatenation) is done per group.
    Without `split`, one row per group with split key NULL."""
    dims = _raw_dims(params, src, split=split)
    outer = _Source("", [], [], [], {dim: f"t.d_{dim}" for dim in src.cols}, "",  # (only `dims` are read)
                    presence=src.presence)
    key, name, joins = _group_exprs(params, outer)
    raw = ", ".join(f"{src.cols[dim]} AS d_{dim}" for dim in dims)
    positions = ", ".join(str(index) for index in range(1, len(dims) + 1))
    inner = f"SELECT {raw}, {src.measure} AS cnt FROM {src.from_sql} WHERE {' AND '.join(where)} GROUP BY {positions}"
    if not split:
        return (f"SELECT {key} AS gk, MAX({name}) AS gn, NULL AS sk, SUM(t.cnt) AS cnt FROM ({inner}) t {joins} "
                "GROUP BY 1 HAVING SUM(t.cnt) > 0")
    split_key, needs_family = _split_expr(params, outer)
    if needs_family:
        joins += f" LEFT JOIN adoption_modelfamily f ON f.id = {outer.cols['family']}"
    return (f"SELECT {key} AS gk, MAX({name}) AS gn, {split_key} AS sk, SUM(t.cnt) AS cnt FROM ({inner}) t {joins} "
            "GROUP BY 1, 3 HAVING SUM(t.cnt) > 0")


def _distinct_adopters_sql(params: MapParams, src: _Source, where: list[str]) -> str:
    """The adopters map over the publication spans: one row per (adopter, its place, split key) once, then
    counted per group and split key, per group, per split key and in all (see map_rows)."""
    split, needs_family = _split_expr(params, src)
    family = f"LEFT JOIN adoption_modelfamily f ON f.id = {src.cols['family']}" if needs_family else ""
    group_raw = _raw_dims(params, src, split=False)
    columns = [f"{src.cols['adopter']} AS d_adopter", *(f"{src.cols[dim]} AS d_{dim}" for dim in group_raw),
               f"{split} AS d_split"]
    inner = (f"SELECT {', '.join(columns)} FROM {src.from_sql} {family} WHERE {' AND '.join(where)} "
             f"GROUP BY {', '.join(str(index) for index in range(1, len(columns) + 1))}")
    outer = _Source("", [], [], [], {dim: f"t.d_{dim}" for dim in group_raw}, "")
    key, name, joins = _group_exprs(params, outer)
    # An adopter is in one place at any instant, so in one group: the group (and overall) totals count it
    # once however many split keys it has. Counted distinct all the same, so a moment's drift in its
    # place (repaired by the hourly check) cannot count it twice.
    adopters = "COUNT(DISTINCT t.d_adopter)"
    return (f"WITH t AS ({inner}) "
            f"SELECT {key} AS gk, MAX({name}) AS gn, t.d_split AS sk, {adopters} AS cnt FROM t {joins} GROUP BY 1, 3 "
            f"UNION ALL SELECT {key}, MAX({name}), NULL, {adopters} FROM t {joins} GROUP BY 1 "
            f"UNION ALL SELECT NULL, NULL, t.d_split, {adopters} FROM t GROUP BY t.d_split "
            f"UNION ALL SELECT NULL, NULL, NULL, {adopters} FROM t")


# --- timeseries ---


def _period_of_month(month: int, interval: str) -> int:
    if interval == "year":
        return month // 100
    if interval == "quarter":
        return (month // 100) * 10 + (month % 100 - 1) // 3 + 1
    return month


def _period_sql(month: str, interval: str) -> str:
    if interval == "year":
        return f"({month}) / 100"
    if interval == "quarter":
        return f"CASE WHEN {month} = 0 THEN 0 ELSE ({month}) / 100 * 10 + (({month}) %% 100 - 1) / 3 + 1 END"
    return month


def timeseries_rows(params: MapParams) -> tuple[list[tuple], int]:
    """([(period, split key, count, newly counted)], undated records) in one query.

    For adoptions `newly counted` equals the count; for adopters it is the adopters whose first
    record of that split key started in the period (so the cumulative line counts each once)."""
    src = _source(params, timeseries=True)
    where, args = _where(params, src)
    split, needs_family = _split_expr(params, src)
    joins = f"LEFT JOIN adoption_modelfamily f ON f.id = {src.cols['family']}" if needs_family else ""
    base = f"FROM {src.from_sql} {joins} WHERE {' AND '.join(where)}"
    month = src.cols["month"]
    if params.unit == "adoptions":
        sql = f"SELECT {month} AS m, {split} AS sk, {src.measure} AS cnt {base} GROUP BY 1, 2"
        buckets: dict[tuple[int, str], int] = {}
        undated = 0
        for m, split_key, count in _run(sql, src.from_params + args):
            if not count:  # a record published and retracted since the last fold: its cells add up to 0
                continue
            if not m:
                undated += int(count)
                continue
            bucket = (_period_of_month(int(m), params.interval), split_key)
            buckets[bucket] = buckets.get(bucket, 0) + int(count)
        return [(p, k, c, c) for (p, k), c in buckets.items()], undated
    period = _period_sql(month, params.interval)
    sql = (
        "SELECT p, sk, COUNT(*), SUM(CASE WHEN p = firstp THEN 1 ELSE 0 END), SUM(recs) FROM ("
        "SELECT p, sk, recs, MIN(CASE WHEN p > 0 THEN p END) OVER (PARTITION BY adopter, sk) AS firstp FROM ("
        f"SELECT a.adopter_id AS adopter, {split} AS sk, {period} AS p, COUNT(*) AS recs {base} GROUP BY 1, 2, 3"
        ") t) u GROUP BY p, sk"
    )
    rows, undated = [], 0
    for p, split_key, active, fresh, records in _run(sql, src.from_params + args):
        if not p:
            undated += int(records)
        else:
            rows.append((int(p), split_key, int(active), int(fresh)))
    return rows, undated
