"""Webhooks: what the owner sends (the secret is write-only), what they read back, the delivery log,
and the adoption as a delivery's body carries it (as GET /api/v1/adoptions/{id}/ shows it)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from adoption.choices import DeliveryStatus
from adoption.models import Adoption, Organization, Webhook, WebhookDelivery
from adoption.selectors.events import EVENT_KINDS
from adoption.services import webhooks

from .fields import StrictInputMixin
from .records import AdoptionSerializer

FILTERS_SCHEMA = {
    "type": "object", "additionalProperties": {"type": "string"},
    "description": "The adoption list's filters (family, origin_country, relation, stage, adopter_kind, region, "
                   "country, sector, language, since, until, adopter, checkpoint, updated_since, q), as "
                   "parameter: value; several values comma-separated. Empty: every event.",
    "example": {"family": "qwen", "region": "035"},
}


def adoption_payload(adoption: Adoption) -> dict:
    """The record as the API shows it (a retracted one too: its status says so)."""
    fresh = (
        Adoption.objects.filter(pk=adoption.pk).with_related()
        .prefetch_related("evidence", Prefetch("partners", queryset=Organization.objects.select_related("country")))
        .get()
    )
    return dict(AdoptionSerializer(fresh).data)


@extend_schema_field(FILTERS_SCHEMA)
class FiltersField(serializers.JSONField):
    """The filters, checked with the adoption list's vocabulary: messages keyed by parameter."""

    def to_internal_value(self, data):
        try:
            return webhooks.webhook_filters_clean(data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc


class WebhookInputSerializer(StrictInputMixin, serializers.Serializer):
    url = serializers.CharField(max_length=500, help_text="A public http:// or https:// address that accepts POST.")
    filters = FiltersField(required=False, default=dict)
    secret = serializers.CharField(
        min_length=webhooks.SECRET_MIN_LENGTH, max_length=200, write_only=True, trim_whitespace=False,
        help_text="Signs every delivery (X-Registry-Signature: sha256=<hex HMAC-SHA256 of the body>). "
                  "Never shown again.",
    )

    def validate_url(self, value: str) -> str:
        if problem := webhooks.webhook_url_problem(value):
            raise serializers.ValidationError(problem)
        return value.strip()


class WebhookSerializer(serializers.ModelSerializer):
    """A webhook as its owner reads it (never its secret)."""

    filters = FiltersField(read_only=True)
    deliveries = serializers.HyperlinkedIdentityField(
        view_name="api:webhook-deliveries", read_only=True, help_text="The delivery log of this webhook."
    )

    class Meta:
        model = Webhook
        fields = ["id", "url", "filters", "created_at", "deliveries"]


class DeliveryAttemptSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    status_code = serializers.IntegerField(allow_null=True, help_text="The receiver's HTTP status; null: no answer.")
    error = serializers.CharField(allow_blank=True, help_text="Why the attempt failed; empty when delivered.")
    duration_ms = serializers.IntegerField()


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """One event sent to the webhook, where it stands, and every attempt in order."""

    kind = serializers.ChoiceField(choices=sorted(set(EVENT_KINDS.values())))
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    adoption = serializers.IntegerField(source="event.adoption_id")
    attempts = DeliveryAttemptSerializer(many=True)

    class Meta:
        model = WebhookDelivery
        fields = ["id", "event", "kind", "adoption", "status", "attempts", "created_at", "delivered_at"]
