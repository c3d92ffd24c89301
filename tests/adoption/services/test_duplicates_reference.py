"""Every reference record, proposed again as a contributor would (its adopter, family, start, product and
sources), is found among the likely duplicates: on PostgreSQL (pg_trgm) and with the SQLite fallback."""

from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from adoption import selectors
from adoption.models import Adoption, ModelFamily
from adoption.services import records
from tests.factories import OrganizationFactory


@pytest.fixture(scope="module")
def reference(reference_data):
    """The reference data, loaded once for the module (tests/conftest.py)."""
    return reference_data


pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
def test_every_reference_record_is_a_duplicate_of_itself_resubmitted(reference, contributor, monkeypatch, vendor):
    monkeypatch.setattr(connection, "vendor", vendor)  # the SQLite branch: similarity computed in Python
    originals = list(Adoption.objects.published().select_related("adopter", "family").prefetch_related("evidence"))
    assert len(originals) == 58
    missed = []
    for original in originals:
        again = records.adoption_create(user=contributor, data={
            "adopter": original.adopter, "family": original.family, "relation": original.relation,
            "product_name": original.product_name, "started_on": original.started_display or None,
        }, evidence=[{"url": e.url, "kind": e.kind} for e in original.evidence.all()])
        found = {row["adoption"].pk: row["reasons"] for row in selectors.adoption_duplicates(again, viewer=contributor)}
        if original.pk not in found:
            missed.append(original.reference_id)
        else:
            assert "same adopter and family" in found[original.pk]
    assert missed == []


def respelt(url: str) -> str:
    """The same page as another citation would write it: other scheme, 'www.' toggled, trailing slash
    toggled, a fragment and tracking parameters added."""
    parts = urlsplit(url)
    host = parts.netloc.removeprefix("www.") if parts.netloc.startswith("www.") else f"www.{parts.netloc}"
    path = parts.path[:-1] if parts.path.endswith("/") else f"{parts.path}/"
    query = "&".join(filter(None, ["utm_source=newsletter", parts.query, "fbclid=IwAR0xyz"]))
    return urlunsplit(("http" if parts.scheme == "https" else "https", host, path, query, "top"))


def test_reference_records_are_found_the_way_a_contributor_misses_them(reference, contributor):
    """The README's way (same adopter and family, no product name, another source), and the same sources
    cited in another spelling under another adopter and family."""
    families = {family.pk: family for family in ModelFamily.objects.all()}
    stranger = OrganizationFactory(name="Somebody Else Entirely")
    missed = []
    for original in Adoption.objects.published().select_related("adopter", "family").prefetch_related("evidence"):
        bare = records.adoption_create(user=contributor, data={
            "adopter": original.adopter, "family": original.family, "relation": "fine_tune",
        }, evidence=[{"url": "https://example.org/announcement"}])
        other_family = next(f for pk, f in families.items() if pk != original.family_id)
        cited = records.adoption_create(user=contributor, data={
            "adopter": stranger, "family": other_family, "relation": "deployment",
        }, evidence=[{"url": respelt(e.url), "kind": e.kind} for e in original.evidence.all()])
        for again, reason in ((bare, "same adopter and family"), (cited, "cites the same source")):
            found = {row["adoption"].pk: row["reasons"] for row in selectors.adoption_duplicates(again)}
            if not any(text.startswith(reason) for text in found.get(original.pk, [])):
                missed.append((original.reference_id, reason))
    assert missed == []


def test_the_readme_example_lists_the_reference_record(reference, contributor, api_client_for):
    """README: POST a submission for adopter sunbird-ai, family qwen, started 2025-10."""
    answer = api_client_for(contributor).post("/api/v1/submissions/", {
        "adopter": "sunbird-ai", "family": "qwen", "relation": "fine_tune", "stage": "pilot", "started_on": "2025-10",
        "evidence": [{"url": "https://example.org/announcement", "kind": "official_announcement"}],
    }, format="json")
    assert answer.status_code == 201, answer.json()
    sunflower = Adoption.objects.get(reference_id="ADP-042")
    duplicates = {row["id"]: row for row in answer.json()["duplicates"]}
    assert sunflower.pk in duplicates
    assert duplicates[sunflower.pk]["reasons"] == ["same adopter and family"]
    assert duplicates[sunflower.pk]["status"] == "published"
