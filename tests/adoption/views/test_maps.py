"""The map page: an SVG drawn on the server with tooltips, small states visible, the API's parameters,
a split breakdown, a figures table, downloads, and the SVG at its own URL."""

import re

import pytest

from tests.factories import AdoptionFactory, OrganizationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]


@pytest.fixture
def mapped(published, llama, usa, qwen, aisg):
    AdoptionFactory(adopter=aisg, family=llama, product_name="Llama-SEA-LION", published=True)
    AdoptionFactory(adopter=OrganizationFactory(name="Texas Gov", country=usa, city="Austin"),
                    family=llama, published=True)
    return published


def test_map_page_draws_the_figures(client, mapped):
    response = client.get("/map/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<title>Adoption map" in body
    assert re.search(r'<path d="M[^"]+" fill="#[0-9a-f]{6}" data-iso2="SG"><title>Singapore: 2 adoptions — '
                     r"China 1 \(50%\), United States 1 \(50%\)</title>", body)
    # Singapore is too small to see: it also gets a circle with the same tooltip
    assert re.search(r'<circle [^>]+><title>Singapore: 2 adoptions', body)
    # its marker is the link (one tab stop), named by the figures for screen readers
    assert re.search(r'<a href="/countries/SG/" aria-label="Singapore: 2 adoptions — [^"]+"><circle ', body)
    assert body.count('<a href="/countries/SG/" ') == 1
    # table of figures and the split breakdown
    assert '<th scope="row"><a href="/countries/SG/">Singapore</a></th>' in body
    assert 'aria-label="United States 67%, China 33%"' in body
    # downloads: the API's CSV and GeoJSON, and the SVG
    assert 'href="/api/v1/maps/adoption/?group_by=country&amp;split=origin_country&amp;unit=adoptions' \
           '&amp;format=csv"' in body or "format=csv" in body
    assert "format=geojson" in body and "/map/map.svg?" in body


def test_map_filters_are_the_api_parameters(client, mapped):
    body = client.get("/map/?family=llama&unit=adopters").content.decode()
    assert "<title>Singapore: 1 adopter" in body and "<title>United States: 1 adopter" in body
    assert "family=llama" in body  # passed on to the downloads


def test_map_bad_parameters_are_400_with_messages(client, mapped):
    response = client.get("/map/?group_by=planet&since=2025-13")
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_group_by_error"' in body and 'id="id_since_error"' in body
    assert "could not be drawn" in body


def test_map_by_region_colours_member_countries(client, mapped):
    body = client.get("/map/?group_by=subregion").content.decode()
    # (the test countries all sit in South-eastern Asia: the factory's default sub-region)
    assert re.search(r'data-iso2="MY"><title>South-eastern Asia: 3 adoptions', body)
    assert '<a href="/adoptions/?region=035" aria-label="South-eastern Asia: 3 adoptions' in body


def test_map_by_city_draws_circles(client, mapped):
    body = client.get("/map/?group_by=city").content.decode()
    assert re.search(r"<circle [^>]+><title>Austin \(US\): 1 adoption", body)


def test_colour_by_share(client, mapped):
    body = client.get("/map/?colour=CN").content.decode()
    assert "coloured by share of China" in body and "80–100%" in body


def test_svg_at_its_own_url(client, mapped):
    response = client.get("/map/map.svg?family=qwen")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    body = response.content.decode()
    assert body.startswith('<?xml version="1.0"') and "<title>Singapore: 1 adoption" in body
    assert "no adoptions" in body  # the legend is drawn in the file
    assert client.get("/map/map.svg?unit=lots").status_code == 400


def test_partial_for_the_page_script(client, mapped):
    body = client.get("/map/", headers={"X-Map-Partial": "1"}).content.decode()
    assert "<html" not in body and "<svg" in body


def test_map_escapes_names(client, qwen):
    AdoptionFactory(adopter=OrganizationFactory(name="X", country=None, city="<b>City</b>"),
                    family=qwen, published=True)
    body = client.get("/map/?group_by=city").content.decode()
    assert "<b>City</b>" not in body


def test_adopters_split_bars_fit_though_their_shares_overlap(client, mapped, qwen, aisg):
    """AI Singapore builds on Llama and Qwen: one adopter, under both origins (shares 100% + 100%). The
    page counts it once and its split bars stay within their width, with the true shares in the titles."""
    body = client.get("/map/?unit=adopters").content.decode()
    assert re.search(r"<title>Singapore: 1 adopter — China 1 \(100%\), United States 1 \(100%\)</title>", body)
    assert re.search(r'<th scope="row"><a href="/countries/SG/">Singapore</a></th>\s*<td class="num">1</td>', body)
    for bar in re.findall(r'<svg class="splitbar".*?</svg>', body):
        ends = [float(x) + float(width) for x, width in re.findall(r'<rect x="([\d.]+)" width="([\d.]+)"', bar)]
        assert max(ends) <= 100.001, bar
    assert "China: 1 (100%)" in body and "United States: 1 (100%)" in body


@pytest.mark.parametrize("query", ["until=9999", "until=9999-12", "until=9999-12-31", "since=0001",
                                   "since=0001-01-01&until=9999-12-31", "since=9999-12-31", "until=0001-01"])
@pytest.mark.parametrize("unit", ["adoptions", "adopters"])
def test_the_page_and_its_svg_take_the_first_and_last_dates_there_are(client, mapped, query, unit):
    for url in ("/map/", "/map/map.svg"):
        response = client.get(f"{url}?{query}&unit={unit}")
        assert response.status_code == 200, (url, response.content[:300])
    empty = query in ("since=9999-12-31", "until=0001-01")
    assert ("Nothing published matches" in client.get(f"/map/?{query}").content.decode()) == empty


@pytest.mark.parametrize("as_of", ["8144-07-24T02:03:57.320+22:00", "0001-01-01T00:00:00+01:00", "10000-01-01"])
def test_an_instant_out_of_range_is_a_message_on_the_page(client, mapped, as_of):
    response = client.get("/map/", {"as_of": as_of})
    assert response.status_code == 400 and 'id="id_as_of_error"' in response.content.decode()
    assert client.get("/map/map.svg", {"as_of": as_of}).status_code == 400


def test_the_time_slider_runs_from_the_first_start_to_this_month(client, mapped):
    import datetime

    today = datetime.date.today()
    months = (today.year * 12 + today.month) - (2025 * 12 + 3)  # the records started in 2025-03
    body = client.get("/map/").content.decode()
    slider = re.search(r'<div class="time-slider" data-time-slider data-first="([0-9-]+)" hidden>', body)
    assert slider and slider.group(1) == "2025-03"  # hidden until the page script shows it
    assert f'min="0" max="{months}" step="1" value="{months}"' in body
    assert ">all dates</output>" in body

    body = client.get("/map/", {"until": "2025-06-14"}).content.decode()
    assert f'max="{months}" step="1" value="3"' in body and ">2025-06</output>" in body
    # Before the first start date: the slider's first step.
    assert 'step="1" value="0"' in client.get("/map/", {"until": "1999"}).content.decode()


def test_the_page_says_what_as_of_means_beside_since_and_until(client, mapped):
    body = client.get("/map/").content.decode()
    assert "As of</strong> shows the registry as it was published at that instant" in body
    assert "Started since / until</strong> keep the adoptions that began in that period" in body


def test_no_slider_when_nothing_published_is_dated(client, db):
    assert "data-time-slider" not in client.get("/map/").content.decode()
