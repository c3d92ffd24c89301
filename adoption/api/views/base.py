"""What every API view shares: strict filtering, the documented errors, versions (ETag / If-Match)."""

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from adoption.filtersets import ParameterForm, empty_parameters
from adoption.models import Adoption

from .. import serializers as s


class StrictFilterBackend(DjangoFilterBackend):
    """The shared FilterSets treat an empty value as "no filter" (HTML forms send them); an API client
    that names a filter gives it a value, so an empty one is a 400 naming the parameter too."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            # A view without filters (webhooks, imports, releases, a record's history) still takes only its
            # pages and format: a misspelt filter is a 400 naming those, not a silently unfiltered answer.
            form = ParameterForm(request.query_params)
            if not form.is_valid():
                raise ValidationError(form.parameter_errors())
            return queryset
        if empty := empty_parameters(request.query_params, filterset_class.base_filters):
            raise ValidationError(empty)
        return super().filter_queryset(request, queryset, view)


class RecordScopedFilterBackend(StrictFilterBackend):
    """Filters rows that belong to adoption records (their sources) with an adoption FilterSet: the rows of
    the published records it keeps."""

    def get_filterset_class(self, view, queryset=None):
        return super().get_filterset_class(view, Adoption.objects.none())

    def filter_queryset(self, request, queryset, view):
        records = super().filter_queryset(request, Adoption.objects.published(), view)
        return queryset.filter(adoption__in=records.values("pk"))


class ApiViewMixin:
    filter_backends = [StrictFilterBackend]


ERRORS = {
    400: OpenApiResponse(s.ValidationErrorSerializer, "Invalid input: messages keyed by the field or parameter."),
    401: OpenApiResponse(s.ErrorSerializer, "Not signed in, or an invalid token."),
    403: OpenApiResponse(s.ErrorSerializer, "Signed in, but not allowed to do this."),
    404: OpenApiResponse(s.ErrorSerializer, "No such object (or not visible to you), or no such page."),
    409: OpenApiResponse(s.TransitionErrorSerializer, "Not allowed in the record's current status (named)."),
    412: OpenApiResponse(s.StaleVersionErrorSerializer, "The object changed since the version you sent."),
    413: OpenApiResponse(s.ErrorSerializer, "The request body is too large."),
}


def errors(*codes: int) -> dict:
    """Error responses for extend_schema; 401 and 429 are added to every operation by the schema hook."""
    return {code: ERRORS[code] for code in codes}


SUBMISSION_EXAMPLE = OpenApiExample(
    "A continued pre-training of Qwen3-32B", request_only=True, value={
        "adopter": "ai-singapore", "family": "qwen", "checkpoint": "Qwen/Qwen3-32B",
        "relation": "continued_pretraining", "stage": "production", "product_name": "Qwen-SEA-LION-v4-32B-IT",
        "started_on": "2025-11", "sectors": ["public_sector"], "languages": ["id", "ms", "th", "vi"],
        "summary": "Southeast Asian languages model built on Qwen3-32B.",
        "evidence": [{"url": "https://huggingface.co/aisingapore/Qwen-SEA-LION-v4-32B-IT", "kind": "model_card",
                      "title": "Qwen-SEA-LION-v4-32B-IT model card", "publisher": "AI Singapore",
                      "published_on": "2025-11-24", "quote": "Continue pretrained from model: Qwen-3-32B"}],
        "submit": True,
    },
)
NEW_ADOPTER_EXAMPLE = OpenApiExample(
    "With a new adopter (a draft)", request_only=True, value={
        "new_adopter": {"name": "Jacaranda Health", "kind": "ngo", "country": "KE", "city": "Nairobi"},
        "family": "llama", "relation": "fine_tune", "product_name": "UlizaLlama", "started_on": "2023",
    },
)
COMMENT_EXAMPLE = OpenApiExample("With a comment", request_only=True, value={"comment": "Checked against the source."})
IF_MATCH = OpenApiParameter(
    "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description='The version you read (the ETag of the object, e.g. "3"); 412 if it changed since. '
                "Alternatively send `version` in the body.",
)


def expected_version(request, serializer) -> int | None:
    """The version the client based its write on: If-Match header or `version` body field (both must agree)."""
    body = serializer.validated_data.get("version") if serializer is not None else None
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return body
    value = header.removeprefix("W/").strip('"')
    if not (value.isascii() and value.isdecimal()) or len(value) > 9:
        raise ValidationError({"If-Match": [_('Give the version you read, e.g. "3".')]})
    if body is not None and body != int(value):
        raise ValidationError({"version": [_("The If-Match header and the version field disagree.")]})
    return int(value)


def _with_etag(response: Response, instance) -> Response:
    response["ETag"] = f'"{instance.version}"'
    return response
