"""Throttles: anonymous reads, signed-in use, signed-in writes, and stricter scopes for new submissions and webhooks.

Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (defaults overridden by API_THROTTLE_RATES,
DESIGN §5) and are read on each request, so a settings change applies without a restart of the class.
A throttled request answers 429 with Retry-After (DRF adds the header from `wait()`).
With the cache (Redis) unreachable the throttles cannot count and let every request through (fail open):
the API keeps serving, and what guards accounts (the log-in lock-out) lives in the database.
"""

import logging

import redis
from django.core.exceptions import ImproperlyConfigured
from rest_framework import throttling
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings

logger = logging.getLogger(__name__)


class _LiveRateMixin:
    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except redis.RedisError as exc:
            logger.warning("cache unavailable: API throttle %r not counted (%s)", self.scope, exc)
            return True

    def get_rate(self):
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError as exc:
            raise ImproperlyConfigured(f"No throttle rate set for scope {self.scope!r}") from exc


class AnonThrottle(_LiveRateMixin, throttling.AnonRateThrottle):
    """Anonymous clients, by address (scope `anon`)."""

    scope = "anon"


class UserThrottle(_LiveRateMixin, throttling.UserRateThrottle):
    """Signed-in clients, by account, every method (scope `user`)."""

    scope = "user"

    def allow_request(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return True
        return super().allow_request(request, view)


class WriteThrottle(UserThrottle):
    """Signed-in writes (POST, PATCH, ...), by account (scope `writes`)."""

    scope = "writes"

    def allow_request(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)


class SubmissionThrottle(WriteThrottle):
    """New submissions (POST /submissions/), by account (scope `submissions`): the strictest."""

    scope = "submissions"


class WebhookThrottle(WriteThrottle):
    """New webhooks (POST /webhooks/), by account (scope `webhooks`): each one makes the registry send requests."""

    scope = "webhooks"


class ImportThrottle(WriteThrottle):
    """Bulk proposals (POST /imports/, dry runs included), by account (scope `imports`): each checks a whole file."""

    scope = "imports"
