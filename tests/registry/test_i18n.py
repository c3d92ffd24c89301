"""The eight languages (DESIGN §4): complete catalogues, the reader's choice of language, emails and API errors.

That every page reads fully in each language is tests/registry/test_i18n_pages.py.
"""

import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "registry" / "locale"
# Django's locale directory names for settings.LANGUAGES.
CATALOGUES = {code: translation.to_locale(code) for code, _name in settings.LANGUAGES}


def _problems(path: Path) -> list[str]:
    """Entries of one catalogue a reader would see in English (or not at all): untranslated or fuzzy."""
    catalogue = polib.pofile(str(path))
    problems = [f"untranslated: {entry.msgid!r}" for entry in catalogue.untranslated_entries()]
    problems += [f"fuzzy: {entry.msgid!r}" for entry in catalogue.fuzzy_entries()]
    if catalogue.metadata_is_fuzzy:
        problems.append("the header is fuzzy (msgfmt would drop its plural forms)")
    if not catalogue.metadata.get("Plural-Forms"):
        problems.append("no Plural-Forms in the header")
    return problems


@pytest.mark.parametrize("code", sorted(CATALOGUES))
def test_every_catalogue_is_complete(code):
    path = LOCALE / CATALOGUES[code] / "LC_MESSAGES" / "django.po"
    assert path.exists(), f"{path} is missing: run make catalogues"
    assert _problems(path) == []


def test_makemessages_finds_no_string_missing_from_the_catalogues(tmp_path, monkeypatch):
    """A string marked in the code but never added to the catalogues (or changed since) would show in English."""
    shutil.copytree(LOCALE, tmp_path / "locale")
    monkeypatch.chdir(ROOT)
    with override_settings(LOCALE_PATHS=[tmp_path / "locale"]):
        call_command(
            "makemessages", locale=list(CATALOGUES.values()), no_obsolete=True, add_location="file", verbosity=0,
            # registry/locale ignored: makemessages would otherwise find it and write the real catalogues.
            ignore_patterns=[".venv/*", "tests/*", "media/*", "staticfiles/*", "node_modules/*", "registry/locale"],
        )
    missing = {}
    for code, name in CATALOGUES.items():
        if code == "en":  # English is the source: its new strings need no translation to read right
            continue
        if problems := _problems(tmp_path / "locale" / name / "LC_MESSAGES" / "django.po"):
            missing[code] = problems
    assert missing == {}, "run make catalogues and translate the new strings"


def test_the_compiled_catalogues_are_used(client):
    """make compiled every catalogue (a .po left uncompiled would fall back to English silently)."""
    for code, name in CATALOGUES.items():
        assert (LOCALE / name / "LC_MESSAGES" / "django.mo").exists(), f"{name}: run make messages"
        with translation.override(code):
            assert translation.gettext("Language") == polib.pofile(
                str(LOCALE / name / "LC_MESSAGES" / "django.po")).find("Language").msgstr


@pytest.mark.django_db
class TestTheReadersLanguage:
    def test_accept_language_chooses_the_language_and_sets_html_lang(self, client):
        page = client.get("/", headers={"accept-language": "fr-FR,fr;q=0.9,en;q=0.5"})
        assert page.status_code == 200
        assert '<html lang="fr">' in page.content.decode()
        assert "Accept-Language" in page.headers["Vary"]
        with translation.override("fr"):
            assert translation.gettext("Language") in page.content.decode()

    def test_an_unsupported_language_falls_back_to_english(self, client):
        page = client.get("/", headers={"accept-language": "de"})
        assert '<html lang="en">' in page.content.decode()

    def test_the_switcher_keeps_the_page_and_its_query(self, client):
        page = client.get("/adoptions/?stage=production&page=1")
        body = page.content.decode()
        assert 'name="next" value="/adoptions/?stage=production&amp;page=1"' in body
        answer = client.post("/i18n/setlang/", {"language": "sw", "next": "/adoptions/?stage=production&page=1"})
        assert answer.status_code == 302 and answer["Location"] == "/adoptions/?stage=production&page=1"
        assert '<html lang="sw">' in client.get(answer["Location"]).content.decode()
        # The cookie wins over the browser's Accept-Language from then on.
        assert '<html lang="sw">' in client.get("/", headers={"accept-language": "fr"}).content.decode()

    def test_lang_in_the_query_names_the_language_and_hreflang_links_each(self, client):
        body = client.get("/adoptions/?lang=zh-hans&stage=pilot&sector=health&sector=education").content.decode()
        assert '<html lang="zh-hans">' in body
        for code, _name in settings.LANGUAGES:  # every parameter kept, repeated ones included
            assert (f'hreflang="{code}" href="/adoptions/?stage=pilot&amp;sector=health&amp;sector=education'
                    f'&amp;lang={code}"') in body
        # The switcher returns to the page without ?lang=, which would override the new choice.
        assert 'name="next" value="/adoptions/?stage=pilot&amp;sector=health&amp;sector=education"' in body
        # An unknown value is dropped, never an error: the page answers in the browser's language.
        page = client.get("/map/?lang=xx", headers={"accept-language": "es"})
        assert page.status_code == 200 and '<html lang="es">' in page.content.decode()

    def test_switching_while_signed_in_keeps_the_language_on_the_account(self, signed_in, contributor):
        from adoption.models import AccountSettings

        client = signed_in(contributor)
        client.post("/i18n/setlang/", {"language": "pt-br", "next": "/"})
        assert AccountSettings.objects.get(user=contributor).language == "pt-br"
        client.post("/i18n/setlang/", {"language": "klingon", "next": "/"})
        assert AccountSettings.objects.get(user=contributor).language == "pt-br"


@pytest.mark.django_db
def test_api_error_messages_follow_accept_language_and_keys_stay(client):
    english = client.get("/api/v1/adoptions/?stage=nonsense")
    french = client.get("/api/v1/adoptions/?stage=nonsense", headers={"accept-language": "fr"})
    assert english.status_code == french.status_code == 400
    assert english.json().keys() == french.json().keys()
    assert english.json() != french.json()  # the messages, not the keys, are in French



@pytest.mark.django_db
def test_names_cached_for_every_language_are_english_whoever_asked_first(client):
    # The projected world map and the map answers are cached for all readers; django-countries names come in
    # the active language, so a French first reader had left 'Guernesey' on the English pages and API.
    from adoption import mapdraw
    from adoption.maps.answers import _fallback_name
    from adoption.maps.params import MapParams

    mapdraw.world.cache_clear()
    try:
        with translation.override("fr"):
            shapes, _box = mapdraw.world()
            fallback = _fallback_name(MapParams.from_query({}), "GG")
        assert {shape.iso2: shape.name for shape in shapes}["GG"] == "Guernsey"
        assert fallback == "Guernsey"
        page = client.get("/map/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "<title>Guernsey</title>" in page and "Guernesey" not in page
        assert "<title>Guernesey</title>" in client.get("/map/?lang=fr").content.decode()
    finally:
        mapdraw.world.cache_clear()
