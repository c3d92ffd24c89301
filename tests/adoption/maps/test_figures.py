"""The home page's headline figures are the map's: after approvals, retractions, a fold and a bulk import
not yet rebuilt, the numbers a visitor reads on / equal the totals of /api/v1/maps/adoption/."""

import re

import pytest
from django.core.management import call_command

from adoption.choices import Status
from adoption.maps import fold
from adoption.models import Adoption, ModelFamily, Organization
from adoption.services import moderation
from tests.adoption.maps.registry import make_geography, publish
from tests.factories import AdoptionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

API = "/api/v1/maps/adoption/"


def _home_figures(client) -> dict[str, int]:
    body = client.get("/").content.decode()
    patterns = {"adoptions": r"<strong>(\d+)</strong> published adoptions?</li>",
                "adopters": r"<strong>(\d+)</strong> adopters?</li>",
                "countries": r"<strong>(\d+)</strong> adopter countr(?:y|ies)</li>",
                "families": r"<strong>(\d+)</strong> base model famil(?:y|ies)</li>"}
    found = {name: re.search(pattern, body) for name, pattern in patterns.items()}
    assert all(found.values()), found
    return {name: int(match.group(1)) for name, match in found.items()}


def _api_figures(client) -> dict[str, int]:
    adoptions = client.get(API, {"unit": "adoptions"}).json()
    adopters = client.get(API, {"unit": "adopters"}).json()
    families = client.get(API, {"split": "family"}).json()
    return {"adoptions": adoptions["total"], "adopters": adopters["total"],
            "countries": sum(1 for group in adoptions["groups"] if group["key"] != "unknown"),
            "families": len(families["split_totals"])}


def test_the_home_pages_figures_are_the_map_apis_totals(client, curator, django_capture_on_commit_callbacks):
    countries = make_geography()
    aisg = Organization.objects.create(name="AI Singapore", slug="ai-sg", country=countries["SG"], is_published=True)
    govtech = Organization.objects.create(name="GovTech", slug="govtech", country=countries["SG"], is_published=True)
    lab = Organization.objects.create(name="Lab", slug="lab", country=countries["KE"], is_published=True)
    nowhere = Organization.objects.create(name="Nowhere", slug="nowhere", is_published=True)
    llama = ModelFamily.objects.create(slug="llama", name="Llama", origin_country=countries["US"])
    qwen = ModelFamily.objects.create(slug="qwen", name="Qwen", origin_country=countries["CN"])
    gemma = ModelFamily.objects.create(slug="gemma", name="Gemma", origin_country=countries["US"])
    # Each write as its request commits it (the cached data version is dropped on commit).
    with django_capture_on_commit_callbacks(execute=True):
        for adopter, family in ((aisg, llama), (aisg, qwen), (govtech, qwen), (lab, gemma), (nowhere, qwen)):
            publish(adopter=adopter, family=family)
    AdoptionFactory(adopter=lab, family=llama, status=Status.IN_REVIEW)  # not published: never counted

    # An adopter on two families is one adopter; a record without a country is no adopter country.
    expected = {"adoptions": 5, "adopters": 4, "countries": 2, "families": 3}
    assert _home_figures(client) == _api_figures(client) == expected

    with django_capture_on_commit_callbacks(execute=True):
        moderation.adoption_retract(adoption=Adoption.objects.get(adopter=lab, family=gemma), user=curator,
                                    comment="Source withdrawn.")
    expected = {"adoptions": 4, "adopters": 3, "countries": 1, "families": 2}
    assert _home_figures(client) == _api_figures(client) == expected

    fold.fold()  # the deltas into the summary: nothing a visitor reads moves
    assert _home_figures(client) == _api_figures(client) == expected

    # A bulk import straight into the table: the maps count it once rebuilt, and so does the home page
    # (a page counting the records itself would run ahead of the map here).
    Adoption.objects.filter(adopter=lab, family=llama).update(status=Status.PUBLISHED)
    assert _home_figures(client) == _api_figures(client) == expected
    with django_capture_on_commit_callbacks(execute=True):
        call_command("rebuild_map_summary")
    expected = {"adoptions": 5, "adopters": 4, "countries": 2, "families": 2}
    assert _home_figures(client) == _api_figures(client) == expected
