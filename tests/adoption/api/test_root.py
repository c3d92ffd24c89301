"""GET /api/v1/ (the footer's API link): every endpoint by name, as absolute URLs, for anyone."""

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

EXPECTED = {
    "regions", "countries", "organizations", "families", "checkpoints", "adoptions", "submissions",
    "change-requests", "auth-token", "maps-adoption", "maps-timeseries", "schema", "docs",
}


def test_the_root_lists_every_endpoint_as_an_absolute_url(anon):
    response = anon.get("/api/v1/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    endpoints = response.json()
    assert set(endpoints) >= EXPECTED
    assert endpoints["adoptions"] == "http://testserver/api/v1/adoptions/"
    assert endpoints["maps-adoption"] == "http://testserver/api/v1/maps/adoption/"
    assert endpoints["schema"] == "http://testserver/api/schema/"
    assert endpoints["docs"] == "http://testserver/api/docs/"


def test_every_listed_endpoint_exists(anon, as_contributor):
    for name, url in anon.get("/api/v1/").json().items():
        path = url.removeprefix("http://testserver")
        answer = as_contributor.get(path).status_code
        # The token exchange only takes POST; everything else reads.
        assert answer == (405 if name == "auth-token" else 200), (name, answer)


def test_the_root_is_the_same_signed_in_and_follows_the_host(anon, as_contributor):
    assert as_contributor.get("/api/v1/").json() == anon.get("/api/v1/").json()
    other = anon.get("/api/v1/", HTTP_HOST="localhost").json()
    assert other["regions"] == "http://localhost/api/v1/regions/"


def test_the_footer_link_leads_to_the_root(anon):
    assert 'href="/api/v1/"' in anon.get("/").content.decode()
    assert anon.get("/api/v1/", HTTP_ACCEPT="text/html").status_code == 200
