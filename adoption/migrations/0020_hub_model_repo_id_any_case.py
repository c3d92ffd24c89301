from django.db import migrations

# Hub repo ids are case-insensitive: corroboration looks a record's repo id up in any case. An all-lower-case
# repo id is found through the primary key; this index holds the others only (about a quarter), so the import
# builds less of it (adoption.services.hub.snapshots.INDEXES builds each partition's).
FORWARD = "CREATE INDEX hub_model_repo_id_any_case ON hub_model (lower(repo_id)) WHERE repo_id <> lower(repo_id)"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX hub_model_repo_id_any_case")


class Migration(migrations.Migration):

    dependencies = [
        ('adoption', '0019_account_settings'),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]
