"""Every API error is JSON with field messages.

Django's validation errors become 400s keyed by field, a refused workflow transition a 409 naming the
record's current status, a stale version a 412 naming the current version, a database conflict
(a race on a unique name) a 409. A method an endpoint does not have is a 405 whoever asks, and any
path under /api/ that names no endpoint is a JSON 404 (`not_found`), never the pages' HTML one.
"""

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from adoption.services.errors import StaleVersion, TransitionNotAllowed

from .parsers import PayloadTooLarge


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("The request conflicts with the current state of the resource.")
    default_code = "conflict"


class TransitionConflict(exceptions.APIException):
    """409 whose body says what the record's status is now, so a client can refresh its view."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "transition_not_allowed"

    def __init__(self, exc: TransitionNotAllowed):
        super().__init__(detail=str(exc), code=self.default_code)
        self.action, self.current_status = str(exc.action), str(exc.status)
        self.claimed_by = getattr(exc, "holder", None)  # ClaimHeld: who holds the record in review


class PreconditionFailed(exceptions.APIException):
    """412: the client's version (If-Match or `version`) is not the record's current one."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "stale_version"

    def __init__(self, exc: StaleVersion):
        super().__init__(detail=str(exc), code=self.default_code)
        self.expected, self.current, self.changed_by = exc.expected, exc.current, exc.changed_by


def _django_detail(exc: DjangoValidationError):
    if not hasattr(exc, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
    return {
        (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
        for field, messages in exc.message_dict.items()
    }


def _without_handler(context) -> bool:
    """The view has no handler for the request's method (DRF checks permissions before it looks)."""
    view, request = context.get("view"), context.get("request")
    if view is None or request is None:
        return False
    method = request.method.lower()
    return method not in view.http_method_names or not hasattr(view, method)


def exception_handler(exc, context):
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.PermissionDenied) and _without_handler(context):
        # DELETE on a list is a 405 for everyone: signing in would not make it exist.
        exc = exceptions.MethodNotAllowed(context["request"].method)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=_django_detail(exc))
    elif isinstance(exc, TransitionNotAllowed):
        exc = TransitionConflict(exc)
    elif isinstance(exc, StaleVersion):
        exc = PreconditionFailed(exc)
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, IntegrityError):
        # A concurrent write won a uniqueness race that full_clean() could not see coming.
        exc = Conflict(_("This conflicts with a record saved at the same moment; reload and try again."))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, TransitionConflict):
        response.data = {"detail": exc.detail, "code": exc.default_code, "action": exc.action,
                         "status": exc.current_status}
        if exc.claimed_by:
            response.data["claimed_by"] = exc.claimed_by
    elif isinstance(exc, PreconditionFailed):
        response.data = {"detail": exc.detail, "code": exc.default_code, "expected_version": exc.expected,
                         "current_version": exc.current, "changed_by": exc.changed_by}
    return response


NOT_FOUND_NAME = "api-not-found"


@csrf_exempt  # answers 404 (or a redirect) whatever the method: nothing to protect
def not_found(request, *args, **kwargs):
    """Any path under /api/ that names no endpoint: a JSON 404 like the API's own.

    The URL pattern matches every path (newlines and other control characters included), so no API path
    falls through to the pages' HTML 404. Django's APPEND_SLASH therefore cannot see which paths lack
    only their slash: this view redirects those itself (308 keeps the method and the body)."""
    path = request.path_info
    if not path.endswith("/"):
        try:
            match = resolve(path + "/", getattr(request, "urlconf", None))
        except Resolver404:
            match = None
        if match is not None and match.url_name != NOT_FOUND_NAME:
            response = HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
            if request.method not in ("GET", "HEAD"):
                response.status_code = status.HTTP_308_PERMANENT_REDIRECT
            return response
    return JsonResponse({"detail": _("Not found. The API's endpoints are listed at /api/v1/.")}, status=404)
