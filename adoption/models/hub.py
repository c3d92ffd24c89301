"""Hub snapshots: dated imports of the Hugging Face model listing (adoption.services.hub).

The models of a snapshot (hub_model) and their declared bases (hub_edge) are PostgreSQL tables partitioned
by snapshot date, made by migration 0017 and written in SQL only (millions of rows, no ORM); what the API
serves is precomputed at import into HubFigure, one row per figure."""

from django.db import models as db
from django.utils.translation import gettext_lazy as _


class HubSnapshot(db.Model):
    """One imported snapshot of the Hub, by the date it was taken."""

    date = db.DateField(unique=True)
    models = db.PositiveIntegerField(help_text=_("Models imported (well-formed lines, one per repo id)."))
    edges = db.PositiveIntegerField(help_text=_("Declared bases: child to parent."))
    malformed = db.PositiveIntegerField(help_text=_("Lines skipped: not a model, or a repeated repo id."))
    malformed_lines = db.JSONField(default=list, help_text=_('The first ones: [{"line", "reason"}].'))
    cycles = db.PositiveIntegerField(default=0, help_text=_("Models whose bases lead back to themselves."))
    roots_unknown = db.PositiveIntegerField(default=0, help_text=_("Models in or below a cycle."))
    imported_at = db.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date"]

    def __str__(self):
        return self.date.isoformat()


class HubFigure(db.Model):
    """A figure of a snapshot as the API answers it (`kind`: families, shares:<attribution>:<measure>,
    new-derivatives), so serving it is one indexed read."""

    snapshot = db.ForeignKey(HubSnapshot, on_delete=db.CASCADE, related_name="figures")
    kind = db.CharField(max_length=60)
    payload = db.JSONField()

    class Meta:
        constraints = [db.UniqueConstraint(fields=["snapshot", "kind"], name="hub_figure_unique_kind")]

    def __str__(self):
        return f"{self.snapshot} {self.kind}"
