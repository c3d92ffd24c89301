"""UN M49 regions and ISO 3166-1 countries: reference data loaded by a command, never typed by hand."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from adoption.choices import RegionLevel
from adoption.localnames import place_name


class Region(models.Model):
    """A UN M49 area: the world, a region (Asia, 142), a sub-region (South-eastern Asia, 035) or an
    intermediate region (Caribbean, 029). Codes are three-digit strings, as the M49 standard writes them."""

    code = models.CharField(_("M49 code"), max_length=3, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=12, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def local_name(self) -> str:
        """The name in the reader's language (pages); `name` stays the UN's English one (API, data)."""
        return place_name(self.code, self.name)


class Country(models.Model):
    """An ISO 3166-1 country or territory with its place in the M49 hierarchy and UN group flags."""

    iso2 = models.CharField(_("ISO alpha-2"), max_length=2, primary_key=True)
    iso3 = models.CharField(_("ISO alpha-3"), max_length=3, unique=True)
    numeric = models.CharField(_("ISO numeric / M49"), max_length=3, unique=True)
    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="region_countries",
    )
    subregion = models.ForeignKey(
        Region, verbose_name=_("sub-region"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="subregion_countries",
    )
    intermediate_region = models.ForeignKey(
        Region, verbose_name=_("intermediate region"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="intermediate_countries",
    )
    ldc = models.BooleanField(_("least developed country"), default=False)
    lldc = models.BooleanField(_("landlocked developing country"), default=False)
    sids = models.BooleanField(_("small island developing state"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")

    def __str__(self) -> str:
        return self.name

    @property
    def local_name(self) -> str:
        """The name in the reader's language (pages); `name` stays the UN's English one (API, data)."""
        return place_name(self.iso2, self.name)

    @property
    def region_codes(self) -> list[str]:
        """Every M49 code this country sits under, from the world down."""
        codes = ["001"]
        for field in ("region_id", "subregion_id", "intermediate_region_id"):
            if code := getattr(self, field):
                codes.append(code)
        return codes
