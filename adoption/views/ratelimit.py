"""A small fixed-window rate limit on the shared cache, for sign-up, submissions and adopter search.

Rates come from settings.PAGE_RATE_LIMITS (the PAGE_RATE_LIMITS environment variable over its
defaults), with DEFAULT_RATES here for a scope settings lack; the API has its own throttles
(REST_FRAMEWORK). Counting in the cache means every web process shares the limit.
"""

import time

from django.conf import settings
from django.core.cache import cache

DEFAULT_RATES = {"signup": "10/hour", "submission": "30/hour", "search": "120/min"}
_PERIODS = {"s": 1, "sec": 1, "min": 60, "m": 60, "hour": 3600, "h": 3600, "day": 86400, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'30/hour' -> (30, 3600)."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period.strip()]


def client_key(request) -> str:
    """The signed-in user, else the client address (REMOTE_ADDR: set by the proxy we trust)."""
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"ip:{request.META.get('REMOTE_ADDR', 'unknown')}"


def rate_limited(request, scope: str) -> bool:
    """Count one attempt in `scope`; True when the client has gone over its rate for the current window."""
    rates = {**DEFAULT_RATES, **getattr(settings, "PAGE_RATE_LIMITS", {})}
    limit, period = parse_rate(rates[scope])
    window = int(time.time() // period)
    key = f"ratelimit:{scope}:{client_key(request)}:{window}"
    cache.add(key, 0, timeout=period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=period + 1)
        count = 1
    return count > limit
