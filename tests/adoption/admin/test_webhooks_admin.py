"""Webhooks in the admin: staff look into them and their deliveries, never see a secret, change nothing."""

import pytest
from django.urls import reverse

from adoption.choices import DeliveryStatus, Status
from adoption.models import ModerationEvent, Webhook, WebhookDelivery
from tests.factories import AdoptionFactory

pytestmark = pytest.mark.django_db
SECRET = "never-shown-in-the-admin-42"


@pytest.fixture
def delivery(contributor):
    hook = Webhook.objects.create(owner=contributor, url="https://93.184.215.14/hook", secret=SECRET,
                                  filters={"family": "qwen"})
    event = ModerationEvent.objects.create(adoption=AdoptionFactory(status=Status.PUBLISHED), action="approve",
                                           to_status="published")
    return WebhookDelivery.objects.create(webhook=hook, event=event, kind="published", body="{}",
                                          status=DeliveryStatus.FAILED,
                                          attempts=[{"at": "2026-12-03T10:00:00Z", "status_code": 500,
                                                     "error": "the receiver did not accept it", "duration_ms": 9}])


def test_staff_read_webhooks_and_deliveries_without_the_secret(client, superuser, delivery):
    client.force_login(superuser)
    pages = [
        reverse("admin:adoption_webhook_changelist"),
        reverse("admin:adoption_webhook_change", args=[delivery.webhook_id]),
        reverse("admin:adoption_webhookdelivery_changelist"),
        reverse("admin:adoption_webhookdelivery_change", args=[delivery.pk]),
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert SECRET.encode() not in response.content
    assert b"the receiver did not accept it" in client.get(pages[3]).content


def test_the_admin_changes_nothing(client, superuser, delivery):
    client.force_login(superuser)
    assert client.get(reverse("admin:adoption_webhook_add")).status_code == 403
    change = reverse("admin:adoption_webhook_change", args=[delivery.webhook_id])
    client.post(change, {"url": "http://10.0.0.1/", "filters": "{}"})
    assert Webhook.objects.get().url == "https://93.184.215.14/hook"
    deletion = reverse("admin:adoption_webhookdelivery_delete", args=[delivery.pk])
    assert client.post(deletion, {"post": "yes"}).status_code == 403
    assert WebhookDelivery.objects.exists()
