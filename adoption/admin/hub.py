"""Admin for Hub snapshots: each import's counts and the malformed lines it skipped, read only (a snapshot is
written by manage.py import_hub_snapshot alone; not deleted here, where its partitions would stay behind)."""

from django.contrib import admin

from adoption.models import HubSnapshot

from .base import ReadOnlyAdmin


@admin.register(HubSnapshot)
class HubSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("date", "models", "edges", "malformed", "cycles", "roots_unknown", "imported_at")
    fields = ("date", "models", "edges", "malformed", "malformed_lines", "cycles", "roots_unknown", "imported_at")
