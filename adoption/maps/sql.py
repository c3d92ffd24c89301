"""The SQL fragments the map modules share: counting cells and presence rows over records or deltas,
reading the summary and presence with the unfolded deltas added, and the upserts a fold writes with.

Each fragment is built from fixed text and grain numbers only; values travel as query parameters.
"""

# ruff: noqa: S608
from django.db import connection

from adoption.choices import Status

from .grains import CELL_COLUMNS, GRAINS, PRESENCE_COLUMNS, PRESENCE_KEY, SPAN_VALUES, TAG_MAX, Grain, PresenceGrain

SPAN_COLUMNS = ", ".join(SPAN_VALUES)
# The span values of a published record (a: adoption_adoption, o: adoption_organization).
SPAN_SELECT = ("a.adopter_id, COALESCE(o.country_id, ''), o.city, o.kind, a.family_id, a.relation, a.stage, "
               "a.started_on, a.sectors, a.languages")

UPSERT = (
    f"INSERT INTO adoption_mapsummary ({', '.join(CELL_COLUMNS)}, n) {{rows}} "
    f"ON CONFLICT ({', '.join(CELL_COLUMNS)}) DO UPDATE SET n = adoption_mapsummary.n + excluded.n"
)
# The adopter's place is refreshed on every upsert, so a row brought back from n = 0 is never stale.
PRESENCE_UPSERT = (
    f"INSERT INTO adoption_adopterpresence ({', '.join(PRESENCE_COLUMNS)}, n) {{rows}} "
    f"ON CONFLICT ({', '.join(PRESENCE_KEY)}) DO UPDATE SET n = adoption_adopterpresence.n + excluded.n, "
    "country = excluded.country, city = excluded.city, adopter_kind = excluded.adopter_kind"
)


def month_sql(column: str, vendor: str | None = None) -> str:
    """yyyymm of a date column as an integer, 0 when it is NULL."""
    if (vendor or connection.vendor) == "postgresql":
        return f"COALESCE(EXTRACT(YEAR FROM {column})::int * 100 + EXTRACT(MONTH FROM {column})::int, 0)"
    return f"COALESCE(CAST(strftime('%%Y%%m', {column}) AS INTEGER), 0)"


def _tag_join(vendor: str, column: str) -> tuple[str, str]:
    """(join clause, tag expression) exploding a JSON list column into its string items."""
    if vendor == "postgresql":
        return (
            f"CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof({column}) = 'array' "
            f"THEN {column} ELSE '[]'::jsonb END) AS e(item)",
            f"LEFT(e.item #>> '{{}}', {TAG_MAX})",
        )
    return f"JOIN json_each(CASE WHEN json_type({column}) = 'array' THEN {column} ELSE '[]' END) AS e", (
        f"substr(e.value, 1, {TAG_MAX})"
    )


# The columns of the published records for `cells_select` (a: adoption_adoption, o: its adopter).
RECORDS = {"from": "adoption_adoption a JOIN adoption_organization o ON o.id = a.adopter_id",
           "where": f"a.status = '{Status.PUBLISHED}'", "country": "COALESCE(o.country_id, '')", "city": "o.city",
           "adopter_kind": "o.kind", "family_id": "a.family_id", "relation": "a.relation", "stage": "a.stage",
           "started_on": "a.started_on", "sectors": "a.sectors", "languages": "a.languages", "count": "COUNT(*)",
           # a list naming one sector twice still counts the record once
           "count_distinct": "COUNT(DISTINCT a.id)"}


def delta_source(source: str) -> dict[str, str]:
    """The columns of deltas (`source`: a table or subquery) for `cells_select`: signed counts."""
    return {"from": f"{source} d", "where": "1 = 1", "country": "d.country", "city": "d.city",
            "adopter_kind": "d.adopter_kind", "family_id": "d.family_id", "relation": "d.relation",
            "stage": "d.stage", "started_on": "d.started_on", "sectors": "d.sectors", "languages": "d.languages",
            "count": "SUM(d.sign)",
            # a list naming one sector twice still counts its record once
            "count_distinct": "COUNT(DISTINCT CASE WHEN d.sign > 0 THEN d.id END) "
                              "- COUNT(DISTINCT CASE WHEN d.sign < 0 THEN d.id END)"}


def cells_select(vendor: str, grain: Grain, src: dict[str, str]) -> str:
    """SELECT (CELL_COLUMNS, n) of the cells of one grain counted over `src` (RECORDS: the ground truth;
    or `delta_source`: the deltas)."""
    dims = GRAINS[grain]
    month = month_sql(src["started_on"], vendor)
    exprs = {
        "country": src["country"] if "country" in dims else "''",
        "city": src["city"] if "city" in dims else "''",
        "adopter_kind": src["adopter_kind"] if "adopter_kind" in dims else "''",
        "family_id": src["family_id"] if "family" in dims else "0",
        "relation": src["relation"] if "relation" in dims else "''",
        "stage": src["stage"] if "stage" in dims else "''",
        "month": month if "month" in dims else f"({month}) / 100 * 100" if "year" in dims else "0",
        "tag": "''",
    }
    join, where, measure = "", "", src["count"]
    if "sector" in dims or "language" in dims:
        join, exprs["tag"] = _tag_join(vendor, src["sectors" if "sector" in dims else "languages"])
        where = " AND " + ("jsonb_typeof(e.item) = 'string'" if vendor == "postgresql" else "e.type = 'text'")
        measure = src["count_distinct"]
    columns = ", ".join(f"{exprs[col]} AS {col}" for col in CELL_COLUMNS[1:])
    return (f"SELECT {int(grain)} AS grain, {columns}, {measure} AS n FROM {src['from']} {join} "
            f"WHERE {src['where']}{where} GROUP BY {', '.join(str(i) for i in range(2, 10))}")


# The column types of the summary and presence tables. The delta rows a reader adds are cast to them:
# only a UNION ALL whose branches agree in type is flattened by PostgreSQL, so that the reader's filters
# reach the table's indexes (and its index-only scans) instead of being applied to the whole grain.
_TYPES = {"grain": "smallint", "adopter_id": "bigint", "family_id": "bigint", "month": "integer", "n": "integer"}


def _typed(select: str, columns) -> str:
    """`select` (naming its columns) with each column cast to the type of the stored tables."""
    casts = ", ".join(f"CAST(x.{column} AS {_TYPES.get(column, 'varchar')}) AS {column}" for column in columns)
    return f"SELECT {casts} FROM ({select}) x"


def cells_sql(grain: Grain) -> str:
    """The summary cells of one grain with the unfolded deltas added (rows may repeat a cell: readers
    sum them)."""
    columns = (*CELL_COLUMNS, "n")
    delta = cells_select(connection.vendor, grain, delta_source("adoption_mapdelta"))
    return (f"SELECT {', '.join(columns)} FROM adoption_mapsummary WHERE grain = {int(grain)} "
            f"UNION ALL {_typed(delta, columns)}")


# Presence grain -> (family_id, value) of a record or delta aliased {t}; f: the family (its origin).
PRESENCE_VALUE = {
    PresenceGrain.FAMILY: ("{t}.family_id", "''"),
    PresenceGrain.ORIGIN_COUNTRY: ("0", "COALESCE(f.origin_country_id, '')"),
    PresenceGrain.RELATION: ("0", "{t}.relation"),
    PresenceGrain.STAGE: ("0", "{t}.stage"),
    PresenceGrain.NONE: ("0", "''"),
}


def delta_presence_select(grains, source: str = "adoption_mapdelta") -> str:
    """The presence deltas (PRESENCE_COLUMNS, n) of `grains`: one row per key, its deltas summed, with
    the adopter's place of the newest delta (a moved adopter's deltas leave the old place, enter the new)."""
    raw = " UNION ALL ".join(
        "SELECT {g} AS grain, d.adopter_id, {family} AS family_id, {value} AS value, d.country, d.city, "
        "d.adopter_kind, d.sign, d.id FROM {source} d LEFT JOIN adoption_modelfamily f ON f.id = d.family_id".format(
            g=int(grain), family=PRESENCE_VALUE[grain][0].format(t="d"),
            value=PRESENCE_VALUE[grain][1].format(t="d"), source=source)
        for grain in grains)
    columns = ", ".join(f"k.{column}" for column in PRESENCE_COLUMNS)
    return (f"SELECT {columns}, k.n FROM (SELECT r.*, SUM(r.sign) OVER w AS n, "
            "ROW_NUMBER() OVER (PARTITION BY r.grain, r.adopter_id, r.family_id, r.value ORDER BY r.id DESC) AS rn "
            f"FROM ({raw}) r WINDOW w AS (PARTITION BY r.grain, r.adopter_id, r.family_id, r.value)) k WHERE k.rn = 1")


def presence_rows_sql(grains) -> str:
    """The presence rows of `grains` as a fold would leave them: stored rows, those the unfolded deltas
    touch with the deltas added (columns PRESENCE_COLUMNS and n)."""
    listed = ", ".join(str(int(grain)) for grain in grains)
    delta = delta_presence_select(grains)
    key = ", ".join(PRESENCE_KEY)
    match = " AND ".join(f"p.{column} = k.{column}" for column in PRESENCE_KEY)
    touched = (f"SELECT {', '.join(f'k.{column}' for column in PRESENCE_COLUMNS)}, COALESCE(p.n, 0) + k.n AS n "
               f"FROM ({delta}) k LEFT JOIN adoption_adopterpresence p ON {match}")
    return (f"SELECT {', '.join(PRESENCE_COLUMNS)}, n FROM adoption_adopterpresence WHERE grain IN ({listed}) "
            f"AND ({key}) NOT IN (SELECT {key} FROM ({delta}) k0) UNION ALL "
            f"{_typed(touched, (*PRESENCE_COLUMNS, 'n'))}")
