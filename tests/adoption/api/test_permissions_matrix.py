"""The permission matrix, generated from the URL patterns.

Every API endpoint and method found in the URLconf must have a decision below for each of
anonymous, contributor (the owner of the records), another contributor, curator and superuser;
an endpoint added without one fails `test_every_endpoint_has_a_decision`.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from adoption.api.exceptions import not_found
from adoption.choices import Status
from adoption.models import Adoption, HubFigure, HubSnapshot, ImportBatch, Webhook
from tests.factories import (
    AdoptionFactory,
    CheckpointFactory,
    CountryFactory,
    EvidenceFactory,
    ModelFamilyFactory,
    OrganizationFactory,
)

ROLES = ("anon", "contributor", "other", "curator", "superuser")
API = "/api/v1/"


def _route(pattern) -> str:
    text = str(pattern.pattern)
    text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", text)
    text = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", text)
    return text.replace("^", "").replace("$", "").replace("\\", "")


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + _route(pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + _route(pattern), pattern.callback


def api_endpoints() -> set[str]:
    """'METHOD /api/v1/route/' for every API route and method the views answer (HEAD and OPTIONS aside)."""
    found = set()
    for route, callback in _walk(get_resolver().url_patterns, "/"):
        if not route.startswith(API) or callback is not_found:
            continue
        if actions := getattr(callback, "actions", None):
            methods = set(actions)
        else:
            view = callback.cls
            methods = {m for m in view.http_method_names if hasattr(view, m)}
        found |= {f"{method.upper()} {route}" for method in methods - {"head", "options"}}
    return found


def row(*statuses):
    return dict(zip(ROLES, statuses, strict=True))


READ = row(200, 200, 200, 200, 200)
SIGNED_IN = row(401, 200, 200, 200, 200)
CURATOR_CREATES = row(401, 403, 403, 201, 201)
CURATOR_EDITS = row(401, 403, 403, 200, 200)
OWNER_OR_CURATOR = row(401, 200, 404, 200, 200)
OWNER_ACTS = row(401, 200, 404, 403, 403)
CURATOR_DECIDES = row(401, 403, 404, 200, 200)
OWNER_ONLY = row(401, 200, 404, 404, 404)

# "METHOD route": (expected status per role, object the {id}/{slug} names, request body)
MATRIX = {
    "GET /api/v1/": (READ, None, None),
    "GET /api/v1/regions/": (READ, None, None),
    "GET /api/v1/releases/": (READ, None, None),
    "GET /api/v1/countries/": (READ, None, None),
    "GET /api/v1/countries/{iso2}/": (READ, "country", None),
    "GET /api/v1/organizations/": (READ, None, None),
    "POST /api/v1/organizations/": (CURATOR_CREATES, None, {"name": "New Lab", "kind": "startup"}),
    "GET /api/v1/organizations/{slug}/": (READ, "organization", None),
    "PATCH /api/v1/organizations/{slug}/": (CURATOR_EDITS, "organization", {"city": "Paris"}),
    "POST /api/v1/organizations/{slug}/merge/": (CURATOR_EDITS, "organization", {"into": "govtech"}),
    "GET /api/v1/families/": (READ, None, None),
    "POST /api/v1/families/": (CURATOR_CREATES, None, {"slug": "apertus", "name": "Apertus"}),
    "GET /api/v1/families/{slug}/": (READ, "family", None),
    "PATCH /api/v1/families/{slug}/": (CURATOR_EDITS, "family", {"default_license": "Apache-2.0"}),
    "GET /api/v1/checkpoints/": (READ, None, None),
    "POST /api/v1/checkpoints/": (CURATOR_CREATES, None, {"family": "qwen", "repo_id": "Qwen/Qwen3-8B"}),
    "GET /api/v1/checkpoints/{pk}/": (READ, "checkpoint", None),
    "PATCH /api/v1/checkpoints/{pk}/": (CURATOR_EDITS, "checkpoint", {"parameters": 32_000_000_000}),
    "GET /api/v1/adoptions/": (READ, None, None),
    "GET /api/v1/evidence/": (READ, None, None),
    "GET /api/v1/adoptions/{pk}/": (READ, "published", None),
    "POST /api/v1/adoptions/{pk}/retract/": (CURATOR_EDITS, "published", {"comment": "Source withdrawn"}),
    "GET /api/v1/adoptions/{pk}/history/": (READ, "published", None),
    "POST /api/v1/adoptions/{pk}/change-requests/": (row(401, 201, 201, 201, 201), "published", {"stage": "pilot"}),
    "GET /api/v1/submissions/": (SIGNED_IN, None, None),
    "POST /api/v1/submissions/": (row(401, 201, 201, 201, 201), None, {
        "adopter": "aisg", "family": "qwen", "relation": "fine_tune", "product_name": "New product"}),
    "GET /api/v1/submissions/{pk}/": (OWNER_OR_CURATOR, "draft", None),
    "PATCH /api/v1/submissions/{pk}/": (OWNER_OR_CURATOR, "draft", {"summary": "Edited"}),
    "POST /api/v1/submissions/{pk}/submit/": (OWNER_ACTS, "draft", {}),
    "POST /api/v1/submissions/{pk}/withdraw/": (OWNER_ACTS, "draft", {}),
    "POST /api/v1/submissions/{pk}/claim/": (CURATOR_DECIDES, "submitted", {}),
    "POST /api/v1/submissions/{pk}/take-over/": (CURATOR_DECIDES, "in_review", {}),
    "POST /api/v1/submissions/{pk}/release/": (CURATOR_DECIDES, "in_review", {}),
    "POST /api/v1/submissions/{pk}/approve/": (CURATOR_DECIDES, "in_review", {}),
    "POST /api/v1/submissions/{pk}/reject/": (CURATOR_DECIDES, "submitted", {"comment": "Out of scope"}),
    "POST /api/v1/submissions/{pk}/request-changes/": (CURATOR_DECIDES, "submitted", {"comment": "Add a source"}),
    "GET /api/v1/change-requests/": (SIGNED_IN, None, None),
    "GET /api/v1/change-requests/{pk}/": (OWNER_OR_CURATOR, "change_request", None),
    "POST /api/v1/change-requests/{pk}/approve/": (CURATOR_DECIDES, "change_request", {}),
    "POST /api/v1/change-requests/{pk}/reject/": (CURATOR_DECIDES, "change_request", {"comment": "Not supported"}),
    "POST /api/v1/auth/token/": (READ, None, {"username": "carla", "password": "correct-horse-battery"}),
    "GET /api/v1/maps/adoption/": (READ, None, None),
    "GET /api/v1/maps/timeseries/": (READ, None, None),
    "GET /api/v1/ecosystem/snapshots/": (READ, None, None),
    "GET /api/v1/ecosystem/families/": (READ, "hub_snapshot", None),
    "GET /api/v1/ecosystem/shares/": (READ, "hub_snapshot", None),
    "GET /api/v1/ecosystem/new-derivatives/": (READ, "hub_snapshot", None),
    "GET /api/v1/webhooks/": (SIGNED_IN, None, None),
    "POST /api/v1/webhooks/": (row(401, 201, 201, 201, 201), None, {
        "url": "https://93.184.215.14/hook", "filters": {"family": "qwen"}, "secret": "long-enough-secret-1"}),
    "GET /api/v1/webhooks/{pk}/": (OWNER_ONLY, "webhook", None),
    "DELETE /api/v1/webhooks/{pk}/": (row(401, 204, 404, 404, 404), "webhook", None),
    "GET /api/v1/webhooks/{pk}/deliveries/": (OWNER_ONLY, "webhook", None),
    # Without a file: a signed-in user gets the 400 naming it (the upload itself is tested in test_imports).
    "GET /api/v1/imports/": (SIGNED_IN, None, None),
    "POST /api/v1/imports/": (row(401, 400, 400, 400, 400), None, None),
    "GET /api/v1/imports/{pk}/": (OWNER_OR_CURATOR, "import", None),
}


def test_every_endpoint_has_a_decision():
    found = api_endpoints()
    assert found - set(MATRIX) == set(), "endpoints without an expected status per role"
    assert set(MATRIX) - found == set(), "decisions for endpoints that no longer exist"


@pytest.fixture
def world(contributor):
    """The catalogue, and a maker of the contributor's record (or change request) that a route names."""
    from adoption.services.change_requests import change_request_create

    adopter = OrganizationFactory(name="AI Singapore", slug="aisg", country=CountryFactory())
    OrganizationFactory(name="GovTech", slug="govtech", country=adopter.country)  # what aisg may merge into
    family = ModelFamilyFactory(slug="qwen", name="Qwen")

    def record(status):
        adoption = AdoptionFactory(adopter=adopter, family=family, status=status, created_by=contributor)
        EvidenceFactory(adoption=adoption)
        return adoption.pk

    def hub_snapshot():
        snapshot = HubSnapshot.objects.create(date="2025-08-31", models=0, edges=0, malformed=0)
        HubFigure.objects.bulk_create(HubFigure(snapshot=snapshot, kind=kind, payload=payload) for kind, payload in {
            "families": [], "shares:base_origin:downloads": {"total": 0, "shares": {}, "unknown": 0.0},
            "new-derivatives": {"interval": "month", "periods": [], "undated": 0}}.items())
        return snapshot.date

    makers = {
        "country": lambda: "SG", "organization": lambda: "aisg", "family": lambda: "qwen",
        "checkpoint": lambda: CheckpointFactory(family=family).pk,
        "published": lambda: record(Status.PUBLISHED),
        "draft": lambda: record(Status.DRAFT),
        "submitted": lambda: record(Status.SUBMITTED),
        "in_review": lambda: record(Status.IN_REVIEW),
        "import": lambda: ImportBatch.objects.create(created_by=contributor, file_format="csv", content="x").pk,
        "webhook": lambda: Webhook.objects.create(owner=contributor, url="https://93.184.215.14/hook",
                                                  secret="long-enough-secret-1").pk,
        "hub_snapshot": hub_snapshot,
        "change_request": lambda: change_request_create(
            adoption=Adoption.objects.get(pk=record(Status.PUBLISHED)), user=contributor, proposed={"stage": "pilot"}
        ).pk,
    }
    return lambda target: makers[target]()


@pytest.fixture
def users(contributor, other_contributor, curator, superuser):
    return {"anon": None, "contributor": contributor, "other": other_contributor, "curator": curator,
            "superuser": superuser}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_permission_matrix(endpoint, role, world, users, api_client_for):
    statuses, target, body = MATRIX[endpoint]
    method, route = endpoint.split(" ")
    url = re.sub(r"\{\w+\}", str(world(target)) if target else "", route)
    client = api_client_for(users[role])
    response = getattr(client, method.lower())(url, body, format="json") if body is not None else getattr(
        client, method.lower())(url)
    assert response.status_code == statuses[role], (endpoint, role, response.content[:300])


@pytest.mark.django_db
@pytest.mark.parametrize("route", sorted({key.split(" ")[1] for key in MATRIX}))
def test_methods_without_a_decision_are_not_allowed(route, world, superuser, api_client_for):
    client = api_client_for(superuser)
    url = route.replace("{iso2}", "SG").replace("{slug}", "aisg").replace("{pk}", "1")
    decided = {key.split(" ")[0] for key in MATRIX if key.split(" ")[1] == route}
    for method in {"GET", "POST", "PUT", "PATCH", "DELETE"} - decided:
        assert getattr(client, method.lower())(url).status_code == 405, (method, route)
