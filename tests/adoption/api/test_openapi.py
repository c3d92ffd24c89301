"""The OpenAPI document: complete enough to write a client from, and served with local docs."""

import pytest
import yaml

pytestmark = pytest.mark.django_db


@pytest.fixture
def openapi(anon):
    response = anon.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def operations(openapi):
    for path, methods in openapi["paths"].items():
        for method, operation in methods.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def test_every_operation_documents_its_errors(openapi):
    """Whatever an operation can answer is in the schema: the statuses every request can meet, and those that
    follow from its parameters, its body and who may call it."""
    for path, method, operation in operations(openapi):
        codes = set(operation["responses"])
        label = f"{method.upper()} {path}"
        assert {"401", "406", "429"} <= codes, label
        assert "Retry-After" in operation["responses"]["429"]["headers"], label
        parameters = operation.get("parameters", [])
        if any(p["in"] == "path" for p in parameters) or any(p["name"] == "page" for p in parameters):
            assert "404" in codes, label
        if "requestBody" in operation or any(p["in"] == "query" for p in parameters):
            assert "400" in codes, label
        if "requestBody" in operation:
            assert {"413", "415"} <= codes, label
        if method != "get":
            assert "409" in codes, label
            if path != "/api/v1/auth/token/":
                assert "403" in codes, label
        if method == "patch" or path.startswith("/api/v1/submissions/{id}/") and method == "post":
            assert "412" in codes, label
        for code, response in operation["responses"].items():
            if code >= "400":
                assert response["content"]["application/json"]["schema"], (label, code)


def test_filters_given_empty_are_documented_as_refused(openapi):
    parameters = {p["name"]: p for p in openapi["paths"]["/api/v1/checkpoints/"]["get"]["parameters"]}
    assert parameters["derived_from"]["schema"]["minLength"] == 1
    assert "minLength" not in parameters["open_weights"]["schema"]  # an enum says it all


def test_the_api_root_is_documented_and_open(openapi):
    operation = openapi["paths"]["/api/v1/"]["get"]
    assert operation["operationId"] == "api_root"
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["additionalProperties"] == {
        "type": "string", "format": "uri"}
    assert operation.get("security", [{}]) == [{}] or "security" not in operation


def test_workflow_errors_name_the_current_status_and_version(openapi):
    schemas = openapi["components"]["schemas"]
    assert "status" in schemas["TransitionError"]["properties"]
    assert {"expected_version", "current_version"} <= set(schemas["StaleVersionError"]["properties"])
    approve = openapi["paths"]["/api/v1/submissions/{id}/approve/"]["post"]
    assert approve["responses"]["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/TransitionError")
    assert any(p["name"] == "If-Match" and p["in"] == "header" for p in approve["parameters"])


def test_read_only_fields_are_not_in_request_bodies(openapi):
    schemas = openapi["components"]["schemas"]
    for name in ("SubmissionCreateRequest", "PatchedSubmissionUpdateRequest"):
        properties = set(schemas[name]["properties"])
        assert not properties & {"status", "created_by", "confidence", "created_at", "updated_at", "published_at"}
        assert schemas[name]["additionalProperties"] is False
    assert "version" in schemas["PatchedSubmissionUpdateRequest"]["properties"]


def test_filters_and_page_size_are_documented(openapi):
    parameters = {p["name"]: p for p in openapi["paths"]["/api/v1/adoptions/"]["get"]["parameters"]}
    expected = {"country", "region", "adopter", "adopter_kind", "family", "checkpoint", "origin_country", "relation",
                "stage", "sector", "language", "since", "until", "q", "ordering", "page", "page_size"}
    assert expected <= set(parameters)
    assert "fine_tune" in parameters["relation"]["schema"]["enum"]
    assert "1000" in parameters["page_size"]["description"]


def test_contract_paths_are_all_there(openapi):
    contract = [
        "/api/v1/", "/api/v1/regions/", "/api/v1/countries/", "/api/v1/countries/{iso2}/", "/api/v1/organizations/",
        "/api/v1/organizations/{slug}/", "/api/v1/families/", "/api/v1/families/{slug}/", "/api/v1/checkpoints/",
        "/api/v1/checkpoints/{id}/", "/api/v1/adoptions/", "/api/v1/adoptions/{id}/",
        "/api/v1/adoptions/{id}/retract/", "/api/v1/adoptions/{id}/history/", "/api/v1/submissions/",
        "/api/v1/submissions/{id}/", "/api/v1/adoptions/{id}/change-requests/",
        "/api/v1/change-requests/{id}/approve/", "/api/v1/change-requests/{id}/reject/", "/api/v1/auth/token/",
        *[f"/api/v1/submissions/{{id}}/{action}/" for action in
          ("submit", "withdraw", "claim", "approve", "reject", "request-changes")],
    ]
    assert set(contract) <= set(openapi["paths"])


def test_docs_are_served_from_local_assets_and_not_throttled(anon, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "1/min"},
    }
    for _ in range(3):
        page = anon.get("/api/docs/")
        assert page.status_code == 200
    html = page.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html
    script = anon.get("/api/docs/?script=")
    assert script.status_code == 200 and b"/api/schema/" in script.content
