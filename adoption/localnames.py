"""Country and UN M49 area names in the reader's language, for the pages (the API keeps its English names).

The names come from CLDR through Babel, which has them for all eight languages (django-countries lacks
Malay, Indonesian and Swahili). English keeps the registry's own names, which follow the UN's data.
"""

from functools import lru_cache

from babel import Locale, UnknownLocaleError
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

# M49 areas CLDR has no name for: translated in our own catalogues.
EXTRA = {"830": gettext_noop("Channel Islands"), "unknown": gettext_noop("Unknown")}


@lru_cache(maxsize=16)
def _territories(language: str) -> dict:
    try:
        return Locale.parse(translation.to_locale(language)).territories
    except (UnknownLocaleError, ValueError):
        return {}


def english_country_name(iso2: str) -> str:
    """A country's English name from django-countries (else its code), whatever the active language: for what
    is stored or cached for every reader (django-countries answers in the active language; a French first
    reader had left 'Guernesey' on the English maps). Pages translate it with place_name as they render."""
    from django_countries import countries

    with translation.override("en"):
        return str(countries.name(iso2) or iso2)


def place_name(code, default: str = "") -> str:
    """The name of a country (ISO alpha-2) or M49 area (three digits) in the active language, else `default`."""
    code = str(code or "")
    if code in EXTRA:
        return gettext(EXTRA[code])
    language = translation.get_language() or settings.LANGUAGE_CODE
    if not code or language == "en" or language.startswith("en-"):
        return default
    return _territories(language).get(code.upper(), default)
