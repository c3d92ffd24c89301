"""What the registry keeps about an account beyond Django's user: the language its emails go out in."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountSettings(models.Model):
    """One row per account that chose a language (signing up, switching language, or on the account page).

    It lives in the domain app, not in registry/, because the decision emails (adoption.services.notifications)
    read it and the domain app never imports the site.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_settings", primary_key=True
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES,
                                default=settings.LANGUAGE_CODE)

    class Meta:
        verbose_name = _("account settings")
        verbose_name_plural = _("account settings")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language}"
