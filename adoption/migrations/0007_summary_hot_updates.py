"""Summary cells updated in place: `n` leaves the grain indexes and each page keeps 30% free.

Adding to a cell then changes no indexed column, so PostgreSQL updates it in its page without touching
an index (a HOT update): what the upkeep adds to an approval drops by about half. Grains 1 (the default
map), 6 and 10 (months and years, read in ranges) keep their covering indexes: three cells per
approval, and those maps stay index-only scans however large the table grows. Grain 9 (country,
kind, family, relation, stage) is dropped: those combinations read the publication spans.
"""

from django.db import migrations, models


def leave_room_for_updates(apps, schema_editor):
    schema_editor.execute("DELETE FROM adoption_mapsummary WHERE grain = 9")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE adoption_mapsummary SET (fillfactor = 70)")


def default_fill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE adoption_mapsummary RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("adoption", "0006_publication_spans"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="mapsummary",
            name="mapsummary_g2",
        ),
        migrations.RemoveIndex(
            model_name="mapsummary",
            name="mapsummary_g3",
        ),
        migrations.RemoveIndex(
            model_name="mapsummary",
            name="mapsummary_g4",
        ),
        migrations.RemoveIndex(
            model_name="mapsummary",
            name="mapsummary_g5",
        ),
        migrations.RemoveIndex(
            model_name="mapsummary",
            name="mapsummary_g7",
        ),
        migrations.RemoveIndex(
            model_name="mapsummary",
            name="mapsummary_g8",
        ),
        migrations.RemoveIndex(
            model_name="mapsummary",
            name="mapsummary_g9",
        ),
        migrations.AddIndex(
            model_name="mapsummary",
            index=models.Index(
                condition=models.Q(("grain", 2)), fields=["relation", "country", "family_id"], name="mapsummary_g2"
            ),
        ),
        migrations.AddIndex(
            model_name="mapsummary",
            index=models.Index(
                condition=models.Q(("grain", 3)), fields=["stage", "country", "family_id"], name="mapsummary_g3"
            ),
        ),
        migrations.AddIndex(
            model_name="mapsummary",
            index=models.Index(
                condition=models.Q(("grain", 4)), fields=["adopter_kind", "country", "family_id"], name="mapsummary_g4"
            ),
        ),
        migrations.AddIndex(
            model_name="mapsummary",
            index=models.Index(
                condition=models.Q(("grain", 5)), fields=["country", "city", "family_id"], name="mapsummary_g5"
            ),
        ),
        migrations.AddIndex(
            model_name="mapsummary",
            index=models.Index(
                condition=models.Q(("grain", 7)), fields=["tag", "country", "family_id"], name="mapsummary_g7"
            ),
        ),
        migrations.AddIndex(
            model_name="mapsummary",
            index=models.Index(
                condition=models.Q(("grain", 8)), fields=["tag", "country", "family_id"], name="mapsummary_g8"
            ),
        ),
        migrations.RunPython(leave_room_for_updates, default_fill),
    ]
