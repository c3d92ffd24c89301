"""Adoption records (who builds on which family, how, since when) and the evidence behind them."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from adoption.choices import Confidence, DatePrecision, EvidenceKind, LinkStatus, Relation, Stage, Status
from adoption.dates import format_partial_date, localized_partial_date

from .constraints import CleanValidatedCheckConstraint, NowCheckConstraint
from .querysets import AdoptionQuerySet

PRECISION_MATCHES_DATE = (
    models.Q(started_on__isnull=True, started_precision="")
    | models.Q(started_on__isnull=False, started_precision=DatePrecision.DAY)
    | models.Q(started_on__day=1, started_precision=DatePrecision.MONTH)
    | models.Q(started_on__day=1, started_on__month=1, started_precision=DatePrecision.YEAR)
)

PRECISION_MESSAGE = _(
    "The start date precision must match the date: a year is stored as 1 January, a month as "
    "its first day, and a date needs a precision (none without a date)."
)


def precision_matches(started_on, precision) -> bool:
    """The Python twin of PRECISION_MATCHES_DATE."""
    if started_on is None:
        return precision == ""
    return {
        DatePrecision.DAY: True,
        DatePrecision.MONTH: started_on.day == 1,
        DatePrecision.YEAR: (started_on.month, started_on.day) == (1, 1),
    }.get(precision, False)


CHECKPOINT_FAMILY_MESSAGE = _("The checkpoint %(checkpoint)s belongs to another family than %(family)s.")


def checkpoint_fits_family(checkpoint, family) -> bool:
    """The checkpoint-belongs-to-family rule, in one place (the database holds it too: adoption_checkpoint_family).

    True when either is unknown: a record may name a family without a checkpoint."""
    return checkpoint is None or family is None or checkpoint.family_id == family.pk


def validate_checkpoint_family(checkpoint, family, message=CHECKPOINT_FAMILY_MESSAGE) -> None:
    """Raise a checkpoint field error when the rule fails; each page words `message` for its readers, with
    %(checkpoint)s, %(repo_id)s, %(family)s, %(family_name)s and %(family_slug)s."""
    if checkpoint_fits_family(checkpoint, family):
        return
    from django.core.exceptions import ValidationError

    params = {"checkpoint": checkpoint, "repo_id": checkpoint.repo_id, "family": family,
              "family_name": family.name, "family_slug": family.slug}
    raise ValidationError({"checkpoint": ValidationError(message, code="checkpoint_family", params=params)})


class Adoption(models.Model):
    """Adopter X builds on family Y (and, when known, checkpoint Z) by a relation, at a stage, since a date.

    A submission and the adoption it becomes are the same row: `status` walks the curation workflow
    and only the moderation services write it.
    """

    adopter = models.ForeignKey(
        "adoption.Organization", verbose_name=_("adopter"), on_delete=models.PROTECT, related_name="adoptions"
    )
    partners = models.ManyToManyField(
        "adoption.Organization", verbose_name=_("partners"), blank=True, related_name="partnered_adoptions",
        help_text=_("Co-developers the sources name."),
    )
    family = models.ForeignKey(
        "adoption.ModelFamily", verbose_name=_("family"), on_delete=models.PROTECT, related_name="adoptions"
    )
    checkpoint = models.ForeignKey(
        "adoption.Checkpoint", verbose_name=_("checkpoint"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="adoptions",
    )
    checkpoint_note = models.CharField(
        _("checkpoint as described"), max_length=300, blank=True,
        help_text=_("The base checkpoint as the source describes it, where no repo id is known."),
    )
    relation = models.CharField(_("relation"), max_length=24, choices=Relation.choices)
    product_name = models.CharField(_("product or derived model"), max_length=300, blank=True)
    product_url = models.CharField(_("product repo id or URL"), max_length=500, blank=True)
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices, default=Stage.ANNOUNCED)
    started_on = models.DateField(_("started on"), null=True, blank=True)
    started_precision = models.CharField(
        _("start date precision"), max_length=5, choices=DatePrecision.choices, blank=True
    )
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    sectors = models.JSONField(_("sectors"), default=list, blank=True)
    languages = models.JSONField(_("languages served"), default=list, blank=True, help_text=_("ISO 639 codes."))
    summary = models.TextField(_("summary"), blank=True, max_length=4000)

    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False, db_index=True
    )
    confidence = models.CharField(
        _("confidence"), max_length=6, choices=Confidence.choices, default=Confidence.NONE, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="adoptions_created", editable=False,
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="adoptions_reviewing", editable=False,
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True, editable=False)
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    reference_id = models.CharField(
        _("reference id"), max_length=20, null=True, blank=True, unique=True, editable=False,
        help_text=_("Id of the reference-data row this record was imported from."),
    )
    import_flags = models.JSONField(_("import flags"), default=list, blank=True, editable=False)
    import_batch = models.ForeignKey(
        "adoption.ImportBatch", verbose_name=_("bulk proposal"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="adoptions", editable=False, help_text=_("The file of proposals this record came in."),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords(m2m_fields=[partners])
    objects = AdoptionQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on", "-id"]
        verbose_name = _("adoption")
        verbose_name_plural = _("adoptions")
        indexes = [
            models.Index(fields=["status", "family"], name="adoption_status_family"),
            models.Index(fields=["status", "started_on"], name="adoption_status_started"),
        ]
        constraints = [
            NowCheckConstraint(
                condition=models.Q(started_on__isnull=True) | models.Q(started_on__lte=Now()),
                name="adoption_started_not_future",
                violation_error_message=_("The start date cannot be in the future."),
            ),
            NowCheckConstraint(
                condition=models.Q(ended_on__isnull=True) | models.Q(ended_on__lte=Now()),
                name="adoption_ended_not_future",
                violation_error_message=_("The end date cannot be in the future."),
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(ended_on__isnull=True)
                    | models.Q(started_on__isnull=True)
                    | models.Q(ended_on__gte=models.F("started_on"))
                ),
                name="adoption_end_after_start",
                violation_error_message=_("The end date must not be before the start date."),
            ),
            CleanValidatedCheckConstraint(
                condition=PRECISION_MATCHES_DATE,
                name="adoption_start_precision_matches",
                violation_error_message=PRECISION_MESSAGE,
            ),
        ]

    def __str__(self) -> str:
        what = self.product_name or self.get_relation_display()
        return f"{self.adopter} on {self.family}: {what}"

    def get_absolute_url(self) -> str:
        return reverse("adoption:adoption-detail", kwargs={"pk": self.pk})

    def clean(self):
        from django.core.exceptions import ValidationError

        if not precision_matches(self.started_on, self.started_precision):
            raise ValidationError(
                {"started_precision": PRECISION_MESSAGE}, code="adoption_start_precision_matches"
            )
        if self.checkpoint_id and self.family_id:
            validate_checkpoint_family(self.checkpoint, self.family)

    @property
    def started_display(self) -> str:
        """The start date at its precision: 2025, 2025-03 or 2025-03-14."""
        return format_partial_date(self.started_on, self.started_precision)

    @property
    def started_local(self) -> str:
        """The start date for pages, in the reader's language: 2025, March 2025 or March 14, 2025."""
        return localized_partial_date(self.started_on, self.started_precision)


class Evidence(models.Model):
    """A source an adoption cites; link health is written by a Celery task."""

    adoption = models.ForeignKey(
        Adoption, verbose_name=_("adoption"), on_delete=models.CASCADE, related_name="evidence"
    )
    url = models.URLField(_("URL"), max_length=2000)
    kind = models.CharField(_("kind"), max_length=24, choices=EvidenceKind.choices, default=EvidenceKind.OTHER)
    title = models.CharField(_("title"), max_length=500, blank=True)
    publisher = models.CharField(_("publisher"), max_length=200, blank=True)
    published_on = models.DateField(_("published on"), null=True, blank=True)
    quote = models.TextField(_("quoted passage"), blank=True, max_length=4000)
    link_status = models.CharField(
        _("link health"), max_length=10, choices=LinkStatus.choices, default=LinkStatus.UNCHECKED, editable=False
    )
    link_checked_at = models.DateTimeField(_("link checked"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        constraints = [
            models.UniqueConstraint(
                fields=["adoption", "url"], name="evidence_unique_url_per_adoption",
                violation_error_message=_("This source is already cited by the record."),
            ),
            NowCheckConstraint(
                condition=models.Q(published_on__isnull=True) | models.Q(published_on__lte=Now()),
                name="evidence_published_not_future",
                violation_error_message=_("The publication date cannot be in the future."),
            ),
            models.CheckConstraint(
                condition=models.Q(url__startswith="http://") | models.Q(url__startswith="https://"),
                name="evidence_url_http",
                violation_error_message=_("Evidence URLs must start with http:// or https://."),
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.url
