"""Right-sized pages (issue 17): HTML and JSON answers are gzipped for clients that accept it (the cached map
answers too, with their ETag revalidation intact), never for clients that do not, and the two pages with
the world map stay under 200 KB compressed on the reference data."""

import gzip

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

BUDGET = 200 * 1024
MAP_API = "/api/v1/maps/adoption/"


def gzipped(client: Client, url: str, **headers):
    return client.get(url, headers={"Accept-Encoding": "gzip, deflate, br", **headers})


@pytest.mark.parametrize("url", ["/", "/map/"])
def test_the_pages_with_the_world_map_stay_under_200_kb_compressed(reference_data, url):
    response = gzipped(Client(), url)
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    size = len(response.content)
    html = gzip.decompress(response.content)
    assert b'<svg xmlns="http://www.w3.org/2000/svg"' in html  # the map is in the page, not fetched after
    assert size < BUDGET, f"{url}: {size / 1024:.0f} KB gzipped ({len(html) / 1024:.0f} KB of HTML)"


@pytest.mark.parametrize("url", ["/", "/adoptions/", MAP_API, "/api/v1/"])
def test_html_and_json_answers_are_gzipped_for_clients_that_accept_it(reference_data, url):
    response = gzipped(Client(), url)
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    plain = Client().get(url)  # no Accept-Encoding: the identity encoding
    assert not plain.has_header("Content-Encoding")
    body = gzip.decompress(response.content)
    if url.startswith("/api/"):
        assert body == plain.content
    else:  # pages carry a per-request CSRF token (the language switcher): compare their ends
        assert body.endswith(b"</html>\n") and plain.content.endswith(b"</html>\n")


def test_cached_map_answers_are_gzipped_and_still_revalidate(reference_data):
    client = Client()
    first = gzipped(client, MAP_API)  # computed by the view, then cached
    cached = gzipped(client, MAP_API)  # answered by CachedMapMiddleware from the cache
    identity = client.get(MAP_API)
    for response in (first, cached):
        assert response.status_code == 200 and response["Content-Encoding"] == "gzip"
        assert gzip.decompress(response.content) == identity.content
    assert not identity.has_header("Content-Encoding")
    assert cached["ETag"].startswith('W/"') and cached["ETag"] == first["ETag"] == identity["ETag"]

    again = gzipped(client, MAP_API, **{"If-None-Match": cached["ETag"]})
    assert again.status_code == 304 and not again.content and again["ETag"] == cached["ETag"]
    assert client.get(MAP_API, headers={"If-None-Match": identity["ETag"]}).status_code == 304
