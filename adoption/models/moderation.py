"""The append-only moderation log and change requests for published records."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from adoption.choices import Action, ChangeRequestStatus, Status


class ModerationEvent(models.Model):
    """Who decided what and why. Keeps a copy of the username so the log survives account deletion."""

    adoption = models.ForeignKey(
        "adoption.Adoption", verbose_name=_("adoption"), on_delete=models.CASCADE, related_name="events"
    )
    change_request = models.ForeignKey(
        "adoption.ChangeRequest", verbose_name=_("change request"), on_delete=models.SET_NULL, null=True,
        blank=True, related_name="events",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="moderation_events",
    )
    actor_username = models.CharField(_("actor's username"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_status = models.CharField(_("from status"), max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=Status.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    # Delivery stamp of the contributor's email (set once; the sweep resends what a broker outage lost).
    notified_at = models.DateTimeField(_("contributor notified"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("moderation event")
        verbose_name_plural = _("moderation events")

    def __str__(self) -> str:
        return f"{self.actor_username or 'system'} {self.action} #{self.adoption_id}"


class ChangeRequest(models.Model):
    """A proposed correction to a published adoption: field values shown to curators as a diff."""

    adoption = models.ForeignKey(
        "adoption.Adoption", verbose_name=_("adoption"), on_delete=models.CASCADE, related_name="change_requests"
    )
    proposed = models.JSONField(_("proposed values"), default=dict)
    base_version = models.PositiveIntegerField(_("version it was proposed against"))
    comment = models.TextField(_("reason"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ChangeRequestStatus.choices, default=ChangeRequestStatus.PENDING,
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("proposed by"), on_delete=models.SET_NULL, null=True,
        related_name="change_requests", editable=False,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="change_requests_decided", editable=False,
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True, editable=False)
    decision_comment = models.TextField(_("decision comment"), blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")

    def __str__(self) -> str:
        return f"Change request #{self.pk} on adoption #{self.adoption_id}"
