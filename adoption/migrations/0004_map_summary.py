"""Map aggregates: the summary cells kept in step with publication, and the registry's data version.

Also an index on the history table that lets `as_of` read the newest history row of each record at an
instant in index order (no sort of the whole history).

The data-version row is created here; the summary is filled from the records already published
(raw SQL over columns that exist since 0001, so later model changes cannot break this step).
"""

from django.db import migrations, models

# Frozen copies of adoption.models.summary.SUMMARY_INDEXES / ADOPTER_INDEXES (a migration must not move
# when the model module does).
SUMMARY_INDEXES = {
    1: ("country", "family_id"),
    2: ("relation", "country", "family_id"),
    3: ("stage", "country", "family_id"),
    4: ("adopter_kind", "country", "family_id"),
    5: ("country", "city", "family_id"),
    6: ("month", "country", "family_id"),
    7: ("tag", "country", "family_id"),
    8: ("tag", "country", "family_id"),
    9: ("country", "adopter_kind", "family_id", "relation", "stage"),
}
ADOPTER_INDEXES = {
    1: ("adopter_id", "family_id"),
    2: ("relation", "adopter_id", "family_id"),
    3: ("stage", "adopter_id", "family_id"),
}

HISTORY_INDEX = "adoption_hist_asof"

# The SQL this migration ran when it was written, frozen here so that later changes to the map code
# cannot change what it does. Every statement runs with an empty parameter list: the SQLite backend
# then turns '%%' into '%'.
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


def create_history_index(apps, schema_editor):
    # PostgreSQL only (INCLUDE); the SQLite demo reads as_of without it.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {HISTORY_INDEX} ON adoption_historicaladoption "
            "(id, history_date DESC, history_id DESC) "
            "INCLUDE (status, history_type, adopter_id, family_id, relation, stage, started_on)"
        )


def drop_history_index(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {HISTORY_INDEX}")


def create_version_and_fill(apps, schema_editor):
    from django.utils import timezone

    apps.get_model("adoption", "RegistryDataVersion").objects.get_or_create(
        id=1, defaults={"version": 1, "token": "initial", "changed_at": timezone.now()}
    )
    vendor = "postgresql" if schema_editor.connection.vendor == "postgresql" else "sqlite"
    with schema_editor.connection.cursor() as cursor:
        for sql in SUMMARY_REFILL[vendor]:
            cursor.execute(sql, [])


class Migration(migrations.Migration):
    dependencies = [("adoption", "0003_roles")]
    operations = [
        migrations.CreateModel(
            name="RegistryDataVersion",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("version", models.BigIntegerField(default=1, verbose_name="version")),
                ("token", models.CharField(default="initial", max_length=32, verbose_name="token")),
                ("changed_at", models.DateTimeField(verbose_name="changed at")),
            ],
            options={
                "verbose_name": "registry data version",
                "verbose_name_plural": "registry data version",
            },
        ),
        migrations.CreateModel(
            name="MapSummary",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("grain", models.PositiveSmallIntegerField(verbose_name="grain")),
                ("country", models.CharField(blank=True, default="", max_length=2, verbose_name="adopter country")),
                ("city", models.CharField(blank=True, default="", max_length=120, verbose_name="adopter city")),
                ("adopter_kind", models.CharField(blank=True, default="", max_length=24, verbose_name="adopter kind")),
                ("family_id", models.BigIntegerField(default=0, verbose_name="family id")),
                ("relation", models.CharField(blank=True, default="", max_length=24, verbose_name="relation")),
                ("stage", models.CharField(blank=True, default="", max_length=12, verbose_name="stage")),
                ("month", models.IntegerField(default=0, verbose_name="start month (yyyymm, 0 when undated)")),
                ("tag", models.CharField(blank=True, default="", max_length=100, verbose_name="sector or language")),
                ("n", models.IntegerField(default=0, verbose_name="published adoptions")),
            ],
            options={
                "verbose_name": "map summary cell",
                "verbose_name_plural": "map summary cells",
                "constraints": [
                    models.UniqueConstraint(
                        fields=(
                            "grain", "country", "city", "adopter_kind", "family_id", "relation", "stage", "month",
                            "tag",
                        ),
                        name="mapsummary_unique_cell",
                        violation_error_message="This summary cell already exists.",
                    )
                ],
                "indexes": [
                    models.Index(condition=models.Q(("grain", grain)), fields=list(cols), include=("n",),
                                 name=f"mapsummary_g{grain}")
                    for grain, cols in SUMMARY_INDEXES.items()
                ],
            },
        ),
        migrations.CreateModel(
            name="MapAdopterCell",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("grain", models.PositiveSmallIntegerField(verbose_name="grain")),
                ("adopter_id", models.BigIntegerField(verbose_name="adopter id")),
                ("family_id", models.BigIntegerField(default=0, verbose_name="family id")),
                ("relation", models.CharField(blank=True, default="", max_length=24, verbose_name="relation")),
                ("stage", models.CharField(blank=True, default="", max_length=12, verbose_name="stage")),
                ("tag", models.CharField(blank=True, default="", max_length=100, verbose_name="sector or language")),
                ("n", models.IntegerField(default=0, verbose_name="published adoptions")),
            ],
            options={
                "verbose_name": "map adopter cell",
                "verbose_name_plural": "map adopter cells",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("grain", "adopter_id", "family_id", "relation", "stage", "tag"),
                        name="mapadoptercell_unique_cell",
                        violation_error_message="This adopter cell already exists.",
                    )
                ],
                "indexes": [
                    models.Index(condition=models.Q(("grain", grain), ("n__gt", 0)), fields=list(cols),
                                 name=f"mapadoptercell_g{grain}")
                    for grain, cols in ADOPTER_INDEXES.items()
                ],
            },
        ),
        migrations.RunPython(create_history_index, drop_history_index),
        migrations.RunPython(create_version_and_fill, migrations.RunPython.noop),
    ]
