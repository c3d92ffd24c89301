"""Adopter presence: what `unit=adopters` maps count (adoption.models.AdopterPresence), filled from the
published records, with room left in each page for in-place (HOT) updates as for the summary."""

from django.db import migrations, models

# The SQL this migration ran when it was written, frozen here so that later changes to the map code
# cannot change what it does.
# Refills the adopter presence from the published records (one INSERT per presence grain; the same
# SQL on both vendors).
PRESENCE_REFILL = (
    "DELETE FROM adoption_adopterpresence",
    (
        "INSERT INTO adoption_adopterpresence (grain, adopter_id, family_id, value, country, city, "
        "adopter_kind, n) SELECT 1, a.adopter_id, a.family_id, '', COALESCE(o.country_id, ''), o.city, "
        "o.kind, COUNT(*) FROM adoption_adoption a JOIN adoption_organization o ON o.id = a.adopter_id "
        "JOIN adoption_modelfamily f ON f.id = a.family_id WHERE a.status = 'published' GROUP BY 2, 3, "
        "4, 5, 6, 7"
    ),
    (
        "INSERT INTO adoption_adopterpresence (grain, adopter_id, family_id, value, country, city, "
        "adopter_kind, n) SELECT 2, a.adopter_id, 0, COALESCE(f.origin_country_id, ''), "
        "COALESCE(o.country_id, ''), o.city, o.kind, COUNT(*) FROM adoption_adoption a JOIN "
        "adoption_organization o ON o.id = a.adopter_id JOIN adoption_modelfamily f ON f.id = "
        "a.family_id WHERE a.status = 'published' GROUP BY 2, 3, 4, 5, 6, 7"
    ),
    (
        "INSERT INTO adoption_adopterpresence (grain, adopter_id, family_id, value, country, city, "
        "adopter_kind, n) SELECT 3, a.adopter_id, 0, a.relation, COALESCE(o.country_id, ''), o.city, "
        "o.kind, COUNT(*) FROM adoption_adoption a JOIN adoption_organization o ON o.id = a.adopter_id "
        "JOIN adoption_modelfamily f ON f.id = a.family_id WHERE a.status = 'published' GROUP BY 2, 3, "
        "4, 5, 6, 7"
    ),
    (
        "INSERT INTO adoption_adopterpresence (grain, adopter_id, family_id, value, country, city, "
        "adopter_kind, n) SELECT 4, a.adopter_id, 0, a.stage, COALESCE(o.country_id, ''), o.city, "
        "o.kind, COUNT(*) FROM adoption_adoption a JOIN adoption_organization o ON o.id = a.adopter_id "
        "JOIN adoption_modelfamily f ON f.id = a.family_id WHERE a.status = 'published' GROUP BY 2, 3, "
        "4, 5, 6, 7"
    ),
    (
        "INSERT INTO adoption_adopterpresence (grain, adopter_id, family_id, value, country, city, "
        "adopter_kind, n) SELECT 5, a.adopter_id, 0, '', COALESCE(o.country_id, ''), o.city, o.kind, "
        "COUNT(*) FROM adoption_adoption a JOIN adoption_organization o ON o.id = a.adopter_id JOIN "
        "adoption_modelfamily f ON f.id = a.family_id WHERE a.status = 'published' GROUP BY 2, 3, 4, 5, "
        "6, 7"
    ),
)


def fill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE adoption_adopterpresence SET (fillfactor = 70)")
    with schema_editor.connection.cursor() as cursor:
        for sql in PRESENCE_REFILL:
            cursor.execute(sql, [])


class Migration(migrations.Migration):
    dependencies = [
        ("adoption", "0007_summary_hot_updates"),
    ]

    operations = [
        migrations.CreateModel(
            name="AdopterPresence",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("grain", models.PositiveSmallIntegerField(verbose_name="grain")),
                ("adopter_id", models.BigIntegerField(verbose_name="adopter id")),
                ("family_id", models.BigIntegerField(default=0, verbose_name="family id")),
                ("value", models.CharField(blank=True, default="", max_length=24, verbose_name="split value")),
                ("country", models.CharField(blank=True, default="", max_length=2, verbose_name="adopter country")),
                ("city", models.CharField(blank=True, default="", max_length=120, verbose_name="adopter city")),
                ("adopter_kind", models.CharField(blank=True, default="", max_length=24, verbose_name="adopter kind")),
                ("n", models.IntegerField(default=0, verbose_name="published adoptions")),
            ],
            options={
                "verbose_name": "adopter presence",
                "verbose_name_plural": "adopter presences",
                "indexes": [models.Index(fields=["adopter_id"], name="adopterpresence_adopter")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("grain", "adopter_id", "family_id", "value"),
                        name="adopterpresence_unique_cell",
                        violation_error_message="This presence cell already exists.",
                    )
                ],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
