"""Every API error is JSON with field messages.

Django's validation errors become 400s keyed by field, a refused workflow transition a 409 naming the
record's current status, a stale version a 412 naming the current version, a database conflict
(a race on a unique name) a 409.
"""

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from rest_framework import exceptions, status
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from adoption.services.errors import StaleVersion, TransitionNotAllowed

from .parsers import PayloadTooLarge


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
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


def exception_handler(exc, context):
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
        exc = Conflict("This conflicts with a record saved at the same moment; reload and try again.")
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
