"""The pages the accessibility and layout checks visit (issue 17), on the reference data, as the reader who
sees them: anonymous, a signed-in contributor, a curator; in English or French (the language cookie).
The checks never read the French texts themselves: the catalogue may still be incomplete."""

from dataclasses import dataclass

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from adoption.choices import EvidenceKind, Relation, Stage
from adoption.models import Adoption, ModelFamily
from adoption.services import moderation, records

LANGUAGES = ["en", "fr"]


@dataclass
class Page:
    name: str
    url: str
    user: object = None
    form_error: bool = False  # submitted empty, so the form shows its errors


@pytest.fixture
def registry_pages(contributor, curator) -> list[Page]:
    """The reference data, plus a submission waiting for review; the list of pages to check."""
    call_command("load_reference_data", verbosity=0)
    published = Adoption.objects.published().select_related("adopter__country").order_by("pk").first()
    submission = records.adoption_create(
        user=contributor, submit=True,
        data={"adopter": published.adopter, "family": ModelFamily.objects.get(slug="qwen"),
              "relation": Relation.FINE_TUNE, "stage": Stage.PILOT, "started_on": "2025-06",
              "product_name": "A pilot waiting for review"},
        evidence=[{"url": "https://example.org/announcement", "kind": EvidenceKind.OFFICIAL_ANNOUNCEMENT,
                   "title": "Announcement", "publisher": "Example", "quote": "We build on it."}],
    )
    moderation.adoption_claim(adoption=submission, user=curator)
    return [
        Page("home", "/"),
        Page("map", "/map/"),
        Page("adoptions", "/adoptions/"),
        Page("adoption", published.get_absolute_url()),
        Page("organization", published.adopter.get_absolute_url()),
        Page("country", f"/countries/{published.adopter.country.iso2}/"),
        Page("contribute", "/contribute/", contributor, form_error=True),
        Page("my-submissions", "/me/submissions/", contributor),
        Page("moderation", "/moderation/", curator),
        Page("review", f"/moderation/{submission.pk}/", curator),
    ]


def open_as(session, page: Page, language: str) -> None:
    """Go to the page as its reader, in `language`; a form page is submitted empty to show its errors."""
    cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": session.base_url}]
    session.context.clear_cookies()
    if page.user is not None:
        client = Client()
        client.force_login(page.user)
        session_id = client.cookies[settings.SESSION_COOKIE_NAME].value
        cookies.append({"name": settings.SESSION_COOKIE_NAME, "value": session_id, "url": session.base_url})
    session.context.add_cookies(cookies)
    response = session.page.goto(page.url)
    assert response.ok, f"{page.url}: {response.status}"
    if page.form_error:
        session.page.locator("form#contribute-form button[type=submit][value=submit]").click()
        session.page.wait_for_load_state()
        # The form's answer is a 400, which Chromium logs as a console error: expected here.
        session.errors[:] = [error for error in session.errors if "status of 400" not in error]
        assert session.page.locator("[aria-invalid=true]").count(), f"{page.url}: no field marked invalid"
    assert session.page.locator("html").get_attribute("lang") == language, f"{page.url} is not in {language}"
