# pg_trgm for duplicate detection (similar product names). CreateExtension does nothing on SQLite
# (the demo), where the services compare names in Python instead.

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('adoption', '0009_map_deltas'),
    ]

    operations = [
        TrigramExtension(),
    ]
