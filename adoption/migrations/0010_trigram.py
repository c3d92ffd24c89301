# pg_trgm for duplicate detection (similar product names): CreateExtension does nothing on SQLite (the
# demo), where the selectors compare names in Python instead. Organizations get their match keys (name
# and aliases, case-, accent- and spacing-insensitive) and names unique per country (issue 11).

import unicodedata

import django.db.models.functions.text
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models


def _key(text):
    decomposed = unicodedata.normalize("NFKD", str(text or ""))
    return "".join(ch for ch in decomposed.casefold() if ch.isalnum() and not unicodedata.combining(ch))


def fill_name_keys(apps, schema_editor):
    Organization = apps.get_model("adoption", "Organization")
    for org in Organization.objects.only("id", "name", "aliases").iterator():
        keys = dict.fromkeys(key for key in map(_key, [org.name, *(org.aliases or [])]) if key)
        Organization.objects.filter(pk=org.pk).update(name_keys=f"|{'|'.join(keys)}|" if keys else "")


class Migration(migrations.Migration):

    dependencies = [
        ('adoption', '0009_map_deltas'),
    ]

    operations = [
        TrigramExtension(),
        migrations.AddField(
            model_name='organization',
            name='name_keys',
            field=models.TextField(blank=True, default='', editable=False, verbose_name='name keys'),
        ),
        migrations.RunPython(fill_name_keys, migrations.RunPython.noop, elidable=True),
        migrations.RemoveConstraint(
            model_name='organization',
            name='organization_unique_name_ci',
        ),
        migrations.AddConstraint(
            model_name='organization',
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower('name'), models.F('country'),
                name='organization_unique_name_country_ci',
                violation_error_message='An organization with this name already exists in this country.',
            ),
        ),
        migrations.AddConstraint(
            model_name='organization',
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower('name'), condition=models.Q(('country__isnull', True)),
                name='organization_unique_name_ci',
                violation_error_message='An organization with this name already exists.',
            ),
        ),
    ]
