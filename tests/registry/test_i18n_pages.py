"""Every page reads in each of the seven other languages: no English interface text is left on it.

Each page is rendered in English and in the other language; any text the reader sees (text nodes, and the
title, aria-label, placeholder, alt, data-label and button values) that is the same in both renderings is
English left untranslated, unless it is the records' own text (names, cities, products, quotes, usernames...),
a number, date or code, a word the language's catalogue deliberately keeps (msgstr == msgid), or one of the
few names below that every language writes alike.

The catalogues are translated by people after the strings are marked: until every language's catalogue is
complete (tests/registry/test_i18n.py) this test fails for the languages that are not.
"""

import datetime
import re
from html.parser import HTMLParser
from pathlib import Path

import django
import polib
import pytest
from babel import Locale
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from django_countries import countries

from adoption.localnames import place_name
from adoption.models import (
    Adoption,
    ChangeRequest,
    Checkpoint,
    Country,
    Evidence,
    ImportBatch,
    ModelFamily,
    ModerationEvent,
    Organization,
    Region,
)
from adoption.releases import release_make
from adoption.services import change_requests, moderation, records
from tests.adoption.api.test_imports import _csv, _row
from tests.factories import (
    AdoptionFactory,
    CheckpointFactory,
    CountryFactory,
    EvidenceFactory,
    ModelFamilyFactory,
    OrganizationFactory,
)

pytestmark = pytest.mark.django_db

LOCALE = Path(settings.BASE_DIR) / "registry" / "locale"
OTHER_LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]

# Names every language writes alike: formats, standards and brands (not the registry's own name: translated).
SAME_EVERYWHERE = [
    "Hugging Face", "GeoJSON", "JSON Lines", "JSON", "CSV", "SVG", "API", "Atom", "Parquet", "Frictionless",
    "CITATION.cff", "SHA256SUMS", "SHA-256", "CC BY 4.0", "UTC", "OK", "Natural Earth", "world-atlas", "ISC",
    "UN M49", "M49", "UTF-8", "Qwen", "Llama", "Gemma", "Mistral", "GitHub", "Zotero", "Zenodo",
]
# Attributes whose value the reader sees or hears.
SPOKEN_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "data-label", "data-all-dates", "data-play",
                     "data-pause"}


class _Texts(HTMLParser):
    """The texts a reader sees or hears on a page, each stripped and with its whitespace collapsed."""

    SKIPPED = {"script", "style", "code", "pre", "kbd"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: set[str] = set()
        self.skipping = 0

    def _add(self, text: str):
        text = " ".join(text.split())
        if text:
            self.texts.add(text)

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name, value in attrs:
            if name in SPOKEN_ATTRIBUTES and value:
                self._add(value)
        if tag == "meta" and values.get("name") == "description":
            self._add(values.get("content") or "")
        if tag == "input" and values.get("type") in {"submit", "button"}:
            self._add(values.get("value") or "")
        if tag in self.SKIPPED:
            self.skipping += 1

    def handle_endtag(self, tag):
        if tag in self.SKIPPED and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self._add(data)


def _texts(html: str) -> set[str]:
    parser = _Texts()
    parser.feed(html)
    return parser.texts


def _kept_by_catalogue(code: str) -> list[str]:
    """The entries a language's catalogue, or Django's own ("bytes" in Spanish), leaves as in English."""
    locale = translation.to_locale(code)
    kept = []
    for folder in (LOCALE, Path(django.__file__).parent / "conf" / "locale"):
        path = folder / locale / "LC_MESSAGES" / "django.po"
        if not path.exists():
            continue
        for entry in polib.pofile(str(path)).translated_entries():
            same = [entry.msgid] if entry.msgstr == entry.msgid else []
            same += [english for english in (entry.msgid, entry.msgid_plural)
                     if english and english in entry.msgstr_plural.values()]
            for english in same:
                # With placeholders, the words around them ("Source %(number)s" kept: "Source" is).
                kept += [part.strip() for part in re.split(r"%\(\w+\)[sd]", english)]
    return kept


def _translations(code: str) -> list[str]:
    """The language's own translations: one may read like an English word shown elsewhere on the English
    page (Malay "Main" translates "Play"; the English page's navigation is labelled "Main")."""
    catalogue = polib.pofile(str(LOCALE / translation.to_locale(code) / "LC_MESSAGES" / "django.po"))
    return [text for entry in catalogue.translated_entries()
            for text in [entry.msgstr, *entry.msgstr_plural.values()] if text and "%" not in text]


def _record_texts(code: str) -> list[str]:
    """The records' own text, which stays as recorded in every language; and the places whose name this
    language writes as English does."""
    texts = []
    for model, fields in [
        (Organization, ["name", "city", "slug", "website", "hf_handle"]),
        (ModelFamily, ["name", "slug", "default_license"]),
        (Checkpoint, ["repo_id", "license"]),
        (Adoption, ["product_name", "product_url", "summary", "checkpoint_note"]),
        (Evidence, ["title", "publisher", "url", "quote"]),
        (ChangeRequest, ["comment", "decision_comment"]),
        (ModerationEvent, ["comment", "actor_username"]),
        (ImportBatch, ["file_name"]),
        (get_user_model(), ["username", "email"]),
    ]:
        for row in model.objects.values_list(*fields):
            texts += [str(value) for value in row if value]
    for organization in Organization.objects.all():
        texts += organization.aliases
    for adoption in Adoption.objects.all():
        texts += adoption.sectors + adoption.languages
    # Places this language names as English does ("Kenya", "Singapore"...): the map names every country.
    english, local = Locale.parse("en").territories, Locale.parse(translation.to_locale(code)).territories
    texts += [name for key, name in english.items() if local.get(key) == name]
    # English pages name countries as django-countries does ("Cabo Verde", "Congo"): alike when this
    # language's name is the same.
    with translation.override(code):
        texts += [str(name) for key, name in countries if place_name(key, "") == str(name)]
    with translation.override(code):
        texts += [place.name for place in [*Country.objects.all(), *Region.objects.all()]
                  if place.local_name == place.name]
    return texts


def _english_left(text: str, allowed: re.Pattern) -> bool:
    """Whether a text shown alike in English and another language still holds words of English: what is left
    once the allowed texts, numbers, codes and punctuation are taken out has a word in it."""
    text = allowed.sub(" ", text)
    text = re.sub(r"\b[A-Z]{2,3}\b", " ", text)  # ISO codes
    text = re.sub(r"\S*[/@_.]\S*", " ", text)  # paths, addresses, file names, repo ids
    return re.search(r"[^\W\d_]{2,}", text) is not None


@pytest.fixture
def site(settings, tmp_path, contributor, other_contributor, curator, second_curator):
    """A registry with something on every page: published records in two countries, a draft, a submission
    in review, a correction waiting, an import checked, a data release, and a duplicate organization."""
    settings.STORAGES = {**settings.STORAGES, "releases": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    china = CountryFactory(iso2="CN", iso3="CHN", numeric="156", name="China")
    kenya = CountryFactory(iso2="KE", iso3="KEN", numeric="404", name="Kenya")
    singapore = CountryFactory()
    qwen = ModelFamilyFactory(slug="qwen", name="Qwen", origin_country=china, default_license="Apache-2.0",
                              first_release=datetime.date(2023, 8, 1),
                              developer=OrganizationFactory(name="Alibaba Cloud", slug="alibaba", country=china))
    checkpoint = CheckpointFactory(family=qwen, repo_id="Qwen/Qwen3-32B")
    aisg = OrganizationFactory(name="AI Singapore", slug="ai-singapore", country=singapore, city="Singapore",
                               aliases=["AISG"])
    clinic = OrganizationFactory(name="Nairobi Clinics", slug="nairobi-clinics", country=kenya, city="Nairobi")
    published = AdoptionFactory(adopter=aisg, family=qwen, checkpoint=checkpoint, product_name="Qwen-SEA-LION-v4",
                                summary="A regional assistant.", sectors=["government"], languages=["ms"],
                                published=True)
    EvidenceFactory(adoption=published, title="Launch post", publisher="AI Singapore", quote="We build on Qwen.")
    AdoptionFactory(adopter=clinic, family=qwen, product_name="Clinic Helper", published=True)
    draft = AdoptionFactory(adopter=aisg, family=qwen, product_name="Draft Bot", created_by=contributor)
    EvidenceFactory(adoption=draft)
    submitted = records.adoption_create(
        user=contributor, data={"adopter": clinic, "family": qwen, "relation": "fine_tune",
                                "product_name": "Triage Assistant"},
        evidence=[{"url": "https://example.org/card", "kind": "model_card", "title": "The model card"}],
    )
    submitted = moderation.adoption_submit(adoption=submitted, user=contributor)
    in_review = records.adoption_create(
        user=contributor, data={"adopter": aisg, "family": qwen, "relation": "fine_tune", "product_name": "Tutor"},
        evidence=[{"url": "https://example.org/tutor", "kind": "press", "title": "Press piece"}],
    )
    in_review = moderation.adoption_claim(adoption=moderation.adoption_submit(adoption=in_review, user=contributor),
                                          user=second_curator)
    correction = change_requests.change_request_create(
        adoption=published, user=contributor, proposed={"stage": "pilot"}, comment="The post says pilot.",
    )
    duplicate = OrganizationFactory(name="AI Singapore (dup)", slug="aisg-dup", country=singapore)
    release_make(now=datetime.datetime(2026, 12, 3, 9, 0, tzinfo=datetime.UTC))
    return {"published": published, "draft": draft, "submitted": submitted, "in_review": in_review,
            "correction": correction, "duplicate": duplicate, "aisg": aisg}


def _client(user, code: str) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = code
    return client


def _pages(site, contributor, curator) -> list[tuple]:
    """(who, method, path, data, what the test expects to see) for every page of the site."""
    published, draft = site["published"], site["draft"]
    empty_contribution = {"action": "submit", "evidence-TOTAL_FORMS": "1", "evidence-INITIAL_FORMS": "0",
                          "evidence-MIN_NUM_FORMS": "0", "evidence-MAX_NUM_FORMS": "1000"}
    return [
        (None, "get", "/", None),
        (None, "get", "/map/", None),
        (None, "get", "/map/?group_by=region&split=relation&unit=adopters", None),
        (None, "get", "/map/?group_by=subregion&split=none", None),
        (None, "get", "/map/?group_by=city&split=family&colour=qwen", None),
        (None, "get", "/map/?colour=CN", None),
        (None, "get", "/map/?since=not-a-date", None),
        (None, "get", "/adoptions/", None),
        (None, "get", "/adoptions/?q=nothing-matches-this", None),
        (None, "get", "/adoptions/?country=SG&ordering=-published_at", None),
        (None, "get", f"/adoptions/{published.pk}/", None),
        (None, "get", "/organizations/", None),
        (None, "get", "/organizations/?q=singapore", None),
        (None, "get", f"/organizations/{site['aisg'].slug}/", None),
        (None, "get", "/families/", None),
        (None, "get", "/families/?q=nothing-matches-this", None),
        (None, "get", "/families/qwen/", None),
        (None, "get", "/countries/", None),
        (None, "get", "/countries/?all=on", None),
        (None, "get", "/countries/SG/", None),
        (None, "get", "/data/", None),
        (None, "get", "/accounts/", None),
        (None, "get", "/accounts/login/", None),
        (None, "post", "/accounts/login/", {"username": "nobody", "password": "wrong"}),
        (None, "get", "/accounts/signup/", None),
        (None, "post", "/accounts/signup/", {"username": ""}),
        (None, "get", "/accounts/signup/confirm/xx/yy/", None),
        (None, "get", "/accounts/password_reset/", None),
        (None, "get", "/accounts/password_reset/done/", None),
        (None, "get", "/accounts/reset/xx/set-password/", None),
        (None, "get", "/accounts/reset/done/", None),
        (None, "get", "/no-such-page/", None),
        (contributor, "get", "/moderation/", None),  # 403
        (contributor, "get", "/contribute/", None),
        (contributor, "post", "/contribute/", empty_contribution),
        (contributor, "get", "/contribute/import/", None),
        (contributor, "post", "/contribute/import/", {"file": "upload", "dry_run": "on"}),
        (contributor, "post", "/contribute/import/", {"file": "upload-with-errors", "dry_run": "on"}),
        (contributor, "get", "/me/submissions/", None),
        (contributor, "get", f"/adoptions/{draft.pk}/", None),
        (contributor, "get", f"/me/submissions/{draft.pk}/edit/", None),
        (contributor, "get", f"/adoptions/{published.pk}/propose-change/", None),
        (contributor, "get", "/accounts/", None),
        (contributor, "get", "/accounts/token/", None),
        (contributor, "get", "/accounts/password_change/", None),
        (curator, "get", "/moderation/", None),
        (curator, "get", f"/moderation/{site['submitted'].pk}/", None),
        (curator, "get", f"/moderation/{site['in_review'].pk}/", None),
        (curator, "get", f"/moderation/{published.pk}/", None),
        (curator, "get", f"/moderation/change-requests/{site['correction'].pk}/", None),
        (curator, "get", f"/moderation/organizations/{site['duplicate'].slug}/merge/", None),
        (curator, "post", f"/moderation/organizations/{site['duplicate'].slug}/merge/",
         {"into": site["aisg"].slug, "comment": "Same lab."}),
    ]


def _render(user, method: str, path: str, data, code: str) -> str:
    client = _client(user, code)
    if data and data.get("file", "").startswith("upload"):
        rows = [_row(1), _row(2, family="no-such-family")] if data["file"].endswith("errors") else [_row(1)]
        data = {**data, "file": SimpleUploadedFile("list.csv", _csv(rows), content_type="text/csv")}
    response = getattr(client, method)(path, data or {}, follow=True)
    assert response.status_code in {200, 400, 403, 404}, (path, response.status_code)
    return response.content.decode()


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_every_page_reads_without_english_left(code, site, contributor, curator):
    shown_alike, pages = {}, _pages(site, contributor, curator)
    for user, method, path, data in pages:
        english = _texts(_render(user, method, path, data, "en"))
        other = _texts(_render(user, method, path, data, code))
        shown_alike[f"{method.upper()} {path} as {user or 'anonymous'}"] = english & other
    # After rendering: the pages may have added records (an import checked).
    allowed = [
        *_record_texts(code), *_kept_by_catalogue(code), *_translations(code), *SAME_EVERYWHERE,
        *(name for _code, name in settings.LANGUAGES),  # the switcher names each language in itself
        *(data["comment"] for *_page, data in pages if data and "comment" in data),  # typed in
    ]
    # Whole words only, longest first: a name is taken out before a word inside it.
    allowed = re.compile("|".join(
        rf"(?<!\w){re.escape(text)}(?!\w)" for text in sorted(set(allowed), key=len, reverse=True) if text.strip()))
    left = {page: sorted(t for t in texts if _english_left(t, allowed)) for page, texts in shown_alike.items()}
    left = {page: texts for page, texts in left.items() if texts}
    assert left == {}, f"English left on the pages in {code}:\n" + "\n".join(
        f"{page}: {texts}" for page, texts in left.items())


class _Attributes(HTMLParser):
    """The attribute values code reads (not the texts a reader sees: those may be localized)."""

    def __init__(self):
        super().__init__()
        self.values: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.values += [f"<{tag} {name}={value!r}>" for name, value in attrs
                        if value and name not in SPOKEN_ATTRIBUTES | {"content", "value"}]


@pytest.mark.parametrize("path", ["/", "/map/", "/map/?split=family&colour=qwen", "/map/?group_by=city&unit=adopters",
                                  "/countries/SG/", "/organizations/ai-singapore/"])
def test_numbers_in_attributes_stay_unlocalized(path, site):
    """French writes 0.5 as "0,5": the SVG coordinates, bar widths and data-* the script reads must not."""
    page = _render(None, "get", path, None, "fr")
    parser = _Attributes()
    parser.feed(page)
    assert 'lang="fr"' in page and parser.values
    assert [value for value in parser.values if re.search(r"\d,\d", value)] == []
