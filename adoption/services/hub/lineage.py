"""Lineage of a staged snapshot, set-based in PostgreSQL: one model per repo id, the graph of declared bases,
every model's ancestors (a recursive CTE), cycles, root ancestors, the registry's families and countries.

Everything lives in temporary tables dropped at commit; repo ids are matched case-insensitively (the Hub's
are) through integer node ids. A parent absent from the snapshot is a node of its own (a root)."""

from dataclasses import dataclass

STEPS = (
    # One model per repo id: the first line that names it; later lines are repeats (malformed).
    # Sorted bytewise (COLLATE "C": the same order as the database's C.UTF-8, code points, but without a
    # strcoll per comparison; ids are in no shown order anyway).
    """CREATE TEMP TABLE hub_m ON COMMIT DROP AS
       SELECT (row_number() OVER (ORDER BY key COLLATE "C"))::integer AS id, s.* FROM (
           SELECT DISTINCT ON (lower(repo_id) COLLATE "C") lower(repo_id) AS key, * FROM hub_stage
           ORDER BY lower(repo_id) COLLATE "C", line) s""",
    "CREATE UNIQUE INDEX ON hub_m (key)",
    # Nodes: the models, then the parents the snapshot does not hold. A root declares no base (has no edge up).
    """CREATE TEMP TABLE hub_n ON COMMIT DROP AS
       SELECT id, key, repo_id, true AS is_model, parents = '{}' AS is_root FROM hub_m
       UNION ALL
       SELECT ((SELECT count(*) FROM hub_m) + row_number() OVER (ORDER BY key))::integer, key, repo_id, false,
              true
       FROM (SELECT DISTINCT ON (lower(p)) lower(p) AS key, p AS repo_id
             FROM hub_m, unnest(parents) AS p
             WHERE NOT EXISTS (SELECT 1 FROM hub_m m WHERE m.key = lower(p))
             ORDER BY lower(p), p) outside""",
    "CREATE UNIQUE INDEX ON hub_n (key)",
    # (A model's parents are distinct already: the parser keeps each repo id once, whatever its case.)
    """CREATE TEMP TABLE hub_e ON COMMIT DROP AS
       SELECT m.id AS child, n.id AS parent, m.relation
       FROM hub_m m CROSS JOIN unnest(m.parents) AS p JOIN hub_n n ON n.key = lower(p)""",
    "CREATE INDEX ON hub_e (child)",
    "ANALYZE hub_m", "ANALYZE hub_n", "ANALYZE hub_e",
    # Every model's ancestors; UNION (not UNION ALL) keeps each pair once, so a cycle ends the recursion.
    """CREATE TEMP TABLE hub_anc ON COMMIT DROP AS
       WITH RECURSIVE anc(model, node) AS (
           SELECT child, parent FROM hub_e
           UNION
           SELECT anc.model, e.parent FROM anc JOIN hub_e e ON e.child = anc.node)
       SELECT model, node FROM anc""",
    "CREATE INDEX ON hub_anc (node)",
    "ANALYZE hub_anc",
    # In a cycle: its own ancestor. Roots unknown: in a cycle, or below one.
    "CREATE TEMP TABLE hub_cycle ON COMMIT DROP AS SELECT model AS id FROM hub_anc WHERE model = node",
    "ANALYZE hub_cycle",
    """CREATE TEMP TABLE hub_unknown ON COMMIT DROP AS
       SELECT id FROM hub_cycle UNION SELECT a.model FROM hub_anc a JOIN hub_cycle c ON c.id = a.node""",
    # Analyzed before hub_roots's anti-join against it is planned, not after.
    "ANALYZE hub_unknown",
    # Root ancestors: ancestors without a base of their own; a model without a base is its own root. (Tested
    # through is_root, not an anti-join on hub_e: that one was estimated at one row, planned as a nested loop
    # over hub_unknown, and took 23 s of the import's 100 at 2M models.)
    """CREATE TEMP TABLE hub_roots ON COMMIT DROP AS
       SELECT a.model, a.node AS root FROM hub_anc a JOIN hub_n n ON n.id = a.node AND n.is_root
       WHERE NOT EXISTS (SELECT 1 FROM hub_unknown u WHERE u.id = a.model)
       UNION ALL
       SELECT m.id, m.id FROM hub_m m WHERE m.parents = '{}'""",
    # The registry's families: a node is a family's own checkpoint when it is one of the family's catalogue
    # checkpoints, else when it lies under one of its Hub repo prefixes (the longest prefix wins).
    """CREATE TEMP TABLE hub_prefix ON COMMIT DROP AS
       SELECT f.id AS family_id, lower(p) AS prefix, split_part(lower(p), '/', 1) AS org
       FROM adoption_modelfamily f CROSS JOIN jsonb_array_elements_text(
           CASE jsonb_typeof(f.hub_prefixes) WHEN 'array' THEN f.hub_prefixes ELSE '[]' END) AS p
       WHERE p <> ''""",
    """CREATE TEMP TABLE hub_own ON COMMIT DROP AS
       SELECT DISTINCT ON (id) id, family_id FROM (
           SELECT n.id, c.family_id, 0 AS prefix_length FROM hub_n n
           JOIN adoption_checkpoint c ON lower(c.repo_id) = n.key
           UNION ALL
           SELECT n.id, p.family_id, length(p.prefix) FROM hub_n n
           JOIN hub_prefix p ON p.org = split_part(n.key, '/', 1) AND left(n.key, length(p.prefix)) = p.prefix
       ) matches ORDER BY id, prefix_length = 0 DESC, prefix_length DESC, family_id""",
    "CREATE UNIQUE INDEX ON hub_own (id)",
    # A family's tree: every other model with one of its own checkpoints among its ancestors.
    """CREATE TEMP TABLE hub_member ON COMMIT DROP AS
       SELECT DISTINCT a.model, o.family_id FROM hub_anc a JOIN hub_own o ON o.id = a.node
       WHERE NOT EXISTS (SELECT 1 FROM hub_own self WHERE self.id = a.model AND self.family_id = o.family_id)""",
    # Origin of a model's roots: one country when every root lies in a family of that origin; else unknown.
    """CREATE TEMP TABLE hub_origin ON COMMIT DROP AS
       SELECT r.model, min(f.origin_country_id) AS country FROM hub_roots r
       LEFT JOIN hub_own o ON o.id = r.root LEFT JOIN adoption_modelfamily f ON f.id = o.family_id
       GROUP BY r.model
       HAVING count(DISTINCT coalesce(f.origin_country_id, '?')) = 1 AND bool_and(f.origin_country_id IS NOT NULL)""",
    # Uploaders: the organization whose Hugging Face handle is the author (one with a country first).
    """CREATE TEMP TABLE hub_uploader ON COMMIT DROP AS
       SELECT DISTINCT ON (lower(hf_handle)) lower(hf_handle) AS handle, country_id AS country
       FROM adoption_organization WHERE hf_handle <> ''
       ORDER BY lower(hf_handle), country_id IS NULL, id""",
    # Fresh statistics, so the figures' and the partitions' joins are planned on the real sizes.
    "ANALYZE hub_roots", "ANALYZE hub_own", "ANALYZE hub_member",
    "ANALYZE hub_origin", "ANALYZE hub_uploader",
)

TABLES = ("hub_stage", "hub_m", "hub_n", "hub_e", "hub_anc", "hub_cycle", "hub_unknown", "hub_roots", "hub_prefix",
          "hub_own", "hub_member", "hub_origin", "hub_uploader")
COUNTS = """SELECT (SELECT count(*) FROM hub_m), (SELECT count(*) FROM hub_e), (SELECT count(*) FROM hub_cycle),
                   (SELECT count(*) FROM hub_unknown)"""
REPEATS = """SELECT s.line, s.repo_id FROM hub_stage s
             WHERE NOT EXISTS (SELECT 1 FROM hub_m m WHERE m.line = s.line) ORDER BY s.line LIMIT %s"""
CYCLES = "SELECT n.repo_id FROM hub_cycle c JOIN hub_n n USING (id) ORDER BY n.key LIMIT %s"


@dataclass
class Lineage:
    models: int
    edges: int
    cycles: int
    roots_unknown: int
    repeats: list[tuple[int, str]]
    cycle_sample: list[str]


def build(cursor, *, staged: int, sample: int) -> Lineage:
    """Run the lineage steps over hub_stage (`staged` rows); the counts, repeated repo ids and models in cycles
    (samples)."""
    for step in STEPS:
        cursor.execute(step)
    cursor.execute(COUNTS)
    models, edges, cycles, unknown = cursor.fetchone()
    repeats = []
    if models < staged:  # else none: spares an anti-join of every staged row (2 s at 2M models)
        cursor.execute(REPEATS, [sample])
        repeats = cursor.fetchall()
    cursor.execute(CYCLES, [sample])
    cycle_sample = [repo for (repo,) in cursor.fetchall()]
    return Lineage(models, edges, cycles, unknown, repeats, cycle_sample)
