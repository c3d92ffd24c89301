"""Bulk proposals: one uploaded file of submissions, its dry run or import, and the report on every row."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class ImportBatch(models.Model):
    """A CSV or JSON Lines file of proposals as checked (dry run) or imported, with what was found.

    The file's text is kept so that a dry run that passed can be imported as checked (the upload page's
    second step) and a curator can see what was sent."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.SET_NULL, null=True,
        related_name="import_batches",
    )
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    file_format = models.CharField(_("format"), max_length=5, choices=[("csv", "CSV"), ("jsonl", "JSON Lines")])
    content = models.TextField(_("file content"), editable=False)
    dry_run = models.BooleanField(_("dry run"), default=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    valid = models.PositiveIntegerField(_("valid rows"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    duplicates = models.JSONField(_("likely duplicates"), default=list, blank=True)
    created = models.JSONField(_("records created"), default=list, blank=True)
    imported_as = models.OneToOneField(
        "self", verbose_name=_("imported as"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="checked_by",
        help_text=_("For a dry run: the import of the same file that followed it (a dry run is imported once)."),
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("bulk proposal")
        verbose_name_plural = _("bulk proposals")

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name or self.file_format}"

    def get_absolute_url(self) -> str:
        return reverse("adoption:import-detail", kwargs={"pk": self.pk})
