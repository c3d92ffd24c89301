"""The figures of a snapshot, computed once at import from the lineage tables (adoption.services.hub.lineage)
in the shapes the API serves them (DESIGN §4, "Ecosystem figures")."""

from collections import defaultdict

ATTRIBUTIONS = ("base_origin", "uploader")
MEASURES = ("downloads", "models")
SHARE_DIGITS = 4

FAMILIES = """
WITH direct AS (
    SELECT o.family_id, count(DISTINCT e.child) AS n FROM hub_e e JOIN hub_own o ON o.id = e.parent
    WHERE NOT EXISTS (SELECT 1 FROM hub_own self WHERE self.id = e.child AND self.family_id = o.family_id)
    GROUP BY o.family_id),
everyone AS (
    SELECT mb.family_id, count(*) AS n,
           count(*) FILTER (WHERE m.relation = 'finetune') AS finetune,
           count(*) FILTER (WHERE m.relation = 'adapter') AS adapter,
           count(*) FILTER (WHERE m.relation = 'quantized') AS quantized,
           count(*) FILTER (WHERE m.relation = 'merge') AS merge
    FROM hub_member mb JOIN hub_m m ON m.id = mb.model GROUP BY mb.family_id),
downloads AS (
    SELECT tree.family_id, sum(coalesce(m.downloads, 0)) AS n
    FROM (SELECT family_id, id FROM hub_own UNION ALL SELECT family_id, model FROM hub_member) tree
    JOIN hub_m m ON m.id = tree.id GROUP BY tree.family_id)
SELECT f.slug, f.origin_country_id, coalesce(d.n, 0), coalesce(a.n, 0), coalesce(a.finetune, 0),
       coalesce(a.adapter, 0), coalesce(a.quantized, 0), coalesce(a.merge, 0), coalesce(dl.n, 0)
FROM adoption_modelfamily f
JOIN (SELECT DISTINCT family_id FROM hub_own) present ON present.family_id = f.id
LEFT JOIN direct d ON d.family_id = f.id LEFT JOIN everyone a ON a.family_id = f.id
LEFT JOIN downloads dl ON dl.family_id = f.id
ORDER BY coalesce(a.n, 0) DESC, f.slug
"""
SHARES = {
    "base_origin": """SELECT o.country, count(*), sum(coalesce(m.downloads, 0)) FROM hub_m m
                      LEFT JOIN hub_origin o ON o.model = m.id GROUP BY o.country""",
    "uploader": """SELECT u.country, count(*), sum(coalesce(m.downloads, 0)) FROM hub_m m
                   LEFT JOIN hub_uploader u ON u.handle = lower(m.author) GROUP BY u.country""",
}
NEW_BY_FAMILY = """
SELECT to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM'), f.slug, count(*)
FROM hub_member mb JOIN hub_m m ON m.id = mb.model JOIN adoption_modelfamily f ON f.id = mb.family_id
WHERE m.created_at IS NOT NULL GROUP BY 1, 2
"""
NEW_TOTALS = """
SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM'), count(*) FROM hub_m
WHERE relation IS NOT NULL AND created_at IS NOT NULL GROUP BY 1
"""
UNDATED = "SELECT count(*) FROM hub_m WHERE relation IS NOT NULL AND created_at IS NULL"


def shares_of(counts: dict[str | None, int]) -> dict:
    """{"total", "shares" by country (largest first), "unknown"} from amounts by country (None: unknown)."""
    total = sum(counts.values())
    known = sorted(((country, n) for country, n in counts.items() if country), key=lambda item: (-item[1], item[0]))
    return {
        "total": total,
        "shares": {country: round(n / total, SHARE_DIGITS) for country, n in known} if total else {},
        "unknown": round(counts.get(None, 0) / total, SHARE_DIGITS) if total else 0.0,
    }


def compute(cursor) -> dict[str, object]:
    """Every figure of the staged snapshot by kind: "families", "shares:<attribution>:<measure>",
    "new-derivatives" (by month)."""
    cursor.execute(FAMILIES)
    figures: dict[str, object] = {"families": [
        {"family": slug, "origin_country": origin,
         "derivatives": {"direct": direct, "all": everyone,
                         "by_relation": {"finetune": finetune, "adapter": adapter, "quantized": quantized,
                                         "merge": merge}},
         "downloads": int(downloads)}
        for slug, origin, direct, everyone, finetune, adapter, quantized, merge, downloads in cursor.fetchall()
    ]}
    for attribution in ATTRIBUTIONS:
        cursor.execute(SHARES[attribution])
        rows = cursor.fetchall()
        for measure in MEASURES:
            counts = {country: int(downloads if measure == "downloads" else models)
                      for country, models, downloads in rows}
            figures[f"shares:{attribution}:{measure}"] = {
                "attribution": attribution, "measure": measure, **shares_of(counts)}
    figures["new-derivatives"] = new_derivatives(cursor)
    return figures


def new_derivatives(cursor) -> dict:
    """New derivatives (models with a declared base) by month of creation: how many, and per family how many
    and what share of the month's (a merge of two families counts in both)."""
    cursor.execute(NEW_TOTALS)
    totals = dict(cursor.fetchall())
    cursor.execute(NEW_BY_FAMILY)
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for period, slug, n in cursor.fetchall():
        counts[period][slug] = n
    cursor.execute(UNDATED)
    (undated,) = cursor.fetchone()
    return {"interval": "month", "periods": [period_entry(period, totals[period], counts[period])
                                             for period in sorted(totals)], "undated": undated}


def period_entry(period: str, total: int, counts: dict[str, int]) -> dict:
    ordered = dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    return {"period": period, "total": total, "families": ordered,
            "shares": {slug: round(n / total, SHARE_DIGITS) for slug, n in ordered.items()}}
