"""The answer to a locked-out login (django-axes' AXES_LOCKOUT_CALLABLE): 429 with when to try again.

The API token endpoint gets JSON like its other errors; the log-in pages get the page, saying why.
"""

import math

from axes.helpers import get_cool_off
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def lockout_message(request) -> str:
    cool_off = get_cool_off(request)
    minutes = max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else None
    if minutes:
        return ngettext(
            "Too many failed log-ins for this account or from your address. Log-in is locked: try again in "
            "%(minutes)s minute, or reset your password.",
            "Too many failed log-ins for this account or from your address. Log-in is locked: try again in "
            "%(minutes)s minutes, or reset your password.", minutes,
        ) % {"minutes": minutes}
    return _("Too many failed log-ins for this account or from your address. Log-in is locked: try again later, "
             "or reset your password.")


def lockout_response(request, original_response=None, credentials=None):
    message = lockout_message(request)
    cool_off = get_cool_off(request)
    retry_after = str(math.ceil(cool_off.total_seconds())) if cool_off else None
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    if retry_after:
        response["Retry-After"] = retry_after
    return response
