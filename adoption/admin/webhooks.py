"""Webhooks and their delivery logs, for staff to look into (read-only: owners manage theirs in the API)."""

from django.contrib import admin

from adoption.models import Webhook, WebhookDelivery

from .base import ViewOnlyAdmin


@admin.register(Webhook)
class WebhookAdmin(ViewOnlyAdmin):
    """Staff may delete a webhook that misbehaves; its secret is never shown."""

    list_display = ("id", "owner", "url", "filters", "created_at")
    search_fields = ("url", "owner__username")
    list_select_related = ("owner",)
    fields = ("owner", "url", "filters", "created_at")
    readonly_fields = fields


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ViewOnlyAdmin):
    list_display = ("id", "webhook", "event", "kind", "status", "created_at", "delivered_at")
    list_filter = ("status", "kind")
    list_select_related = ("webhook", "event")
    fields = ("webhook", "event", "kind", "status", "attempts", "body", "created_at", "delivered_at")
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None):
        return False
