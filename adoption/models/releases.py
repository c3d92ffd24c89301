"""Data releases: dated, immutable snapshots of the published registry (adoption.releases)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Release(models.Model):
    """One release, `YYYY.MM.N` (N counts the month's releases from 0); its files live in the "releases"
    storage under `<version>/` and are never rewritten."""

    version = models.CharField(max_length=20, unique=True)
    date = models.DateField()
    records = models.PositiveIntegerField(help_text=_("Published adoption records in the release."))
    files = models.JSONField(default=list, help_text='[{"name", "sha256", "bytes"}], in the order listed.')
    # SHA-256 of the tables' CSV files: a run whose tables hash the same as the latest release's adds none.
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return self.version
