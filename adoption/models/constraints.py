"""Constraint helpers."""

from django.db import models


class NowCheckConstraint(models.CheckConstraint):
    """A CHECK that compares with the current time ("not in the future").

    PostgreSQL enforces it in the database. SQLite (the demo database) refuses non-deterministic
    functions in CHECK constraints, so there it is enforced by model validation (full_clean) alone.
    """

    def _supported(self, schema_editor) -> bool:
        return schema_editor.connection.vendor != "sqlite"

    def constraint_sql(self, model, schema_editor):
        return super().constraint_sql(model, schema_editor) if self._supported(schema_editor) else None

    def create_sql(self, model, schema_editor):
        return super().create_sql(model, schema_editor) if self._supported(schema_editor) else None

    def remove_sql(self, model, schema_editor):
        return super().remove_sql(model, schema_editor) if self._supported(schema_editor) else None


class CleanValidatedCheckConstraint(models.CheckConstraint):
    """A CHECK the database enforces but model validation leaves to the model's clean().

    Used where the condition cannot be evaluated as a query with NULL values bound (PostgreSQL cannot
    type EXTRACT(DAY FROM NULL)); clean() gives the same message in Python.
    """

    def validate(self, model, instance, exclude=None, using=None):
        return None
