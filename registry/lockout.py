"""The answer to a locked-out login (django-axes' AXES_LOCKOUT_CALLABLE): 429 with when to try again.

The API token endpoint gets JSON like its other errors; the log-in pages get the page, saying why.
"""

import math

from axes.helpers import get_cool_off
from django.http import JsonResponse
from django.shortcuts import render


def lockout_message(request) -> str:
    cool_off = get_cool_off(request)
    minutes = max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else None
    wait = f"in {minutes} minute{'s' if minutes != 1 else ''}" if minutes else "later"
    return (f"Too many failed log-ins for this account or from your address. Log-in is locked: try again {wait}, "
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
