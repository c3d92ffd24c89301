"""Publication spans: what `as_of` and the maps no summary grain answers read (adoption.models.PublicationSpan).

The spans are filled from the records' history (one per history row that shows a record published,
until its next row), which is what as_of read until now; the history index that served it is dropped.
The per-adopter cells are dropped: `unit=adopters` counts distinct adopters over the open spans.
A summary grain of whole years (10) joins the month grain for date ranges; the summary is refilled.
"""

from django.db import migrations, models

HISTORY_INDEX = "adoption_hist_asof"


def fill_from_history(apps, schema_editor):
    from adoption.services.maps import spans_from_history_sql

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(spans_from_history_sql(), [])


def refill_summary(apps, schema_editor):
    from adoption.services.maps import rebuild_sql_statements

    with schema_editor.connection.cursor() as cursor:
        for sql, params in rebuild_sql_statements(schema_editor.connection.vendor):
            cursor.execute(sql, params)


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
