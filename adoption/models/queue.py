"""Tasks the broker could not take when they were due (an outage): kept here until the sweep sends them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class UnsentTask(models.Model):
    """One task run that could not be queued: the task's name and arguments, and why the broker refused."""

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("unsent task")
        verbose_name_plural = _("unsent tasks")

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"
