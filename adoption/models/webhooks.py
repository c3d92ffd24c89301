"""Webhooks: a signed-in user's URL that receives the registry's public events matching their filters,
and the log of every delivery (each attempt, its answer or error) that the owner reads."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from adoption.choices import DeliveryStatus


class Webhook(models.Model):
    """Where to POST publications, changes and retractions of the records matching `filters` (the adoption
    list's parameters, as cleaned). The secret signs each body; it is never shown again once set."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="webhooks",
        editable=False,
    )
    url = models.URLField(_("URL"), max_length=500)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    secret = models.CharField(_("secret"), max_length=200)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return f"Webhook #{self.pk} to {self.url}"


class WebhookDelivery(models.Model):
    """One event sent to one webhook: the exact body signed (every retry sends the same bytes), where the
    delivery stands, and each attempt (`attempts`: time, HTTP status or error, duration) in order."""

    webhook = models.ForeignKey(
        Webhook, verbose_name=_("webhook"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(
        "adoption.ModerationEvent", verbose_name=_("event"), on_delete=models.CASCADE, related_name="deliveries"
    )
    kind = models.CharField(_("event kind"), max_length=20)
    body = models.TextField(_("body"))
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.JSONField(_("attempts"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            # One delivery per event and webhook: a dispatch run twice (a retried task, a sweep) sends once.
            models.UniqueConstraint(fields=["webhook", "event"], name="webhook_delivery_once_per_event"),
        ]

    def __str__(self) -> str:
        return f"Delivery #{self.pk} of event #{self.event_id} to webhook #{self.webhook_id}"
