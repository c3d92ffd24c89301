"""Tasks waiting for the broker, for staff to see an outage's backlog (read-only: the sweep sends them)."""

from django.contrib import admin

from adoption.models import UnsentTask

from .base import ViewOnlyAdmin


@admin.register(UnsentTask)
class UnsentTaskAdmin(ViewOnlyAdmin):
    list_display = ("id", "task", "args", "created_at", "error")
    list_filter = ("task",)
    fields = ("task", "args", "error", "created_at")
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None):
        return False
