"""Organizations: anyone who builds models or builds on them."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from adoption.choices import OrganizationKind
from adoption.text import name_key

from .querysets import OrganizationQuerySet


class Organization(models.Model):
    """A government, public programme, university, company, ... that adopts or develops models.

    A proposed organization (arriving with a submission) stays unpublished until a curator approves
    the submission. A merged duplicate keeps its row and points at the survivor (`merged_into`), so
    old links redirect.
    """

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200)
    aliases = models.JSONField(_("aliases"), default=list, blank=True, help_text=_("Other and local-script names."))
    kind = models.CharField(_("kind"), max_length=24, choices=OrganizationKind.choices, blank=True)
    country = models.ForeignKey(
        "adoption.Country", verbose_name=_("country"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="organizations",
    )
    city = models.CharField(_("city"), max_length=120, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    website = models.URLField(_("website"), max_length=500, blank=True)
    hf_handle = models.CharField(_("Hugging Face organization"), max_length=100, blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent organization"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="children",
    )
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="merged_from",
    )
    is_published = models.BooleanField(_("published"), default=True)
    # "|key|key|": the name_key of the name and of each alias, written by the catalogue services, so a
    # proposed new adopter finds the organization it names with one indexed query per country.
    name_keys = models.TextField(_("name keys"), blank=True, default="", editable=False)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["name_keys"])  # derived from name and aliases
    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        constraints = [
            models.UniqueConstraint(
                fields=["slug"], name="organization_unique_slug",
                violation_error_message=_("An organization with this slug already exists."),
            ),
            # Names repeat across countries (every country has a Ministry of Health): unique per country.
            models.UniqueConstraint(
                Lower("name"), "country", name="organization_unique_name_country_ci",
                violation_error_message=_("An organization with this name already exists in this country."),
            ),
            models.UniqueConstraint(
                Lower("name"), condition=models.Q(country__isnull=True), name="organization_unique_name_ci",
                violation_error_message=_("An organization with this name already exists."),
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(latitude__isnull=True, longitude__isnull=True)
                    | models.Q(
                        latitude__isnull=False, longitude__isnull=False,
                        latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180,
                    )
                ),
                name="organization_coordinates_valid",
                violation_error_message=_("Coordinates need both latitude (-90..90) and longitude (-180..180)."),
            ),
            models.CheckConstraint(
                condition=~models.Q(merged_into=models.F("pk")),
                name="organization_not_merged_into_self",
                violation_error_message=_("An organization cannot be merged into itself."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("adoption:organization-detail", kwargs={"slug": self.slug})

    def clean(self):
        if self.merged_into_id:  # a merged duplicate may well bear its survivor's name
            return
        # Without a country a name says which organization it is only if no other one bears it (merged
        # duplicates aside: their names live on as their survivor's aliases).
        same_name = Organization.objects.filter(name__iexact=self.name.strip(), merged_into__isnull=True).exclude(
            pk=self.pk)
        if (self.country_id is None and same_name.exists()) or same_name.filter(country__isnull=True).exists():
            raise ValidationError(_("An organization with this name already exists."))

    def match_keys(self) -> str:
        """The value of `name_keys` for the current name and aliases."""
        keys = dict.fromkeys(key for key in (name_key(str(name)) for name in self.all_names) if key)
        return f"|{'|'.join(keys)}|" if keys else ""

    @property
    def all_names(self) -> list[str]:
        return [self.name, *self.aliases]

    @property
    def survivor(self) -> "Organization":
        """The organization this one ends up in after every merge (itself when not merged)."""
        org, seen = self, {self.pk}
        while org.merged_into_id and org.merged_into_id not in seen:
            seen.add(org.merged_into_id)
            org = org.merged_into
        return org


class OrganizationMerge(models.Model):
    """One merge of a duplicate organization into the one that survives: who, why and what moved."""

    source = models.ForeignKey(
        Organization, verbose_name=_("merged organization"), on_delete=models.PROTECT, related_name="merges_out"
    )
    target = models.ForeignKey(
        Organization, verbose_name=_("merged into"), on_delete=models.PROTECT, related_name="merges_in"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("curator"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    actor_username = models.CharField(_("curator's username"), max_length=150, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    moved = models.JSONField(_("what moved"), default=dict, help_text=_("Ids of what moved, by kind."))
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("organization merge")
        verbose_name_plural = _("organization merges")

    def __str__(self) -> str:
        return f"{self.source} → {self.target}"
