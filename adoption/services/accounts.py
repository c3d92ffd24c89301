"""Account settings: the one place that writes AccountSettings."""

from django.conf import settings

from adoption.models import AccountSettings

CODES = {code for code, _name in settings.LANGUAGES}


def account_language_set(*, user, language: str) -> None:
    """Keep `language` as the account's language (its emails go out in it); unknown codes are ignored."""
    if language in CODES:
        AccountSettings.objects.update_or_create(user=user, defaults={"language": language})


def account_language(user) -> str:
    """The language to write to `user` in: the one they chose, else the site's default."""
    row = AccountSettings.objects.filter(user=user).values_list("language", flat=True).first()
    return row or settings.LANGUAGE_CODE
