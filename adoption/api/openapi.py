"""OpenAPI post-processing: errors every operation can answer, documented once; strict request bodies.

Any request may carry a bad token (401) and any request may be throttled (429, with Retry-After),
so those two are added to every API operation that does not document them already. Request bodies
refuse unknown fields (400), which the schema states with `additionalProperties: false`.
"""

COMMON_ERRORS = {
    "401": "Not signed in, or an invalid token.",
    "429": "Too many requests: wait the number of seconds in Retry-After.",
}
ERROR_SCHEMA = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before retrying."}}


def add_common_errors(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOKS entry."""
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code, description in COMMON_ERRORS.items():
                if code not in responses:
                    responses[code] = {
                        "description": description,
                        "content": {"application/json": {"schema": ERROR_SCHEMA}},
                    }
            responses["429"].setdefault("headers", {}).update(RETRY_AFTER)
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    return result
