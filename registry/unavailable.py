"""A lost or refused database connection answers 503 with Retry-After, never a 500.

While PostgreSQL restarts (or a pool has no connection to give), the requests in flight fail: they get
a 503 that says to try again (the API's JSON error shape under /api/, a page elsewhere) and the log gets
one WARNING line, "database unavailable", instead of a traceback per request. Their transactions were
rolled back by the failure, so nothing is half-written; Django discards the broken connection at the end
of the request (errors_occurred), and the next request opens a new one.
Only connection-class failures count: a constraint error or a bad query is still a bug, and a 500.
The same handler answers 503 to a sign-up or password reset whose email limit cannot count because
the cache is down (adoption.views.ratelimit.LimitUnavailable).
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from django.views import defaults

from adoption.views.ratelimit import LimitUnavailable

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
# Lazy: written in the reader's language (the page and the API's detail alike; the code stays English).
MESSAGE = _("The registry's database is unavailable for a moment. Please try again in a few seconds.")
LIMIT_RETRY_AFTER_SECONDS = 60
LIMIT_MESSAGE = _("This form sends email, and its limits cannot be checked just now. Please try again in a minute.")
# PostgreSQL's SQLSTATEs of a server that went away or cannot take us now: class 08 (connection
# exception), a shutdown or crash ending the session, a server still starting, no free connection slot.
SERVER_GONE = {"57P01", "57P02", "57P03", "53300"}


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` is the database's connection failing, not the query or the data."""
    if isinstance(exc, InterfaceError):  # a connection already closed under us
        return True
    if not isinstance(exc, OperationalError):
        return False
    # psycopg's own error is the cause; client-side failures (refused, reset, pool timeout) carry no SQLSTATE.
    sqlstate = getattr(exc.__cause__, "sqlstate", "")
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in SERVER_GONE


def unavailable_response(request, message: str, retry_after: int):
    """503 with Retry-After: the API's JSON error under /api/, else the page."""
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"detail": str(message), "code": "service_unavailable"}, status=503)
    else:
        response = HttpResponse(render_to_string("503.html", {"message": message}), status=503)
    response["Retry-After"] = str(retry_after)
    response._has_been_logged = True  # our WARNING is the log line: Django's would be an ERROR with a traceback
    return response


def server_error(request):
    """handler500: the 503 above for a lost database connection or a mail limit that cannot count, Django's
    500 page for anything else. As the handler of every uncaught exception it covers those raised in a
    middleware (the cached maps read the data version before any view runs) as well as in views, DRF's
    included (its exception handler re-raises what it does not know)."""
    exc = sys.exc_info()[1]
    if isinstance(exc, LimitUnavailable):
        return unavailable_response(request, LIMIT_MESSAGE, LIMIT_RETRY_AFTER_SECONDS)
    if exc is not None and database_unavailable(exc):
        first_line = next(iter(str(exc).strip().splitlines()), "")
        logger.warning("database unavailable: %s %s answered 503 (%s: %s)", request.method, request.path,
                       type(exc.__cause__ or exc).__name__, first_line)
        return unavailable_response(request, MESSAGE, RETRY_AFTER_SECONDS)
    return defaults.server_error(request)
