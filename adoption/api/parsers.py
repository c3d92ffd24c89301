"""Request parsers that never turn a hostile body into a 500.

DRF reads JSON and form bodies through `request.body`, where Django enforces
DATA_UPLOAD_MAX_MEMORY_SIZE (the exception handler answers 413); these parsers cap what they read
as well, and turn nesting too deep for the decoder and strings no column can hold into 400s.
"""

import codecs

from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, parsers, status
from rest_framework.utils import json


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "payload_too_large"


def _read_limited(stream) -> bytes:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = stream.read() if limit is None else stream.read(limit + 1)
    if limit is not None and len(body) > limit:
        raise PayloadTooLarge(_("The request body is larger than %(limit)s bytes.") % {"limit": limit})
    return body


class JSONParser(parsers.JSONParser):
    """JSON with a size limit; NaN/Infinity, over-deep nesting and strings PostgreSQL cannot store (NUL
    characters, lone surrogates) are parse errors (400)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        body = _read_limited(stream)
        try:
            text = codecs.decode(body, encoding)
            data = json.loads(text) if self.strict else json.loads(text, parse_constant=None)
        except (ValueError, UnicodeError) as exc:
            raise exceptions.ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from exc
        except RecursionError as exc:
            raise exceptions.ParseError(_("JSON parse error - the body is nested too deeply.")) from exc
        _check_strings(data)
        return data


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_strings(data) -> None:
    """Walk the parsed body (without recursion) and refuse strings no column could hold."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not _storable(item):
                raise exceptions.ParseError(_("JSON parse error - strings must not contain NUL or lone surrogates."))
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


class FormParser(parsers.FormParser):
    """URL-encoded forms with the same size limit (used by the token endpoint)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            return QueryDict(_read_limited(stream), encoding=encoding)
        except (ValueError, UnicodeError) as exc:
            raise exceptions.ParseError(_("Form parse error - %(error)s") % {"error": exc}) from exc
