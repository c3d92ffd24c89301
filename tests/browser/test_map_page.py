"""The map page's time slider in a real browser: moving it redraws the map for adoptions started by then,
and the page without scripts keeps the date fields alone."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from adoption.choices import DatePrecision, Status
from adoption.services import moderation
from tests.factories import AdoptionFactory, CountryFactory, EvidenceFactory, ModelFamilyFactory, OrganizationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def two_years(contributor, curator):
    """One adoption started in 2024-01 (in China), one in 2025-06 (in the United States), both approved."""
    china = CountryFactory(iso2="CN", iso3="CHN", numeric="156", name="China")
    usa = CountryFactory(iso2="US", iso3="USA", numeric="840", name="United States")
    qwen = ModelFamilyFactory(slug="qwen", name="Qwen", origin_country=china)
    for country, started in ((china, datetime.date(2024, 1, 1)), (usa, datetime.date(2025, 6, 1))):
        record = AdoptionFactory(
            adopter=OrganizationFactory(country=country), family=qwen, status=Status.DRAFT, created_by=contributor,
            started_on=started, started_precision=DatePrecision.MONTH,
        )
        EvidenceFactory(adoption=record)
        moderation.adoption_submit(adoption=record, user=contributor)
        moderation.adoption_claim(adoption=record, user=curator)
        moderation.adoption_approve(adoption=record, user=curator)


def test_the_time_slider_redraws_the_map_by_start_date(sessions, two_years):
    page = sessions().page
    page.goto("/map/")
    caption = page.locator(".map-figure figcaption")
    expect(caption).to_contain_text("2 adoptions in 2 countries")
    slider = page.get_by_label("Adoptions started by")
    expect(slider).to_be_visible()
    expect(page.locator("#time-slider-value")).to_have_text("all dates")

    slider.fill("5")  # five months after 2024-01
    expect(page.locator("#time-slider-value")).to_have_text("2024-06")
    expect(caption).to_contain_text("1 adoption in 1 country")
    expect(page).to_have_url(re.compile(r"until=2024-06"))
    expect(page.get_by_label("Started until")).to_have_value("2024-06")

    page.reload()  # the address is the state: the slider comes back where it was
    expect(page.locator("#time-slider-value")).to_have_text("2024-06")
    expect(caption).to_contain_text("1 adoption in 1 country")


def test_without_scripts_the_slider_stays_hidden_and_the_date_fields_work(browser, live_server, two_years):
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    page = context.new_page()
    page.goto("/map/")
    expect(page.locator("[data-time-slider]")).to_be_hidden()
    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Started until").fill("2024-06")
    page.get_by_role("button", name="Update the map").click()
    expect(page.locator(".map-figure figcaption")).to_contain_text("1 adoption in 1 country")
    context.close()
