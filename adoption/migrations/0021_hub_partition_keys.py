from django.db import migrations

# What each snapshot's partitions are indexed by costs import time (issue 15's benchmark): the import builds
# them on millions of rows.
# - No index by parent: nothing reads the edges from parent to child (corroboration walks child to parent).
# - The primary keys lead with the repo ids: a partition holds one snapshot date, and a constant first column
#   makes every comparison of the index build compare it first (and defeats abbreviated keys). Lookups give
#   both columns, so either order serves them.
FORWARD = """
DROP INDEX hub_edge_parent;
ALTER TABLE hub_model DROP CONSTRAINT hub_model_pkey, ADD PRIMARY KEY (repo_id, snapshot_date);
ALTER TABLE hub_edge DROP CONSTRAINT hub_edge_pkey, ADD PRIMARY KEY (child, parent, snapshot_date);
"""
BACKWARD = """
ALTER TABLE hub_edge DROP CONSTRAINT hub_edge_pkey, ADD PRIMARY KEY (snapshot_date, child, parent);
ALTER TABLE hub_model DROP CONSTRAINT hub_model_pkey, ADD PRIMARY KEY (snapshot_date, repo_id);
CREATE INDEX hub_edge_parent ON hub_edge (snapshot_date, parent);
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):

    dependencies = [
        ('adoption', '0020_hub_model_repo_id_any_case'),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]
