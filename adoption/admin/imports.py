"""Admin for bulk proposals: each upload's report, read only (its records are in the queue, by batch)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy, ngettext

from adoption.models import ImportBatch

from .base import ViewOnlyAdmin


@admin.register(ImportBatch)
class ImportBatchAdmin(ViewOnlyAdmin):
    list_display = ("id", "created_at", "created_by", "file_name", "dry_run", "rows", "valid", "error_count",
                    "queue_link")
    list_filter = ("dry_run", "file_format")
    search_fields = ("file_name", "created_by__username")
    list_select_related = ("created_by",)
    fields = ("created_by", "file_name", "file_format", "dry_run", "rows", "valid", "errors", "duplicates",
              "created", "created_at")

    @admin.display(description=gettext_lazy("errors"))
    def error_count(self, obj):
        return len(obj.errors)

    @admin.display(description=gettext_lazy("in the queue"))
    def queue_link(self, obj):
        if not obj.created:
            return "—"
        count = len(obj.created)
        return format_html('<a href="{}?batch={}">{}</a>', reverse("adoption:moderation-queue"), obj.pk,
                           ngettext("%(count)s record", "%(count)s records", count) % {"count": count})
