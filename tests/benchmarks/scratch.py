"""What the benchmark commands share: progress lines, and a scratch database they create, use and drop."""

from django.conf import settings
from django.db import connection, connections


class ScratchDatabaseMixin:
    """For a BaseCommand: `say` flushes each progress line; `_recreate` swaps the benchmark database in and out."""

    def say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def _recreate(self, database: str, then_use: str, *, create: bool = True) -> None:
        """Drop (and create) the benchmark database from the current connection, then switch to `then_use`."""
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            if create:
                cursor.execute(f'CREATE DATABASE "{database}"')
        connection.close()
        connections["default"].settings_dict["NAME"] = settings.DATABASES["default"]["NAME"] = then_use
