"""Lineage of a staged snapshot, set-based in PostgreSQL: the graph of declared bases, every model's ancestors
(a recursive CTE), cycles, root ancestors, the registry's families and countries.

Everything lives in temporary tables dropped at commit (hub_m and hub_pk come from load.stage); repo ids are
matched case-insensitively (the Hub's are) through their lower-cased keys, nodes by integer ids: a model's is
its line number. A parent absent from the snapshot is a node of its own (a root), with a negative id.

No indexes: every join here is a hash join of a big table against a smaller one, cheaper than building one."""

from dataclasses import dataclass

STEPS = (
    "ANALYZE hub_m", "ANALYZE hub_pk",
    # The parents, once each, with their node: the model of that key, else an outside node (its spelling: the
    # bytewise smallest of those written). A root declares no base.
    """CREATE TEMP TABLE hub_parent ON COMMIT DROP AS
       SELECT p.key, coalesce(m.id, -row_number() OVER (ORDER BY p.key))::integer AS id,
              coalesce(m.repo_id, p.written) AS repo_id, NOT coalesce(m.based, false) AS is_root
       FROM (SELECT key, min(written) AS written FROM hub_pk GROUP BY key) p LEFT JOIN hub_m m ON m.key = p.key""",
    "ANALYZE hub_parent",
    # (A model's parents are distinct already: the parser keeps each repo id once, whatever its case.)
    """CREATE TEMP TABLE hub_e ON COMMIT DROP AS
       SELECT pk.child, pk.child_repo_id, pk.relation, n.id AS parent, n.repo_id AS parent_repo_id,
              n.is_root AS parent_root
       FROM hub_pk pk JOIN hub_parent n ON n.key = pk.key""",
    "ANALYZE hub_e",
    # Every model's ancestors, each marked when it is a root; UNION (not UNION ALL) keeps each pair once, so a
    # cycle ends the recursion.
    """CREATE TEMP TABLE hub_anc ON COMMIT DROP AS
       WITH RECURSIVE anc(model, node, root) AS (
           SELECT child, parent, parent_root FROM hub_e
           UNION
           SELECT anc.model, e.parent, e.parent_root FROM anc JOIN hub_e e ON e.child = anc.node)
       SELECT model, node, root FROM anc""",
    "ANALYZE hub_anc",
    # In a cycle: its own ancestor. Roots unknown: in a cycle, or below one.
    "CREATE TEMP TABLE hub_cycle ON COMMIT DROP AS SELECT model AS id FROM hub_anc WHERE model = node",
    "ANALYZE hub_cycle",
    """CREATE TEMP TABLE hub_unknown ON COMMIT DROP AS
       SELECT id FROM hub_cycle UNION SELECT a.model FROM hub_anc a JOIN hub_cycle c ON c.id = a.node""",
    "ANALYZE hub_unknown",
    # The registry's families: a node is a family's own checkpoint when it is one of the family's catalogue
    # checkpoints, else when it lies under one of its Hub repo prefixes (the longest prefix wins). Nodes: the
    # models, and the parents outside the snapshot (no downloads).
    """CREATE TEMP TABLE hub_prefix ON COMMIT DROP AS
       SELECT f.id AS family_id, lower(p) AS prefix, split_part(lower(p), '/', 1) AS org
       FROM adoption_modelfamily f CROSS JOIN jsonb_array_elements_text(
           CASE jsonb_typeof(f.hub_prefixes) WHEN 'array' THEN f.hub_prefixes ELSE '[]' END) AS p
       WHERE p <> ''""",
    # (Unanalysed, a temporary table is guessed at a thousand rows or more: the models were then sorted to
    # merge-join them with a few prefixes, 3 s at 2M models.)
    "ANALYZE hub_prefix",
    # (One pass over the nodes: each joined to its checkpoint matches and its prefix matches, the best kept.)
    """CREATE TEMP TABLE hub_own ON COMMIT DROP AS
       SELECT o.*, f.origin_country_id AS origin FROM (
           SELECT DISTINCT ON (n.id) n.id, coalesce(c.family_id, p.family_id) AS family_id, n.based, n.downloads
           FROM (SELECT id, key, based, downloads FROM hub_m
                 UNION ALL SELECT id, key, false, NULL FROM hub_parent WHERE id < 0) n
           LEFT JOIN (SELECT lower(repo_id) AS key, family_id FROM adoption_checkpoint) c ON c.key = n.key
           LEFT JOIN hub_prefix p ON p.org = split_part(n.key, '/', 1) AND starts_with(n.key, p.prefix)
           WHERE c.family_id IS NOT NULL OR p.family_id IS NOT NULL
           ORDER BY n.id, c.family_id IS NULL, c.family_id, length(p.prefix) DESC, p.family_id
       ) o JOIN adoption_modelfamily f ON f.id = o.family_id""",
    "ANALYZE hub_own",
    # A family's tree: every other model with one of its own checkpoints among its ancestors (with what the
    # figures count of it).
    """CREATE TEMP TABLE hub_tree ON COMMIT DROP AS
       SELECT DISTINCT a.model, o.family_id FROM hub_anc a JOIN hub_own o ON o.id = a.node
       WHERE NOT EXISTS (SELECT 1 FROM hub_own self WHERE self.id = a.model AND self.family_id = o.family_id)""",
    # (Analysed apart: joined in the same statement, the models were hashed rather than the fewer members.)
    "ANALYZE hub_tree",
    """CREATE TEMP TABLE hub_member ON COMMIT DROP AS
       SELECT t.model, t.family_id, m.relation, m.downloads, m.created_at
       FROM hub_tree t JOIN hub_m m ON m.id = t.model""",
    # A derived model's root ancestors (none known in or below a cycle; a model without a base is its own root)
    # and their origin: one country when every root lies in a family of that origin; else unknown. (The roots
    # come sorted from the subquery, and array_agg keeps its input's order: an ORDER BY in the aggregate sorted
    # each model's one or two roots apart, a third of the step's time.)
    """CREATE TEMP TABLE hub_roots ON COMMIT DROP AS
       SELECT model, array_agg(repo_id) AS roots,
              CASE WHEN min(origin) = max(origin) AND bool_and(origin IS NOT NULL) THEN min(origin) END AS origin
       FROM (SELECT a.model, n.repo_id, o.origin
             FROM hub_anc a JOIN hub_parent n ON n.id = a.node LEFT JOIN hub_own o ON o.id = a.node
             WHERE a.root AND NOT EXISTS (SELECT 1 FROM hub_unknown u WHERE u.id = a.model)
             ORDER BY a.model, n.key) root
       GROUP BY model""",
    # Uploaders: the organization whose Hugging Face handle is the author (one with a country first).
    """CREATE TEMP TABLE hub_uploader ON COMMIT DROP AS
       SELECT DISTINCT ON (lower(hf_handle)) lower(hf_handle) AS handle, country_id AS country
       FROM adoption_organization WHERE hf_handle <> ''
       ORDER BY lower(hf_handle), country_id IS NULL, id""",
    # Fresh statistics, so the figures' and the partitions' joins are planned on the real sizes.
    "ANALYZE hub_member", "ANALYZE hub_roots", "ANALYZE hub_uploader",
)
TABLES = ("hub_m", "hub_pk", "hub_parent", "hub_e", "hub_anc", "hub_cycle", "hub_unknown", "hub_prefix", "hub_own",
          "hub_tree", "hub_member", "hub_roots", "hub_uploader")
COUNTS = "SELECT (SELECT count(*) FROM hub_cycle), (SELECT count(*) FROM hub_unknown)"
CYCLES = "SELECT n.repo_id FROM hub_cycle c JOIN hub_parent n USING (id) ORDER BY n.key LIMIT %s"


@dataclass
class Lineage:
    cycles: int
    roots_unknown: int
    cycle_sample: list[str]


def build(cursor, *, sample: int, timer=None) -> Lineage:
    """Run the lineage steps over hub_m and hub_pk; the counts and models in cycles (a sample). `timer(label)`,
    if given, is a context manager timing each step."""
    for step in STEPS:
        if timer is None:
            cursor.execute(step)
        else:
            with timer(_label(step)):
                cursor.execute(step)
    cursor.execute(COUNTS)
    cycles, unknown = cursor.fetchone()
    cursor.execute(CYCLES, [sample])
    cycle_sample = [repo for (repo,) in cursor.fetchall()]
    return Lineage(cycles, unknown, cycle_sample)


def _label(step: str) -> str:
    words = step.split()
    return " ".join(words[:4] if words[0] == "CREATE" else words[:2])
