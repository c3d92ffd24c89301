"""Errors under /api/ are JSON whatever went wrong: unknown paths (control characters included), wrong methods;
the pages keep their HTML 404."""

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]


@pytest.mark.parametrize("path", [
    "/api/v1/nope/", "/api/nothing/", "/api/", "/api/v1/adoptions/nope/",
    # A newline is not matched by '.': these used to fall through to the pages' HTML 404 (a 500 where that
    # page could not render), the intermittent 500s of a schemathesis run.
    "/api/v1/adoptions/1%0A/", "/api/v1/organizations/a%0A/", "/api/v1/checkpoints/%0A/",
    "/api/v1/countries/s%0Ag/", "/api/v1/adoptions/%0A1/history/", "/api/v1/%0A/", "/api/%0A",
    "/api/v1/adoptions/1%00/", "/api/v1/organizations/%C2%B3/", "/api/v1/checkpoints/Qwen%2FQwen3-32B/",
    "/api/v1/checkpoints/%C2%B3/",
])
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_unknown_api_paths_answer_a_json_404(anon, as_curator, path, method):
    for client in (anon, as_curator):
        response = client.generic(method, path, "{}", content_type="application/json")
        assert response.status_code == 404, (method, path, response.status_code)
        assert response["Content-Type"] == "application/json", (method, path)
        assert "/api/v1/" in response.json()["detail"]


def test_unknown_api_paths_are_json_in_the_demo_too(anon, settings):
    settings.DEBUG = True  # make demo: Django's own 404 page would be the technical HTML one
    response = anon.get("/api/v1/nope/")
    assert response.status_code == 404 and response.json()["detail"]


@pytest.mark.parametrize("path, method, status", [
    ("/api/v1/adoptions", "GET", 301),
    ("/api/v1/adoptions?page=2", "GET", 301),
    ("/api/v1/submissions", "POST", 308),  # keeps the method and the body
    ("/api/v1", "GET", 301),
])
def test_a_path_missing_only_its_slash_is_redirected(anon, path, method, status):
    response = anon.generic(method, path)
    assert response.status_code == status
    target = path.replace("?", "/?") if "?" in path else path + "/"
    assert response["Location"] == target


def test_a_path_without_slash_and_without_endpoint_is_a_404(anon):
    response = anon.get("/api/nothing")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"


@pytest.mark.parametrize("path", ["/nope/", "/adoptions/999999/", "/organizations/%0A/", "/apiary/"])
def test_pages_keep_their_html_404(anon, path):
    response = anon.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("method, path", [
    ("DELETE", "/api/v1/families/"),
    ("PUT", "/api/v1/organizations/"),
    ("DELETE", "/api/v1/adoptions/"),
    ("PUT", "/api/v1/maps/adoption/"),
    ("GET", "/api/v1/auth/token/"),
    ("POST", "/api/v1/"),
    ("DELETE", "/api/v1/submissions/"),
])
def test_a_method_an_endpoint_lacks_is_a_json_405_whoever_asks(anon, as_contributor, as_curator, method, path):
    for client in (anon, as_contributor, as_curator):
        response = client.generic(method, path, "{}", content_type="application/json")
        assert response.status_code == 405, (method, path, response.status_code)
        assert response["Content-Type"] == "application/json"
        assert method in response.json()["detail"]
        assert method not in response["Allow"]


def test_a_method_an_endpoint_has_still_needs_the_permission(anon, as_contributor):
    assert anon.post("/api/v1/families/", {}, format="json").status_code == 401
    assert as_contributor.post("/api/v1/families/", {}, format="json").status_code == 403
