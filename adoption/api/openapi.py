"""OpenAPI post-processing: the errors every operation can answer, documented once; strict request bodies;
path parameters described once; an example on every successful answer (from adoption.api.examples).

Views document the errors particular to them (409 on a refused transition, 412 on a stale version, ...)
with their own descriptions. This hook adds the ones that follow from the shape of an operation, so no
status an operation can answer is missing from the schema:

- any request: 401 (a bad token), 406 (an Accept header the API cannot answer), 429 (throttled, with
  Retry-After);
- query parameters or a body: 400 (messages keyed by the parameter or field);
- a path parameter, or a paginated list (a page past the end): 404;
- a write: 409 (it conflicts with the record's state, or with a write at the same moment); by a signed-in
  client also 403 (a missing permission, or a session without its CSRF token);
- a body: 413 (too large) and 415 (not JSON).

Request bodies refuse unknown fields (400), which the schema states with `additionalProperties: false`; a
filter given empty is a 400 too, which string query parameters state with `minLength: 1`.
"""

from django.utils import translation
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView

from .examples import example_for

ERROR_SCHEMA = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before retrying."}}
DESCRIPTIONS = {
    "400": "Invalid input: messages keyed by the field or parameter.",
    "401": "Not signed in, or an invalid token.",
    "403": "Signed in, but not allowed to do this (or a session request without its CSRF token).",
    "404": "No such object (or not visible to you), or no such page.",
    "406": "None of the media types in the Accept header can be given (ask for application/json).",
    "409": "This conflicts with the current state of the record, or with a write made at the same moment.",
    "413": "The request body is too large.",
    "415": "The request body is not JSON.",
    "429": "Too many requests: wait the number of seconds in Retry-After.",
}
PATH_PARAMETERS = {
    "id": "The object's id, as in the `id` field of the list.",
    "slug": "The object's slug, as in the `slug` field of the list (any case).",
    "iso2": "ISO 3166-1 alpha-2 country code, e.g. SG (any case).",
}
WRITES = ("post", "put", "patch", "delete")
METHODS = ("get", "head", "options", *WRITES)


def expected_errors(path: str, method: str, operation: dict) -> set[str]:
    """The error statuses an operation can answer, from its shape (see the module docstring)."""
    parameters = operation.get("parameters", [])
    query = [p for p in parameters if p.get("in") == "query"]
    codes = {"401", "406", "429"}
    if query or "requestBody" in operation:
        codes.add("400")
    if any(p.get("in") == "path" for p in parameters) or any(p.get("name") == "page" for p in query):
        codes.add("404")
    if method in WRITES:
        codes.add("409")
        if operation.get("security"):
            codes.add("403")
    if "requestBody" in operation:
        codes |= {"413", "415"}
    return codes


def _error_content(code: str, schemas: dict) -> dict:
    name = "ValidationError" if code == "400" and "ValidationError" in schemas else "Error"
    schema = {"$ref": f"#/components/schemas/{name}"} if name in schemas else ERROR_SCHEMA
    return {"application/json": {"schema": schema}}


def add_common_errors(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOKS entry."""
    schemas = result.get("components", {}).get("schemas", {})
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            if method not in METHODS or not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code in sorted(expected_errors(path, method, operation) - set(responses)):
                responses[code] = {"description": DESCRIPTIONS[code], "content": _error_content(code, schemas)}
            for code, response in responses.items():
                if code >= "400" and "content" not in response:  # every error has a JSON body
                    response["content"] = _error_content(code, schemas)
            responses["429"].setdefault("headers", {}).update(RETRY_AFTER)
            for code, response in responses.items():
                for media_type, content in response.get("content", {}).items():
                    if code >= "300" or "example" in content or "examples" in content:
                        continue
                    if (example := example_for(path, media_type, content.get("schema", {}))) is not None:
                        content["example"] = example
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and not parameter.get("description"):
                    parameter["description"] = PATH_PARAMETERS.get(parameter["name"], "")
                schema = parameter.get("schema", {})
                if parameter.get("in") == "query" and schema.get("type") == "string" and "enum" not in schema:
                    schema.setdefault("minLength", 1)
    for name, component in schemas.items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    return result


class FilterDescriptions(DjangoFilterExtension):
    """drf-spectacular drops a filter's label when the filter's class fixes its schema (the partial dates,
    codes and slugs): keep it, so every filter parameter says what it does."""

    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        for parameter in parameters:
            if not parameter.get("description"):
                parameter["description"] = str(filter_field.extra.get("help_text") or filter_field.label or "")
        return parameters


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema, in English whatever the request's language: it is a contract, and its texts
    (model help texts, choice labels) must not change with Accept-Language or drf-spectacular's ?lang=."""

    @extend_schema(exclude=True)  # as drf-spectacular's own view (SERVE_INCLUDE_SCHEMA is off)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def _get_schema_response(self, request):
        # Inside drf-spectacular's own ?lang= switch; the texts are plain strings once generated.
        with translation.override("en"):
            return super()._get_schema_response(request)
