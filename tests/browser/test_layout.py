"""The layout a reader feels (issue 17, Lighthouse-style): the map takes its box at once, without shifting
the page while it loads, and no page scrolls sideways on a 360 px phone, in English or in French (whose
words are longer)."""

import pytest

from .pages import LANGUAGES, Page, open_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NARROW_PHONE = {"width": 360, "height": 740}

# Registered before any page script runs: sums the layout shifts not caused by input, as Lighthouse does.
RECORD_SHIFTS = """
window.__layoutShift = 0;
new PerformanceObserver(list => {
  for (const entry of list.getEntries()) { if (!entry.hadRecentInput) { window.__layoutShift += entry.value; } }
}).observe({type: "layout-shift", buffered: true});
"""

# The elements that reach past a 360 px screen (outside the tables, which scroll in their own box).
WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > 360 && !el.closest('.table-wrap'))
  .slice(0, 5)
  .map(el => [el.tagName.toLowerCase(), el.id, el.getAttribute('class')].filter(Boolean).join(' '))"""


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, NARROW_PHONE], ids=["desktop", "phone"])
def test_the_map_does_not_shift_the_page_while_it_loads(sessions, registry_pages, viewport):
    session = sessions(viewport)
    session.context.add_init_script(RECORD_SHIFTS)
    page = session.page
    page.goto("/map/", wait_until="load")
    page.wait_for_timeout(500)  # late shifts (fonts, the page script's changes) count too
    shift = page.evaluate("window.__layoutShift")
    assert shift < 0.1, f"cumulative layout shift {shift:.3f} on /map/"
    # The map's box is known before it is drawn: width and height give its aspect ratio.
    box = page.locator("svg#world-map").bounding_box()
    ratio = page.evaluate("(el => el.width.baseVal.value / el.height.baseVal.value)"
                          "(document.querySelector('svg#world-map'))")
    assert abs(box["width"] / box["height"] - ratio) < 0.01


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_page_scrolls_sideways_on_a_360_px_phone(sessions, registry_pages, language):
    session = sessions(NARROW_PHONE)
    too_wide = []
    for page in [*registry_pages, Page("map by family", "/map/?split=family")]:
        open_as(session, page, language)
        width = session.page.evaluate("document.documentElement.scrollWidth")
        if width > NARROW_PHONE["width"]:
            culprits = session.page.evaluate(WIDEST)
            too_wide.append(f"{page.name} ({page.url}): {width} px wide, e.g. {culprits}")
    assert too_wide == [], "\n".join(too_wide)
