"""WCAG 2.2 AA in a real browser (issue 17): axe-core finds no serious or critical violation on the main
pages in English and French; the map's countries are reachable and named by keyboard, focus is visible,
form errors are announced, and the map's legend names its colours in readable text."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from .pages import LANGUAGES, Page, open_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
}


def serious_violations(page, name: str) -> list[str]:
    """axe's serious and critical violations on the page, one line each: rule id, impact and targets."""
    results = Axe().run(page, options=AXE_OPTIONS).response
    lines = []
    for violation in results["violations"]:
        if violation["impact"] in ("serious", "critical"):
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
            lines.append(f"{name}: {violation['id']} ({violation['impact']}) on {len(targets)}: {targets[:8]}")
    return lines


@pytest.mark.parametrize("language", LANGUAGES)
def test_axe_finds_no_serious_violation(sessions, registry_pages, language):
    session = sessions()
    found = []
    for page in registry_pages:
        open_as(session, page, language)
        found += serious_violations(session.page, page.name)
        # Colour is never alone: every status badge (record, confidence, link check) says it in words.
        mute = session.page.locator(".badge").evaluate_all("els => els.filter(el => !el.textContent.trim()).length")
        if mute:
            found.append(f"{page.name}: {mute} badge(s) with a colour and no text")
    assert found == [], "\n".join(found)


def test_the_map_countries_are_reached_and_named_by_keyboard(sessions, registry_pages):
    page = sessions().page
    page.goto("/map/")
    page.get_by_role("button", name="Update the map").focus()
    for _ in range(10):  # a few tab stops (Reset, the skip link) lie between the form and the map
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('svg#world-map') !== null"):
            break
    else:
        pytest.fail("Tab never reached a country on the map")
    country = page.locator("svg#world-map a:focus")
    expect(country).to_have_accessible_name(re.compile(r"^.+: \d+ adoptions?\b"))
    name, count = re.match(r"^(.+): (\d+) adoptions?", country.get_attribute("aria-label")).groups()
    # The same figure as the figures table, the map's text alternative.
    row = page.locator("table.figures-table tbody tr").filter(has=page.get_by_role("rowheader", name=name, exact=True))
    expect(row.locator("td.num")).to_have_text(count)
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    expect(page.get_by_role("group", name=re.compile("^Published adoptions by country"))).to_be_visible()

    # The skip link jumps past the countries' tab stops to the figures.
    page.get_by_role("button", name="Update the map").focus()
    page.keyboard.press("Tab")
    while not page.evaluate("document.activeElement.matches('.skip-map')"):
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('svg') === null")


# The focused element's outline, and the first opaque background behind it (white when none is).
FOCUS_RING = """() => {
  const style = getComputedStyle(document.activeElement);
  let el = document.activeElement, behind = "rgb(255, 255, 255)";
  for (; el; el = el.parentElement) {
    const colour = getComputedStyle(el).backgroundColor;
    if (colour !== "rgba(0, 0, 0, 0)" && el !== document.activeElement) { behind = colour; break; }
  }
  return {style: style.outlineStyle, width: parseFloat(style.outlineWidth), colour: style.outlineColor, behind};
}"""


def test_focus_is_visible_on_links_and_buttons(sessions, registry_pages):
    page = sessions().page
    page.goto("/")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the brand link, on the dark header
    header = page.evaluate(FOCUS_RING)
    page.get_by_role("link", name="All adoptions →").focus()  # no pointer: focus-visible as by keyboard
    body = page.evaluate(FOCUS_RING)
    for ring in (header, body):
        assert ring["style"] == "solid" and ring["width"] >= 2, ring
        assert contrast(ring["colour"], ring["behind"]) >= 3, ring  # non-text contrast (WCAG 1.4.11)


def test_form_errors_are_announced(sessions, registry_pages):
    session = sessions()
    contribute = next(page for page in registry_pages if page.name == "contribute")
    open_as(session, contribute, "en")
    page = session.page
    summary = page.get_by_role("alert").filter(has_text="Please correct the marked fields.")
    expect(summary).to_be_focused()
    invalid = page.locator("[aria-invalid=true]")
    assert invalid.count() > 0
    for index in range(invalid.count()):  # each invalid field is described by its error's text
        field = invalid.nth(index)
        ids = (field.get_attribute("aria-describedby") or "").split()
        errors = [page.locator(f"[id='{i}']") for i in ids if i.endswith("_error")]
        assert errors and errors[0].inner_text().strip(), f"{field.get_attribute('name')} has no described error"


def _luminance(rgb: str) -> float:
    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(float(v)) for v in re.findall(r"[\d.]+", rgb)[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    lighter, darker = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_legend_names_each_colour_in_readable_text(sessions, registry_pages, language):
    session = sessions()
    open_as(session, Page("map", "/map/"), language)
    page = session.page
    items = page.locator(".map-figure .legend li")
    assert items.count() >= 2
    for index in range(items.count()):
        item = items.nth(index)
        assert item.inner_text().strip(), "a legend colour without its text"
        text_colour, background = item.evaluate(
            "el => [getComputedStyle(el).color, getComputedStyle(el.closest('figure')).backgroundColor]")
        background = "rgb(255, 255, 255)" if background == "rgba(0, 0, 0, 0)" else background
        assert contrast(text_colour, background) >= 4.5, item.inner_text()
        # The swatch's edge sets it off from the page (non-text contrast, WCAG 1.4.11).
        edge = item.locator("svg.swatch").evaluate("el => getComputedStyle(el).borderTopColor")
        assert contrast(edge, background) >= 3, f"{item.inner_text()}: swatch edge {edge}"
