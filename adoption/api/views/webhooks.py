"""Webhooks: a signed-in user's own subscriptions to publications, changes and retractions, and their
delivery logs. Another user's webhook answers 404, like anything a caller may not see."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from adoption.models import Webhook
from adoption.services import webhooks

from .. import serializers as s
from ..throttling import WebhookThrottle
from .base import ApiViewMixin, errors

DELIVERY_DOCS = (
    "Each publication, change or retraction of a record matching the webhook's filters is POSTed to its URL as "
    'JSON, `{"event": {"id", "kind": "published|changed|retracted", "action", "time", "comment"}, "adoption": '
    "{...as GET /api/v1/adoptions/{id}/ shows it}}`, with the header `X-Registry-Signature: sha256=<hex "
    "HMAC-SHA256 of the body with your secret>` (also `X-Registry-Event` and `X-Registry-Delivery`). A 2xx "
    "answer delivers it; anything else (redirects are not followed) is retried with exponential backoff, about "
    "5 s, 10 s, 20 s, ... up to an hour apart, ten attempts in all. Only public addresses are contacted, checked "
    "again at every attempt."
)
WEBHOOK_EXAMPLE = OpenApiExample(
    "Qwen adoptions in South-eastern Asia", request_only=True,
    value={"url": "https://hooks.example.org/registry", "filters": {"family": "qwen", "region": "035"},
           "secret": "a-long-random-secret-of-yours"},
)


@extend_schema_view(
    list=extend_schema(responses={200: s.WebhookSerializer(many=True), **errors(404)},
                       summary="Your webhooks", description="Your webhooks, newest first (never their secrets)."),
    retrieve=extend_schema(responses={200: s.WebhookSerializer, **errors(404)}, summary="One of your webhooks",
                           description="One of your webhooks (another user's answers 404)."),
    create=extend_schema(
        request=s.WebhookInputSerializer, responses={201: s.WebhookSerializer, **errors(400, 413)},
        examples=[WEBHOOK_EXAMPLE], summary="Follow the registry at a URL of yours",
        description=f"Create a webhook. The filters are the adoption list's (an unknown parameter or value is a "
                    f"400 naming it); the URL must be a public http(s) address. {DELIVERY_DOCS}",
    ),
    destroy=extend_schema(responses={204: None, **errors(404)}, summary="Delete one of your webhooks",
                          description="Stop deliveries and delete the webhook with its delivery log."),
)
class WebhookViewSet(ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin,
                     viewsets.GenericViewSet):
    """Webhooks of the signed-in user."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.WebhookSerializer
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Webhook.objects.none()
        return Webhook.objects.filter(owner=self.request.user)

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.action == "create":
            throttles.append(WebhookThrottle())
        return throttles

    def create(self, request, *args, **kwargs):
        serializer = s.WebhookInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        webhook = webhooks.webhook_create(user=request.user, **serializer.validated_data)
        return Response(self.get_serializer(webhook).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        webhooks.webhook_delete(webhook=instance, user=self.request.user)

    @extend_schema(responses={200: s.WebhookDeliverySerializer(many=True), **errors(404)},
                   summary="The webhook's delivery log",
                   description="Every event sent to the webhook, newest first: where it stands (pending, delivered, "
                               "retrying, failed, blocked) and each attempt with the receiver's HTTP status or the "
                               "error. " + DELIVERY_DOCS)
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        webhook = self.get_object()
        page = self.paginate_queryset(webhook.deliveries.select_related("event").order_by("-created_at", "-id"))
        return self.get_paginated_response(s.WebhookDeliverySerializer(page, many=True).data)
