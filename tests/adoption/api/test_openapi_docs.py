"""Docs a newcomer can learn the API from: every operation has a summary and a description, every parameter
a description (and its allowed values), every successful answer an example that matches its schema."""

import copy

import jsonschema
import pytest
import yaml

pytestmark = pytest.mark.django_db
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def openapi(django_db_setup, django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def operations(openapi):
    for path, methods in openapi["paths"].items():
        for method, operation in methods.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def test_every_operation_has_a_summary_and_a_description(openapi):
    missing = [label for label, operation in operations(openapi)
               if not operation.get("summary", "").strip() or not operation.get("description", "").strip()]
    assert missing == []


def test_every_parameter_is_described_with_its_allowed_values(openapi):
    missing = []
    for label, operation in operations(openapi):
        for parameter in operation.get("parameters", []):
            if not parameter.get("description", "").strip():
                missing.append(f"{label} {parameter['name']}")
    assert missing == []
    maps = {p["name"]: p for p in openapi["paths"]["/api/v1/maps/adoption/"]["get"]["parameters"]}
    splits = {"origin_country", "family", "relation", "stage", "adopter_kind", "none"}
    assert set(maps["split"]["schema"]["enum"]) == splits


def _json_schema(node):
    """OpenAPI 3.0 -> JSON Schema: `nullable: true` becomes "or null"."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        enum = node.pop("enum", None)
        if enum is not None:
            node["enum"] = [*enum, None] if None not in enum else enum
        return {"anyOf": [node, {"type": "null"}]}
    return node


def test_every_successful_answer_has_an_example_that_matches_its_schema(openapi):
    components = _json_schema(copy.deepcopy(openapi["components"]))
    missing, wrong = [], []
    for label, operation in operations(openapi):
        for code, response in operation["responses"].items():
            if code >= "300":
                continue
            for media_type, content in response.get("content", {}).items():
                examples = [content["example"]] if "example" in content else [
                    example["value"] for example in content.get("examples", {}).values()]
                if not examples:
                    missing.append(f"{label} {code} {media_type}")
                schema = {**_json_schema(content["schema"]), "components": components}
                validator = jsonschema.Draft202012Validator(schema)
                for example in examples:
                    wrong += [f"{label} {code} {media_type}: {e.message}" for e in validator.iter_errors(example)]
    assert missing == []
    assert wrong == []


def test_an_example_that_drifts_from_its_serializer_is_caught(openapi):
    """The check above is real: an example missing a required field, or with a wrong type, fails it."""
    components = _json_schema(copy.deepcopy(openapi["components"]))
    example = copy.deepcopy(openapi["paths"]["/api/v1/adoptions/{id}/"]["get"]["responses"]["200"]["content"][
        "application/json"]["example"])
    validator = jsonschema.Draft202012Validator({"$ref": "#/components/schemas/Adoption", "components": components})
    assert validator.is_valid(example)
    del example["family"]
    assert not validator.is_valid(example)


def test_the_contributor_finds_new_adopter_and_the_workflow_in_the_docs(openapi):
    create = openapi["paths"]["/api/v1/submissions/"]["post"]["description"]
    assert "new_adopter" in create and "/api/v1/organizations/" in create
    for action in ("submit", "claim", "approve", "request-changes"):
        description = openapi["paths"][f"/api/v1/submissions/{{id}}/{action}/"]["post"]["description"]
        assert "changes_requested" in description and "allowed_actions" in description
