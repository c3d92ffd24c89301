"""Map aggregates (filled in by the maps work)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("adoption", "0003_roles")]
    operations = []
