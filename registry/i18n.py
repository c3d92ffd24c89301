"""The reader's language (DESIGN §4: eight languages on the same URLs).

The language comes, in order, from `?lang=` on a page (so a link can name it: the hreflang alternates),
from the switcher's cookie (Django's set_language), or from Accept-Language. The API keeps its strict
parameter grammar: under /api/ only the cookie and Accept-Language count, and only its error messages change.
A signed-in reader who switches has the choice stored on the account: their emails go out in it.
"""

from django.conf import settings
from django.middleware import locale
from django.utils import translation
from django.views.i18n import set_language as django_set_language

from adoption.services.accounts import account_language_set

CODES = {code for code, _name in settings.LANGUAGES}


def supported(code: str | None) -> str | None:
    """`code` as one of settings.LANGUAGES (case and `_` forgiven), or None."""
    if not code:
        return None
    code = code.strip().lower().replace("_", "-")
    return code if code in CODES else None


class LocaleMiddleware(locale.LocaleMiddleware):
    """Django's, plus `?lang=` on pages; the parameter is taken off the query so no view ever sees it."""

    def process_request(self, request):
        if "lang" in request.GET and not request.path_info.startswith("/api/"):
            code = supported(request.GET.get("lang"))
            query = request.GET.copy()
            del query["lang"]
            request.GET = query
            if code:
                translation.activate(code)
                request.LANGUAGE_CODE = code
                return
        super().process_request(request)


def set_language(request):
    """Django's set_language (the switcher posts here), keeping the choice on a signed-in account."""
    response = django_set_language(request)
    code = supported(request.POST.get("language"))
    if code and request.user.is_authenticated:
        account_language_set(user=request.user, language=code)
    return response


def alternates(request) -> list[dict]:
    """The page in each language (hreflang links): this path and query with `lang` set."""
    query = request.GET.copy()
    links = []
    for code, name in settings.LANGUAGES:
        query["lang"] = code
        links.append({"code": code, "name": name, "url": f"{request.path}?{query.urlencode()}"})
    return links


def context(request) -> dict:
    """Template context: this page's link in each language (hreflang), and where the switcher returns to:
    this page and its query, without a `lang` that would override the choice."""
    query = request.GET.urlencode()
    return {"language_alternates": alternates(request),
            "language_next": f"{request.path}?{query}" if query else request.path}
