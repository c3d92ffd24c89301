"""A small fixed-window rate limit on the shared cache, for sign-up, submissions, adopter search and
password-reset emails, and the client address every limit counts by.

Rates come from settings.PAGE_RATE_LIMITS (the PAGE_RATE_LIMITS environment variable over its
defaults), with DEFAULT_RATES here for a scope settings lack; the API has its own throttles
(REST_FRAMEWORK). Counting in the cache means every web process shares the limit.

With the cache unreachable a limit cannot count. The adopter search and submissions (signed in, and
curated before anything is published) go on uncounted; sign-up and password reset, which send an email to
any address the client types, raise LimitUnavailable instead (answered 503 by the site's handler500,
registry.unavailable): an email sent cannot be taken back.
"""

import hashlib
import logging
import time

import redis
from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)

DEFAULT_RATES = {
    "signup": "10/hour", "submission": "30/hour", "search": "120/min", "reset": "5/hour", "reset-account": "3/day",
}
# Scopes that refuse the request rather than go on uncounted while the cache is down.
FAIL_CLOSED = {"signup", "reset", "reset-account"}
_PERIODS = {"s": 1, "sec": 1, "min": 60, "m": 60, "hour": 3600, "h": 3600, "day": 86400, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'30/hour' -> (30, 3600)."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period.strip()]


def client_address(request) -> str | None:
    """The client's address, by the API throttles' rule (REST_FRAMEWORK NUM_PROXIES = TRUSTED_PROXIES):
    REMOTE_ADDR, or with N trusted proxies the N-th X-Forwarded-For entry from the right (the one our
    outermost proxy wrote); entries a client wrote itself further left never count. Also django-axes'
    address for failed logins."""
    return BaseThrottle().get_ident(request) or None  # None: a request made in code (force_login)


def client_key(request) -> str:
    """The signed-in user, else the client address."""
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"ip:{client_address(request) or 'unknown'}"


def rate_limited(request, scope: str, key: str | None = None) -> bool:
    """Count one attempt in `scope`; True when the client (or `key`, e.g. an account's email) has gone over
    its rate for the current window. The cache unreachable: False, or LimitUnavailable for FAIL_CLOSED."""
    rates = {**DEFAULT_RATES, **getattr(settings, "PAGE_RATE_LIMITS", {})}
    limit, period = parse_rate(rates[scope])
    window = int(time.time() // period)
    who = hashlib.sha256((key or client_key(request)).encode()).hexdigest()[:32]  # any text, a safe cache key
    key = f"ratelimit:{scope}:{who}:{window}"
    try:
        cache.add(key, 0, timeout=period + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, timeout=period + 1)
            count = 1
    except redis.RedisError as exc:
        closed = scope in FAIL_CLOSED
        logger.warning("cache unavailable: rate limit %r %s (%s)", scope, "refuses" if closed else "not counted", exc)
        if closed:
            raise LimitUnavailable(scope) from exc
        return False
    return count > limit


class LimitUnavailable(Exception):
    """A FAIL_CLOSED limit could not count (the cache is unreachable): the request is refused, 503."""
