"""Publication spans: what `as_of` and the maps no summary grain answers read (adoption.models.PublicationSpan).

The spans are filled from the records' history (one per history row that shows a record published,
until its next row), which is what as_of read until now; the history index that served it is dropped.
The per-adopter cells are dropped: `unit=adopters` counts distinct adopters over the open spans.
A summary grain of whole years (10) joins the month grain for date ranges; the summary is refilled.
"""

from django.db import migrations, models

HISTORY_INDEX = "adoption_hist_asof"

# The SQL this migration ran when it was written, frozen here so that later changes to the map code
# cannot change what it does. Every statement runs with an empty parameter list: the SQLite backend
# then turns '%%' into '%'.
# One span per history row that shows a record published, until the record's next history row.
SPANS_FROM_HISTORY = (
    "INSERT INTO adoption_publicationspan (adoption_id, published_from, published_until, adopter_id, "
    "country, city, adopter_kind, family_id, relation, stage, started_on, sectors, languages) SELECT "
    "h.id, h.history_date, h.next_date, h.adopter_id, COALESCE(o.country_id, ''), o.city, o.kind, "
    "h.family_id, h.relation, h.stage, h.started_on, h.sectors, h.languages FROM (SELECT h.*, "
    "LEAD(h.history_date) OVER (PARTITION BY h.id ORDER BY h.history_date, h.history_id) AS next_date "
    "FROM adoption_historicaladoption h) h JOIN adoption_organization o ON o.id = h.adopter_id WHERE "
    "h.status = 'published' AND h.history_type <> '-'"
)
# Refills the summary from the published records (one INSERT per grain), per database vendor.
SUMMARY_REFILL = {
    "postgresql": (
        "DELETE FROM adoption_mapsummary",
        (
            "INSERT INTO adoption_mapsummary (grain, country, city, adopter_kind, family_id, relation, "
            "stage, month, tag, n) SELECT 1 AS grain, COALESCE(o.country_id, '') AS country, '' AS city, "
            "'' AS adopter_kind, a.family_id AS family_id, '' AS relation, '' AS stage, 0 AS month, '' "
            "AS tag, COUNT(*) AS n FROM adoption_adoption a JOIN adoption_organization o ON o.id = "
            "a.adopter_id  WHERE a.status = 'published' GROUP BY 2, 3, 4, 5, 6, 7, 8, 9"
        ),
        (
            "INSERT INTO adoption_mapsummary (grain, country, city, adopter_kind, family_id, relation, "
            "stage, month, tag, n) SELECT 2 AS grain, COALESCE(o.country_id, '') AS country, '' AS city, "
            "'' AS adopter_kind, a.family_id AS family_id, a.relation AS relation, '' AS stage, 0 AS "
            "month, '' AS tag, COUNT(*) AS n FROM adoption_adoption a JOIN adoption_organization o ON "
            "o.id = a.adopter_id  WHERE a.status = 'published' GROUP BY 2, 3, 4, 5, 6, 7, 8, 9"
        ),
        (
            "INSERT INTO adoption_mapsummary (grain, country, city, adopter_kind, family_id, relation, "
            "stage, month, tag, n) SELECT 3 AS grain, COALESCE(o.country_id, '') AS country, '' AS city, "
            "'' AS adopter_kind, a.family_id AS family_id, '' AS relation, a.stage AS stage, 0 AS month, "
            "'' AS tag, COUNT(*) AS n FROM adoption_adoption a JOIN adoption_organization o ON o.id = "
            "a.adopter_id  WHERE a.status = 'published' GROUP BY 2, 3, 4, 5, 6, 7, 8, 9"
        ),
        (
            "INSERT INTO adoption_mapsummary (grain, country, city, adopter_kind, family_id, relation, "
            "stage, month, tag, n) SELECT 4 AS grain, COALESCE(o.country_id, '') AS country, '' AS city, "
            "o.kind AS adopter_kind, a.family_id AS family_id, '' AS relation, '' AS stage, 0 AS month, "
            "'' AS tag, COUNT(*) AS n FROM adoption_adoption a JOIN adoption_organization o ON o.id = "
            "a.adopter_id  WHERE a.status = 'published' GROUP BY 2, 3, 4, 5, 6, 7, 8, 9"
        ),
        (
            "INSERT INTO adoption_mapsummary (grain, country, city, adopter_kind, family_id, relation, "
            "stage, month, tag, n) SELECT 5 AS grain, COALESCE(o.country_id, '') AS country, o.city AS "
            "city, '' AS adopter_kind, a.family_id AS family_id, '' AS relation, '' AS stage, 0 AS "
            "month, '' AS tag, COUNT(*) AS n FROM adoption_adoption a JOIN adoption_organization o ON "
            "o.id = a.adopter_id  WHERE a.status = 'published' GROUP BY 2, 3, 4, 5, 6, 7, 8, 9"
        ),
        (
            "INSERT INTO adoption_mapsummary (grain, country, city, adopter_kind, family_id, relation, "
            "stage, month, tag, n) SELECT 6 AS grain, COALESCE(o.country_id, '') AS country, '' AS city, "
            "'' AS adopter_kind, a.family_id AS family_id, '' AS relation, '' AS stage, "
            "COALESCE(EXTRACT(YEAR FROM a.started_on)::int * 100 + EXTRACT(MONTH FROM "
            "a.started_on)::int, 0) AS month, '' AS tag, COUNT(*) AS n FROM adoption_adoption a JOIN "
            "adoption_organization o ON o.id = a.adopter_id  WHERE a.status = 'published' GROUP BY 2, 3, "
            "4, 5, 6, 7, 8, 9"
        ),
        (
            "INSERT INTO adoption_mapsummary (grain, country, city, adopter_kind, family_id, relation, "
            "stage, month, tag, n) SELECT 7 AS grain, COALESCE(o.country_id, '') AS country, '' AS city, "
            "'' AS adopter_kind, a.family_id AS family_id, '' AS relation, '' AS stage, 0 AS month, "
            "LEFT(e.item #>> '{}', 100) AS tag, COUNT(DISTINCT a.id) AS n FROM adoption_adoption a JOIN "
            "adoption_organization o ON o.id = a.adopter_id CROSS JOIN LATERAL jsonb_array_elements(CASE "
            "WHEN jsonb_typeof(a.sectors) = 'array' THEN a.sectors ELSE '[]'::jsonb END) AS e(item) "
            "WHERE a.status = 'published' AND jsonb_typeof(e.item) = 'string' GROUP BY 2, 3, 4, 5, 6, 7, "
            "8, 9"
        ),
        (
            "INSERT INTO adoption_mapsummary (grain, country, city, adopter_kind, family_id, relation, "
            "stage, month, tag, n) SELECT 8 AS grain, COALESCE(o.country_id, '') AS country, '' AS city, "
            "'' AS adopter_kind, a.family_id AS family_id, '' AS relation, '' AS stage, 0 AS month, "
            "LEFT(e.item #>> '{}', 100) AS tag, COUNT(DISTINCT a.id) AS n FROM adoption_adoption a JOIN "
            "adoption_organization o ON o.id = a.adopter_id CROSS JOIN LATERAL jsonb_array_elements(CASE "
            "WHEN jsonb_typeof(a.languages) = 'array' THEN a.languages ELSE '[]'::jsonb END) AS e(item) "
            "WHERE a.status = 'published' AND jsonb_typeof(e.item) = 'string' GROUP BY 2, 3, 4, 5, 6, 7, "
            "8, 9"
        ),
        (
            "INSERT INTO adoption_mapsummary (grain, country, city, adopter_kind, family_id, relation, "
            "stage, month, tag, n) SELECT 10 AS grain, COALESCE(o.country_id, '') AS country, '' AS "
            "city, '' AS adopter_kind, a.family_id AS family_id, '' AS relation, '' AS stage, "
            "(COALESCE(EXTRACT(YEAR FROM a.started_on)::int * 100 + EXTRACT(MONTH FROM "
            "a.started_on)::int, 0)) / 100 * 100 AS month, '' AS tag, COUNT(*) AS n FROM "
            "adoption_adoption a JOIN adoption_organization o ON o.id = a.adopter_id  WHERE a.status = "
            "'published' GROUP BY 2, 3, 4, 5, 6, 7, 8, 9"
        ),
    ),
    "sqlite": (
        "DELETE FROM adoption_mapsummary",
        (
            "INSERT INTO adoption_mapsummary (grain, country, city, adopter_kind, family_id, relation, "
            "stage, month, tag, n) SELECT 1 AS grain, COALESCE(o.country_id, '') AS country, '' AS city, "
            "'' AS adopter_kind, a.family_id AS family_id, '' AS relation, '' AS stage, 0 AS month, '' "
            "AS tag, COUNT(*) AS n FROM adoption_adoption a JOIN adoption_organization o ON o.id = "
            "a.adopter_id  WHERE a.status = 'published' GROUP BY 2, 3, 4, 5, 6, 7, 8, 9"
        ),
        (
            "INSERT INTO adoption_mapsummary (grain, country, city, adopter_kind, family_id, relation, "
            "stage, month, tag, n) SELECT 2 AS grain, COALESCE(o.country_id, '') AS country, '' AS city, "
            "'' AS adopter_kind, a.family_id AS family_id, a.relation AS relation, '' AS stage, 0 AS "
            "month, '' AS tag, COUNT(*) AS n FROM adoption_adoption a JOIN adoption_organization o ON "
            "o.id = a.adopter_id  WHERE a.status = 'published' GROUP BY 2, 3, 4, 5, 6, 7, 8, 9"
        ),
        (
            "INSERT INTO adoption_mapsummary (grain, country, city, adopter_kind, family_id, relation, "
            "stage, month, tag, n) SELECT 3 AS grain, COALESCE(o.country_id, '') AS country, '' AS city, "
            "'' AS adopter_kind, a.family_id AS family_id, '' AS relation, a.stage AS stage, 0 AS month, "
            "'' AS tag, COUNT(*) AS n FROM adoption_adoption a JOIN adoption_organization o ON o.id = "
            "a.adopter_id  WHERE a.status = 'published' GROUP BY 2, 3, 4, 5, 6, 7, 8, 9"
        ),
        (
            "INSERT INTO adoption_mapsummary (grain, country, city, adopter_kind, family_id, relation, "
            "stage, month, tag, n) SELECT 4 AS grain, COALESCE(o.country_id, '') AS country, '' AS city, "
            "o.kind AS adopter_kind, a.family_id AS family_id, '' AS relation, '' AS stage, 0 AS month, "
            "'' AS tag, COUNT(*) AS n FROM adoption_adoption a JOIN adoption_organization o ON o.id = "
            "a.adopter_id  WHERE a.status = 'published' GROUP BY 2, 3, 4, 5, 6, 7, 8, 9"
        ),
        (
            "INSERT INTO adoption_mapsummary (grain, country, city, adopter_kind, family_id, relation, "
            "stage, month, tag, n) SELECT 5 AS grain, COALESCE(o.country_id, '') AS country, o.city AS "
            "city, '' AS adopter_kind, a.family_id AS family_id, '' AS relation, '' AS stage, 0 AS "
            "month, '' AS tag, COUNT(*) AS n FROM adoption_adoption a JOIN adoption_organization o ON "
            "o.id = a.adopter_id  WHERE a.status = 'published' GROUP BY 2, 3, 4, 5, 6, 7, 8, 9"
        ),
        (
            "INSERT INTO adoption_mapsummary (grain, country, city, adopter_kind, family_id, relation, "
            "stage, month, tag, n) SELECT 6 AS grain, COALESCE(o.country_id, '') AS country, '' AS city, "
            "'' AS adopter_kind, a.family_id AS family_id, '' AS relation, '' AS stage, "
            "COALESCE(CAST(strftime('%%Y%%m', a.started_on) AS INTEGER), 0) AS month, '' AS tag, "
            "COUNT(*) AS n FROM adoption_adoption a JOIN adoption_organization o ON o.id = a.adopter_id  "
            "WHERE a.status = 'published' GROUP BY 2, 3, 4, 5, 6, 7, 8, 9"
        ),
        (
            "INSERT INTO adoption_mapsummary (grain, country, city, adopter_kind, family_id, relation, "
            "stage, month, tag, n) SELECT 7 AS grain, COALESCE(o.country_id, '') AS country, '' AS city, "
            "'' AS adopter_kind, a.family_id AS family_id, '' AS relation, '' AS stage, 0 AS month, "
            "substr(e.value, 1, 100) AS tag, COUNT(DISTINCT a.id) AS n FROM adoption_adoption a JOIN "
            "adoption_organization o ON o.id = a.adopter_id JOIN json_each(CASE WHEN "
            "json_type(a.sectors) = 'array' THEN a.sectors ELSE '[]' END) AS e WHERE a.status = "
            "'published' AND e.type = 'text' GROUP BY 2, 3, 4, 5, 6, 7, 8, 9"
        ),
        (
            "INSERT INTO adoption_mapsummary (grain, country, city, adopter_kind, family_id, relation, "
            "stage, month, tag, n) SELECT 8 AS grain, COALESCE(o.country_id, '') AS country, '' AS city, "
            "'' AS adopter_kind, a.family_id AS family_id, '' AS relation, '' AS stage, 0 AS month, "
            "substr(e.value, 1, 100) AS tag, COUNT(DISTINCT a.id) AS n FROM adoption_adoption a JOIN "
            "adoption_organization o ON o.id = a.adopter_id JOIN json_each(CASE WHEN "
            "json_type(a.languages) = 'array' THEN a.languages ELSE '[]' END) AS e WHERE a.status = "
            "'published' AND e.type = 'text' GROUP BY 2, 3, 4, 5, 6, 7, 8, 9"
        ),
        (
            "INSERT INTO adoption_mapsummary (grain, country, city, adopter_kind, family_id, relation, "
            "stage, month, tag, n) SELECT 10 AS grain, COALESCE(o.country_id, '') AS country, '' AS "
            "city, '' AS adopter_kind, a.family_id AS family_id, '' AS relation, '' AS stage, "
            "(COALESCE(CAST(strftime('%%Y%%m', a.started_on) AS INTEGER), 0)) / 100 * 100 AS month, '' "
            "AS tag, COUNT(*) AS n FROM adoption_adoption a JOIN adoption_organization o ON o.id = "
            "a.adopter_id  WHERE a.status = 'published' GROUP BY 2, 3, 4, 5, 6, 7, 8, 9"
        ),
    ),
}


def fill_from_history(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(SPANS_FROM_HISTORY, [])


def refill_summary(apps, schema_editor):
    vendor = "postgresql" if schema_editor.connection.vendor == "postgresql" else "sqlite"
    with schema_editor.connection.cursor() as cursor:
        for sql in SUMMARY_REFILL[vendor]:
            cursor.execute(sql, [])


def drop_history_index(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {HISTORY_INDEX}")


def create_history_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {HISTORY_INDEX} ON adoption_historicaladoption "
            "(id, history_date DESC, history_id DESC) "
            "INCLUDE (status, history_type, adopter_id, family_id, relation, stage, started_on)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("adoption", "0005_curation"),
    ]

    operations = [
        migrations.CreateModel(
            name="PublicationSpan",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("adoption_id", models.BigIntegerField(verbose_name="adoption id")),
                ("published_from", models.DateTimeField(verbose_name="published from")),
                ("published_until", models.DateTimeField(blank=True, null=True, verbose_name="published until")),
                ("adopter_id", models.BigIntegerField(verbose_name="adopter id")),
                ("country", models.CharField(blank=True, default="", max_length=2, verbose_name="adopter country")),
                ("city", models.CharField(blank=True, default="", max_length=120, verbose_name="adopter city")),
                ("adopter_kind", models.CharField(blank=True, default="", max_length=24, verbose_name="adopter kind")),
                ("family_id", models.BigIntegerField(verbose_name="family id")),
                ("relation", models.CharField(max_length=24, verbose_name="relation")),
                ("stage", models.CharField(max_length=12, verbose_name="stage")),
                ("started_on", models.DateField(blank=True, null=True, verbose_name="started on")),
                ("sectors", models.JSONField(blank=True, default=list, verbose_name="sectors")),
                ("languages", models.JSONField(blank=True, default=list, verbose_name="languages")),
            ],
            options={
                "verbose_name": "publication span",
                "verbose_name_plural": "publication spans",
            },
        ),
        migrations.RemoveIndex(
            model_name="mapadoptercell",
            name="mapadoptercell_g1",
        ),
        migrations.RemoveIndex(
            model_name="mapadoptercell",
            name="mapadoptercell_g2",
        ),
        migrations.RemoveIndex(
            model_name="mapadoptercell",
            name="mapadoptercell_g3",
        ),
        migrations.RemoveConstraint(
            model_name="mapadoptercell",
            name="mapadoptercell_unique_cell",
        ),
        migrations.DeleteModel(
            name="MapAdopterCell",
        ),
        migrations.AddIndex(
            model_name="publicationspan",
            index=models.Index(
                condition=models.Q(("published_until__isnull", True)),
                fields=["adopter_id"],
                name="publicationspan_open_adopter",
            ),
        ),
        migrations.AddConstraint(
            model_name="publicationspan",
            constraint=models.UniqueConstraint(
                condition=models.Q(("published_until__isnull", True)),
                fields=("adoption_id",),
                name="publicationspan_one_open",
                violation_error_message="This record already has an open span.",
            ),
        ),
        migrations.AddConstraint(
            model_name="publicationspan",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("published_until__isnull", True),
                    ("published_until__gte", models.F("published_from")),
                    _connector="OR",
                ),
                name="publicationspan_ends_after_start",
                violation_error_message="A span cannot end before it starts.",
            ),
        ),
        migrations.AddIndex(
            model_name="mapsummary",
            index=models.Index(
                condition=models.Q(("grain", 10)),
                fields=["month", "country", "family_id"],
                include=("n",),
                name="mapsummary_g10",
            ),
        ),
        migrations.RunPython(fill_from_history, migrations.RunPython.noop),
        migrations.RunPython(refill_summary, migrations.RunPython.noop),
        migrations.RunPython(drop_history_index, create_history_index),
    ]
