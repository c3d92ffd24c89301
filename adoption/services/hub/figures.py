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
    SELECT family_id, count(*) AS n,
           count(*) FILTER (WHERE relation = 'finetune') AS finetune,
           count(*) FILTER (WHERE relation = 'adapter') AS adapter,
           count(*) FILTER (WHERE relation = 'quantized') AS quantized,
           count(*) FILTER (WHERE relation = 'merge') AS merge
    FROM hub_member GROUP BY family_id),
downloads AS (
    SELECT tree.family_id, sum(coalesce(tree.downloads, 0)) AS n
    FROM (SELECT family_id, downloads FROM hub_own UNION ALL SELECT family_id, downloads FROM hub_member) tree
    GROUP BY tree.family_id)
SELECT f.slug, f.origin_country_id, coalesce(d.n, 0), coalesce(a.n, 0), coalesce(a.finetune, 0),
       coalesce(a.adapter, 0), coalesce(a.quantized, 0), coalesce(a.merge, 0), coalesce(dl.n, 0)
FROM adoption_modelfamily f
JOIN (SELECT DISTINCT family_id FROM hub_own) present ON present.family_id = f.id
LEFT JOIN direct d ON d.family_id = f.id LEFT JOIN everyone a ON a.family_id = f.id
LEFT JOIN downloads dl ON dl.family_id = f.id
ORDER BY coalesce(a.n, 0) DESC, f.slug
"""
# Everything else counts models: one pass over the snapshot's models, as imported (its partition), by origin
# and uploader country, whether a derivative, and month of creation.
MODELS = """
SELECT origin_country, uploader_country, relation IS NOT NULL, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM'),
       count(*), sum(coalesce(downloads, 0))
FROM {table} GROUP BY 1, 2, 3, 4
"""
NEW_BY_FAMILY = """
SELECT to_char(mb.created_at AT TIME ZONE 'UTC', 'YYYY-MM'), f.slug, count(*)
FROM hub_member mb JOIN adoption_modelfamily f ON f.id = mb.family_id
WHERE mb.created_at IS NOT NULL GROUP BY 1, 2
"""


def shares_of(counts: dict[str | None, int]) -> dict:
    """{"total", "shares" by country (largest first), "unknown"} from amounts by country (None: unknown)."""
    total = sum(counts.values())
    known = sorted(((country, n) for country, n in counts.items() if country), key=lambda item: (-item[1], item[0]))
    return {
        "total": total,
        "shares": {country: round(n / total, SHARE_DIGITS) for country, n in known} if total else {},
        "unknown": round(counts.get(None, 0) / total, SHARE_DIGITS) if total else 0.0,
    }


def compute(cursor, models_table: str) -> dict[str, object]:
    """Every figure of the snapshot by kind: "families", "shares:<attribution>:<measure>", "new-derivatives" (by
    month), from the lineage's tables and the snapshot's models in `models_table`."""
    cursor.execute(FAMILIES)
    figures: dict[str, object] = {"families": [
        {"family": slug, "origin_country": origin,
         "derivatives": {"direct": direct, "all": everyone,
                         "by_relation": {"finetune": finetune, "adapter": adapter, "quantized": quantized,
                                         "merge": merge}},
         "downloads": int(downloads)}
        for slug, origin, direct, everyone, finetune, adapter, quantized, merge, downloads in cursor.fetchall()
    ]}
    cursor.execute(MODELS.format(table=models_table))
    groups = cursor.fetchall()
    for attribution in ATTRIBUTIONS:
        for measure in MEASURES:
            counts: dict[str | None, int] = defaultdict(int)
            for origin, uploader, _derived, _month, models, downloads in groups:
                counts[origin if attribution == "base_origin" else uploader] += int(
                    downloads if measure == "downloads" else models)
            figures[f"shares:{attribution}:{measure}"] = {
                "attribution": attribution, "measure": measure, **shares_of(counts)}
    figures["new-derivatives"] = new_derivatives(cursor, groups)
    return figures


def new_derivatives(cursor, groups) -> dict:
    """New derivatives (models with a declared base) by month of creation: how many, and per family how many
    and what share of the month's (a merge of two families counts in both)."""
    totals: dict[str, int] = defaultdict(int)
    undated = 0
    for _origin, _uploader, derived, month, models, _downloads in groups:
        if derived and month is None:
            undated += models
        elif derived:
            totals[month] += models
    cursor.execute(NEW_BY_FAMILY)
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for period, slug, n in cursor.fetchall():
        counts[period][slug] = n
    return {"interval": "month", "periods": [period_entry(period, totals[period], counts[period])
                                             for period in sorted(totals)], "undated": undated}


def period_entry(period: str, total: int, counts: dict[str, int]) -> dict:
    ordered = dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    return {"period": period, "total": total, "families": ordered,
            "shares": {slug: round(n / total, SHARE_DIGITS) for slug, n in ordered.items()}}
