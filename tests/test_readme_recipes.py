"""The README's recipes answer their questions on the reference data: each request succeeds and says
something (a test that breaks when an endpoint, a parameter or the reference data drifts from the README)."""

import csv
import io
import re
from pathlib import Path

import pytest
from rest_framework.test import APIClient

README = Path(__file__).resolve().parents[1] / "README.md"
pytestmark = pytest.mark.django_db


def recipe_urls() -> list[str]:
    text = README.read_text()
    section = text[text.index("### Recipes"):text.index("\n## ", text.index("### Recipes"))]
    return re.findall(r"curl -s '(http://127\.0\.0\.1:8000[^']+)'", section)


def test_the_readme_has_the_five_recipes():
    assert len(recipe_urls()) == 5


@pytest.mark.parametrize("url", recipe_urls())
def test_each_recipe_answers_from_the_reference_data(reference_data, url):
    response = APIClient().get(url.removeprefix("http://127.0.0.1:8000"))
    assert response.status_code == 200, response.content[:300]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if "format=csv" in url:
        rows = list(csv.DictReader(io.StringIO(body.decode())))
        assert rows, url
    else:
        data = response.json()
        assert data.get("total") or data.get("results") or data.get("series"), url


def test_the_first_recipe_tells_chinese_from_us_models_by_country(reference_data):
    [url] = [u for u in recipe_urls() if "origin_country=CN,US" in u]
    response = APIClient().get(url.removeprefix("http://127.0.0.1:8000"))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {row["split_key"] for row in rows} == {"CN", "US"}
    singapore = {row["split_key"]: int(row["count"]) for row in rows if row["group_key"] == "SG"}
    assert singapore["CN"] >= 1 and singapore["US"] >= 1  # SEA-LION on Qwen and on Llama/Gemma
