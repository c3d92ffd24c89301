"""The whole round in a real browser: sign up, contribute with two sources, changes requested, fix and
resubmit, a second curator approves, and the record is on the list and in the map's figures.

Screenshots of the home page, map, contribution form and moderation page go to test-artifacts/ at
desktop and phone sizes.
"""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from adoption.choices import Status
from adoption.models import Adoption
from tests.factories import CountryFactory, ModelFamilyFactory, OrganizationFactory

from .conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "correct-horse-battery"


@pytest.fixture
def catalogue(db):
    china = CountryFactory(iso2="CN", iso3="CHN", numeric="156", name="China")
    OrganizationFactory(name="AI Singapore", slug="ai-singapore", country=CountryFactory(), city="Singapore")
    return ModelFamilyFactory(slug="qwen", name="Qwen", origin_country=china,
                              developer=OrganizationFactory(name="Alibaba Cloud", country=china))


def log_in(session, username: str) -> None:
    page = session.page
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_contribute_review_publish(sessions, catalogue, curator, second_curator):
    # 1. A visitor signs up and proposes an adoption with two sources.
    author = sessions()
    page = author.page
    page.goto("/")
    author.shot("home-desktop")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Username").fill("newcontributor")
    page.get_by_label("Email").fill("new@example.org")
    page.get_by_label("Password", exact=True).fill("a-long-passphrase-42")
    page.get_by_label("Password confirmation").fill("a-long-passphrase-42")
    page.get_by_role("button", name="Create account").click()
    # Sign-up answers alike for new and known emails: the account is activated by the link it emails.
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    [welcome] = [message for message in mail.outbox if message.to == ["new@example.org"]]
    page.goto(re.search(r"https?://\S+/accounts/\S+", welcome.body).group(0))
    page.get_by_role("button", name="Activate and sign in").click()
    expect(page).to_have_url(re.compile(r"/contribute/$"))
    expect(page.get_by_role("heading", name="Propose an adoption")).to_be_visible()

    page.get_by_label("Organization", exact=True).fill("AI Singapore")
    page.get_by_label("Base model family").select_option("qwen")
    page.get_by_label("How it builds on the family").select_option("continued_pretraining")
    page.get_by_label("Product or derived model").fill("Qwen-SEA-LION-v4")
    page.get_by_label("Started", exact=True).fill("2025-11")
    page.get_by_label("Languages served").fill("ms, id, th")
    page.locator("#id_evidence-0-url").fill("https://huggingface.co/aisingapore/Qwen-SEA-LION-v4-32B-IT")
    page.locator("#id_evidence-0-kind").select_option("model_card")
    page.get_by_role("button", name="Add another source").click()  # added in place by the page script
    expect(page.locator("#id_evidence-1-url")).to_be_focused()
    page.locator("#id_evidence-1-url").fill("https://sea-lion.ai/blog/qwen-sea-lion-v4")
    page.locator("#id_evidence-1-kind").select_option("official_announcement")
    author.shot("contribute-desktop")
    page.set_viewport_size(PHONE)
    author.shot("contribute-phone")
    page.get_by_role("button", name="Submit for review").click()
    expect(page).to_have_url(re.compile(r"/me/submissions/$"))
    expect(page.get_by_text("Submitted. A curator will review it")).to_be_visible()
    adoption = Adoption.objects.get()
    assert adoption.status == Status.SUBMITTED and adoption.evidence.count() == 2

    # 2. A curator asks for changes.
    reviewer = sessions()
    log_in(reviewer, curator.username)
    reviewer.page.get_by_role("link", name=re.compile(r"^Moderation")).click()
    reviewer.page.get_by_role("link", name=re.compile(r"AI Singapore on Qwen")).click()
    expect(reviewer.page.get_by_role("heading", name="Likely duplicates")).to_be_visible()
    reviewer.page.get_by_label("Comment to the contributor").fill("Please give the exact start date.")
    reviewer.shot("moderation-desktop")
    reviewer.page.set_viewport_size(PHONE)
    reviewer.shot("moderation-phone")
    reviewer.page.get_by_role("button", name="Request changes").click()
    expect(reviewer.page.get_by_text("Sent back to the contributor")).to_be_visible()

    # 3. The contributor fixes it and resubmits.
    page.goto("/me/submissions/")
    expect(page.get_by_text("Please give the exact start date.")).to_be_visible()
    page.get_by_role("link", name="Edit and resubmit").click()
    page.get_by_label("Started", exact=True).fill("2025-11-24")
    page.get_by_role("button", name="Save and resubmit").click()
    expect(page.get_by_text("Submitted. A curator will review it")).to_be_visible()

    # 4. A second curator claims and approves.
    approver = sessions()
    log_in(approver, second_curator.username)
    approver.page.goto(f"/moderation/{adoption.pk}/")
    approver.page.get_by_role("button", name="Claim for review").click()
    approver.page.get_by_role("button", name="Approve and publish").click()
    expect(approver.page.get_by_text("Approved: the record is published")).to_be_visible()
    adoption.refresh_from_db()
    assert adoption.status == Status.PUBLISHED and adoption.started_display == "2025-11-24"

    # 5. Anyone sees it on the list and in the map's figures.
    visitor = sessions()
    visitor.page.goto("/adoptions/")
    expect(visitor.page.get_by_role("link", name="AI Singapore")).to_be_visible()
    visitor.page.goto("/map/")
    row = visitor.page.locator("table.figures-table tbody tr", has_text="Singapore")
    expect(row.locator("td.num")).to_have_text("1")
    expect(visitor.page.locator('svg#world-map circle title')).to_have_text(re.compile(r"^Singapore: 1 adoption"))
    visitor.shot("map-desktop")
    # the script swaps the results when a setting changes
    visitor.page.get_by_label("Count", exact=True).select_option("adopters")
    expect(visitor.page.locator("#map-results")).to_contain_text("1 adopter")
    expect(visitor.page).to_have_url(re.compile(r"unit=adopters"))
    visitor.page.goto("/")
    expect(visitor.page.get_by_text("published adoption", exact=False).first).to_be_visible()
    visitor.shot("home-desktop-after")

    phone = sessions(PHONE)
    phone.page.goto("/")
    phone.shot("home-phone")
    phone.page.goto("/map/")
    phone.shot("map-phone")

    assert [url for s in (author, reviewer, approver, visitor, phone) for url in s.outside] == []
    assert [err for s in (author, reviewer, approver, visitor, phone) for err in s.errors] == []


def test_contribute_form_works_without_javascript(browser, live_server, catalogue, contributor):
    """The 'add another source' button re-shows the form from the server when scripts are off."""
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(contributor.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/contribute/")
    page.get_by_label("Product or derived model").fill("Kept value")
    page.get_by_role("button", name="Add another source").click()
    expect(page.locator("#id_evidence-1-url")).to_be_visible()
    expect(page.get_by_label("Product or derived model")).to_have_value("Kept value")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Please correct the marked fields.")).to_be_visible()
    expect(page.get_by_label("Product or derived model")).to_have_value("Kept value")
    context.close()
