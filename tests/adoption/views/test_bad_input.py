"""Bad input on the pages never yields a 500: NUL bytes (PostgreSQL refuses them in text) and odd codes."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", [
    "/countries/%00/", "/countries/A%00/", "/countries/%C3%89%C3%89/", "/countries/USA/",
    "/api/v1/adoptions/?checkpoint=%00", "/adoptions/?checkpoint=Qwen%00",
])
def test_odd_codes_answer_4xx(client, url):
    assert client.get(url).status_code in (400, 404)


def test_adopter_search_ignores_nul(client, aisg):
    response = client.get("/contribute/adopters.json?q=Sing%00apore")
    assert response.status_code == 200
    assert client.get("/contribute/adopters.json?q=Sing%00").json()["results"][0]["slug"] == "ai-singapore"


def test_contribute_prefill_ignores_nul(signed_in, contributor):
    client = signed_in(contributor)
    assert client.get("/contribute/?adopter=%00&family=%00").status_code == 200


def test_add_source_with_a_tampered_row_count_reshows_the_form(signed_in, contributor, qwen):
    client = signed_in(contributor)
    response = client.post("/contribute/", {
        "adopter": "Someone", "family": "qwen", "product_name": "Kept value", "add_source": "1",
        "evidence-TOTAL_FORMS": "abc", "evidence-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200
    assert "Kept value" in response.content.decode()
