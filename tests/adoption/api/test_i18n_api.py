"""The API in other languages: its error messages follow Accept-Language, its keys and values never do.

A pseudo catalogue stands in for French and Chinese (every message wrapped in «»), so a text that went
through gettext shows wherever it lands, whatever the real catalogues hold yet."""

import re

import pytest
from django.core.cache import cache
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import trans_real
from rest_framework.test import APIClient

from adoption.api import maps as api_maps
from adoption.choices import Relation
from tests.adoption.maps.registry import make_geography
from tests.factories import AdoptionFactory, EvidenceFactory, ModelFamilyFactory, OrganizationFactory

pytestmark = pytest.mark.django_db
LANGUAGES = ("fr", "zh-hans")
MAP, SERIES = "/api/v1/maps/adoption/", "/api/v1/maps/timeseries/"


class PseudoTranslation:
    """A language's real catalogue with every message it gives wrapped in « »."""

    def __init__(self, real):
        self.real = real

    def __getattr__(self, name):
        return getattr(self.real, name)

    def gettext(self, message):
        context, separator, text = message.rpartition("\x04")  # pgettext: "context\x04message"
        return f"«{self.real.gettext(message) if not separator else text}»"

    def ngettext(self, singular, plural, number):
        return f"«{self.real.ngettext(singular, plural, number)}»"


@pytest.fixture(autouse=True)
def pseudo_catalogues(monkeypatch):
    for code in LANGUAGES:
        monkeypatch.setitem(trans_real._translations, code, PseudoTranslation(trans_real.translation(code)))
    yield
    translation.activate("en")


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def registry():
    countries = make_geography()
    llama = ModelFamilyFactory(slug="llama", origin_country=countries["US"], developer__country=countries["US"])
    qwen = ModelFamilyFactory(slug="qwen", origin_country=countries["CN"], developer__country=countries["CN"])
    sg = OrganizationFactory(country=countries["SG"], city="Singapore")
    ke = OrganizationFactory(country=countries["KE"], city="Nairobi", kind="government")
    records = [
        AdoptionFactory(adopter=adopter, family=family, sectors=["health"], relation=relation, published=True)
        for adopter, family, relation in ((sg, llama, Relation.FINE_TUNE), (sg, qwen, Relation.DEPLOYMENT),
                                          (ke, qwen, Relation.FINE_TUNE))
    ]
    EvidenceFactory(adoption=records[0])
    return records


def _stable(body: bytes) -> bytes:
    """The body without the moment it was made (a map answer's generated_at), and without the feed's
    xml:lang (Django's Feed declares the active language; the feed's own attribute is adoption/feeds.py's)."""
    body = re.sub(rb'<feed xml:lang="[^"]*"', b"<feed", body)
    return re.sub(rb'"generated_at": ?"[^"]*"', b'"generated_at": ""', body)


def _get(client, url, language=None, **headers):
    if language:
        headers["HTTP_ACCEPT_LANGUAGE"] = language
    return client.get(url, **headers)


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


ENDPOINTS = [
    "/api/v1/adoptions/", "/api/v1/adoptions/?format=csv", "/api/v1/adoptions/?format=ndjson",
    "/api/v1/evidence/", "/api/v1/organizations/", "/api/v1/families/", "/api/v1/countries/",
    "/api/v1/regions/", "/api/v1/checkpoints/", "/api/v1/ecosystem/snapshots/", "/api/v1/",
    f"{MAP}", f"{MAP}?format=geojson", f"{MAP}?format=csv",
    *(f"{MAP}?group_by={group}&split={split}" for group in ("region", "subregion", "city")
      for split in ("family", "relation", "stage", "adopter_kind", "none")),
    f"{MAP}?group_by=region&split=relation&format=csv", f"{MAP}?split=adopter_kind&format=geojson",
    f"{MAP}?unit=adopters&split=stage", f"{SERIES}", f"{SERIES}?split=relation&interval=quarter",
    f"{SERIES}?split=adopter_kind&format=csv", "/feeds/adoptions.atom",
]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_answers_are_the_same_bytes_in_every_language(client, registry, url):
    english = _get(client, url)
    assert english.status_code == 200
    english = _body(english)
    for language in LANGUAGES:
        cache.clear()  # computed afresh in this language, not served from the English answer
        other = _get(client, url, language)
        assert other.status_code == 200
        other = _body(other)
        assert _stable(other) == _stable(english), language
        assert "«".encode() not in other


def test_a_record_reads_the_same_in_every_language(client, registry):
    url = f"/api/v1/adoptions/{registry[0].pk}/"
    english = _get(client, url)
    assert english.status_code == 200
    for language in LANGUAGES:
        assert _get(client, url, language).content == english.content


def test_the_openapi_schema_stays_english(client, registry):
    english = _get(client, "/api/schema/?format=json")
    assert english.status_code == 200
    for language in LANGUAGES:
        assert _get(client, "/api/schema/?format=json", language).content == english.content
    assert _get(client, "/api/schema/?format=json&lang=fr").content == english.content


def test_a_bad_parameter_is_refused_with_the_same_keys_and_messages_in_the_language(client, registry):
    url = "/api/v1/adoptions/?stage=nonsense"
    english = _get(client, url)
    assert english.status_code == 400
    assert english.json()["stage"][0].startswith("Unknown value 'nonsense'. Choose from: ")
    for language in LANGUAGES:
        answer = _get(client, url, language)
        assert answer.status_code == 400
        assert answer.json().keys() == english.json().keys()
        with translation.override(language):
            expected = _("Unknown value %(value)s. Choose from: %(values)s.")
        assert answer.json()["stage"][0].startswith(expected.split("%(value)s")[0])
        assert answer.json()["stage"][0] != english.json()["stage"][0]


def test_a_bad_map_parameter_follows_the_language_and_its_answer_is_not_cached(client, registry):
    english = _get(client, f"{MAP}?group_by=planet")
    french = _get(client, f"{MAP}?group_by=planet", "fr")
    assert english.status_code == french.status_code == 400
    assert english.json().keys() == french.json().keys() == {"group_by"}
    with translation.override("fr"):
        expected = _("Choose one of: %(values)s.") % {"values": "country, subregion, region, intermediate_region, city"}
    assert french.json()["group_by"] == [expected]
    assert english.json()["group_by"] == ["Choose one of: country, subregion, region, intermediate_region, city."]
    assert "Accept-Language" in french["Vary"]


def test_an_invalid_submission_is_refused_with_the_same_keys_and_messages_in_the_language(
        api_client_for, contributor, registry):
    client = api_client_for(contributor)
    body = {"family": "llama", "relation": "fine_tune", "adopter": registry[0].adopter.slug, "summary": 42,
            "extra": "?"}
    english = client.post("/api/v1/submissions/", body, format="json")
    assert english.status_code == 400
    assert english.json() == {"summary": ["Expected a string."], "extra": ["Unknown field."]}
    for language in LANGUAGES:
        answer = client.post("/api/v1/submissions/", body, format="json", HTTP_ACCEPT_LANGUAGE=language)
        assert answer.status_code == 400
        with translation.override(language):
            assert answer.json() == {"summary": [_("Expected a string.")], "extra": [_("Unknown field.")]}


def test_a_refused_reference_names_the_thing_in_the_language(api_client_for, contributor, registry):
    client = api_client_for(contributor)
    body = {"family": "nope", "relation": "fine_tune", "adopter": registry[0].adopter.slug}
    english = client.post("/api/v1/submissions/", body, format="json").json()
    french = client.post("/api/v1/submissions/", body, format="json", HTTP_ACCEPT_LANGUAGE="fr").json()
    assert english == {"family": ["No such model family: nope. The families are listed at /api/v1/families/."]}
    assert french.keys() == english.keys() and french != english


@pytest.mark.parametrize("url", [f"{MAP}?split=relation", f"{MAP}?format=csv&group_by=region",
                                 f"{SERIES}?split=stage", f"{MAP}?format=geojson"])
def test_a_map_answer_cached_in_one_language_serves_the_others_unchanged(client, registry, url):
    french = _get(client, url, "fr")  # computed under French, and cached
    english = _get(client, url, "en")  # from the cache
    assert english.content == french.content
    cache.clear()
    api_maps._answer.cache_clear()
    fresh = _get(client, url, "en")
    assert _stable(fresh.content) == _stable(english.content)
    assert "«".encode() not in english.content
    assert english["Vary"] == french["Vary"] == "Accept, Accept-Encoding"
    assert "Content-Language" not in english and "Content-Language" not in french
