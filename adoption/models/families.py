"""Model families (Qwen, Llama, ...) and their checkpoints (one released set of weights each)."""

from django.db import models
from django.db.models.functions import Now
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from adoption.choices import DatePrecision

from .constraints import NowCheckConstraint


class ModelFamily(models.Model):
    """A family of open-weight models from one developer, hence one origin country."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    developer = models.ForeignKey(
        "adoption.Organization", verbose_name=_("developer"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="families",
    )
    origin_country = models.ForeignKey(
        "adoption.Country", verbose_name=_("origin country"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="families",
    )
    default_license = models.CharField(_("default licence"), max_length=300, blank=True)
    first_release = models.DateField(_("first open-weight release"), null=True, blank=True)
    first_release_precision = models.CharField(
        _("first release precision"), max_length=5, choices=DatePrecision.choices, blank=True
    )
    hub_prefixes = models.JSONField(
        _("Hugging Face repo prefixes"), default=list, blank=True,
        help_text=_("Prefixes under which the family's own checkpoints are published, e.g. 'Qwen/'."),
    )
    notes = models.TextField(_("notes"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("model family")
        verbose_name_plural = _("model families")
        constraints = [
            NowCheckConstraint(
                condition=models.Q(first_release__isnull=True) | models.Q(first_release__lte=Now()),
                name="family_first_release_not_future",
                violation_error_message=_("The first release date cannot be in the future."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("adoption:family-detail", kwargs={"slug": self.slug})


class Checkpoint(models.Model):
    """One released set of weights in a family, e.g. Qwen/Qwen3-32B; may derive from another checkpoint."""

    family = models.ForeignKey(
        ModelFamily, verbose_name=_("family"), on_delete=models.PROTECT, related_name="checkpoints"
    )
    repo_id = models.CharField(_("Hugging Face repo id"), max_length=200, unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    parameters = models.BigIntegerField(_("parameters"), null=True, blank=True)
    release_date = models.DateField(_("release date"), null=True, blank=True)
    license = models.CharField(_("licence"), max_length=200, blank=True, help_text=_("SPDX id or named licence."))
    open_weights = models.BooleanField(_("open weights"), default=True)
    derived_from = models.ForeignKey(
        "self", verbose_name=_("derived from"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="derivatives",
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["repo_id"]
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        constraints = [
            NowCheckConstraint(
                condition=models.Q(release_date__isnull=True) | models.Q(release_date__lte=Now()),
                name="checkpoint_release_not_future",
                violation_error_message=_("The release date cannot be in the future."),
            ),
            models.CheckConstraint(
                condition=models.Q(parameters__isnull=True) | models.Q(parameters__gt=0),
                name="checkpoint_parameters_positive",
                violation_error_message=_("The parameter count must be positive."),
            ),
            models.CheckConstraint(
                condition=~models.Q(derived_from=models.F("pk")),
                name="checkpoint_not_derived_from_self",
                violation_error_message=_("A checkpoint cannot be derived from itself."),
            ),
        ]

    def __str__(self) -> str:
        return self.repo_id

    def lineage(self) -> list["Checkpoint"]:
        """This checkpoint and its ancestors, nearest first; stops at a cycle."""
        chain, seen, node = [], set(), self
        while node is not None and node.pk not in seen:
            chain.append(node)
            seen.add(node.pk)
            node = node.derived_from
        return chain
