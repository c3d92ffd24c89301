"""The tables behind the maps, written only by the map stack (adoption.maps: upkeep, fold, repair).

`MapSummary` counts published records per cell of a *grain* (a set of dimensions; unused ones hold ''
or 0), `AdopterPresence` counts them per adopter and split value, `PublicationSpan` keeps each period
a record was published, `MapDelta` the records that started or stopped counting since the last fold,
and `RegistryDataVersion` the version behind the map endpoints' ETag and Last-Modified.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# Grain id -> the columns of one partial index per grain (the columns a reader filters on first), so a
# map reads its grain alone, however large the other grains grow. Kept in step with
# adoption.maps.grains.GRAINS (a test checks it).
# The default map (1) and the date ranges (6: months, 10: whole years) stay index-only scans however
# large the table grows: their indexes carry the counts.
COVERING = {1, 6, 10}
SUMMARY_INDEXES = {
    1: ("country", "family_id"),
    2: ("relation", "country", "family_id"),
    3: ("stage", "country", "family_id"),
    4: ("adopter_kind", "country", "family_id"),
    5: ("country", "city", "family_id"),
    6: ("month", "country", "family_id"),
    7: ("tag", "country", "family_id"),
    8: ("tag", "country", "family_id"),
    10: ("month", "country", "family_id"),
}


class MapSummary(models.Model):
    """Count of published adoptions in one cell of one grain (see adoption.maps.grains.Grain)."""

    grain = models.PositiveSmallIntegerField(_("grain"))
    country = models.CharField(_("adopter country"), max_length=2, blank=True, default="")
    city = models.CharField(_("adopter city"), max_length=120, blank=True, default="")
    adopter_kind = models.CharField(_("adopter kind"), max_length=24, blank=True, default="")
    family_id = models.BigIntegerField(_("family id"), default=0)
    relation = models.CharField(_("relation"), max_length=24, blank=True, default="")
    stage = models.CharField(_("stage"), max_length=12, blank=True, default="")
    month = models.IntegerField(_("start month (yyyymm, 0 when undated)"), default=0)
    tag = models.CharField(_("sector or language"), max_length=100, blank=True, default="")
    n = models.IntegerField(_("published adoptions"), default=0)

    class Meta:
        verbose_name = _("map summary cell")
        verbose_name_plural = _("map summary cells")
        constraints = [
            models.UniqueConstraint(
                fields=["grain", "country", "city", "adopter_kind", "family_id", "relation", "stage", "month", "tag"],
                name="mapsummary_unique_cell",
                violation_error_message=_("This summary cell already exists."),
            ),
        ]
        # `n` is in the indexes of COVERING grains only, so adding to another cell is a HOT update (no index
        # touched) when its page has room: migration 0007 leaves room on each page for that
        # (fillfactor 70), which keeps the fold cheap; readers of the other grains fetch `n` from the heap.
        indexes = [
            models.Index(fields=list(cols), include=["n"] if grain in COVERING else None, condition=Q(grain=grain),
                         name=f"mapsummary_g{grain}")
            for grain, cols in SUMMARY_INDEXES.items()
        ]

    def __str__(self) -> str:
        return f"grain {self.grain}: {self.n}"


class AdopterPresence(models.Model):
    """Published records of one adopter under one split value (adoption.maps.grains.PresenceGrain).

    What `unit=adopters` counts without a distinct count over the records: one row per adopter and
    value with n > 0 is one adopter in that split key, so a map adds up rows. The adopter's country,
    city and kind are copied in (moved with the organization); the family's origin is the value of
    grain 2 (moved with the family).
    """

    grain = models.PositiveSmallIntegerField(_("grain"))
    adopter_id = models.BigIntegerField(_("adopter id"))
    family_id = models.BigIntegerField(_("family id"), default=0)
    value = models.CharField(_("split value"), max_length=24, blank=True, default="")
    country = models.CharField(_("adopter country"), max_length=2, blank=True, default="")
    city = models.CharField(_("adopter city"), max_length=120, blank=True, default="")
    adopter_kind = models.CharField(_("adopter kind"), max_length=24, blank=True, default="")
    n = models.IntegerField(_("published adoptions"), default=0)

    class Meta:
        verbose_name = _("adopter presence")
        verbose_name_plural = _("adopter presences")
        constraints = [
            models.UniqueConstraint(fields=["grain", "adopter_id", "family_id", "value"],
                                    name="adopterpresence_unique_cell",
                                    violation_error_message=_("This presence cell already exists.")),
        ]
        # As for the summary: `n` in no index, so the fold's updates are HOT (fillfactor 70, migration 0008).
        indexes = [models.Index(fields=["adopter_id"], name="adopterpresence_adopter")]

    def __str__(self) -> str:
        return f"adopter {self.adopter_id} grain {self.grain}: {self.n}"


class SpanValues(models.Model):
    """What the maps read of a published record (adoption.maps.grains.SPAN_VALUES), the adopter's
    country, city and kind as they stood: kept by a span and by a delta alike."""

    adopter_id = models.BigIntegerField(_("adopter id"))
    country = models.CharField(_("adopter country"), max_length=2, blank=True, default="")
    city = models.CharField(_("adopter city"), max_length=120, blank=True, default="")
    adopter_kind = models.CharField(_("adopter kind"), max_length=24, blank=True, default="")
    family_id = models.BigIntegerField(_("family id"))
    relation = models.CharField(_("relation"), max_length=24)
    stage = models.CharField(_("stage"), max_length=12)
    started_on = models.DateField(_("started on"), null=True, blank=True)
    sectors = models.JSONField(_("sectors"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)

    class Meta:
        abstract = True


class PublicationSpan(SpanValues):
    """One period during which a record was published, with what the maps read of it then.

    Opened when a record becomes published (approve, approved change: after the change), closed when
    it stops counting (retract, approved change: before the change), in the publishing transaction.
    The adopter's country, city and kind are copied in as they stood, so an `as_of` map places records
    where their adopters were at that instant. The open spans are the published registry now, without
    a join: the maps no summary grain can answer (unit=adopters, several filters) read those; `as_of`
    reads the spans that cover its instant (published_from <= t < published_until).
    """

    adoption_id = models.BigIntegerField(_("adoption id"))
    published_from = models.DateTimeField(_("published from"))
    published_until = models.DateTimeField(_("published until"), null=True, blank=True)

    class Meta:
        verbose_name = _("publication span")
        verbose_name_plural = _("publication spans")
        constraints = [
            # At most one open span per record: what closing a span and the consistency check rely on.
            models.UniqueConstraint(fields=["adoption_id"], condition=Q(published_until__isnull=True),
                                    name="publicationspan_one_open",
                                    violation_error_message=_("This record already has an open span.")),
            models.CheckConstraint(condition=Q(published_until__isnull=True)
                                   | Q(published_until__gte=models.F("published_from")),
                                   name="publicationspan_ends_after_start",
                                   violation_error_message=_("A span cannot end before it starts.")),
        ]
        # Moving an organization reopens the open spans of its records.
        indexes = [models.Index(fields=["adopter_id"], condition=Q(published_until__isnull=True),
                                name="publicationspan_open_adopter")]

    def __str__(self) -> str:
        return f"record {self.adoption_id} published from {self.published_from:%Y-%m-%d}"


class MapDelta(SpanValues):
    """A record that started (+1) or stopped (-1) counting, not yet folded into the summary and presence.

    An approval or retraction writes one of these (beside its span) instead of updating the summary and
    presence rows; the maps add the unfolded deltas to what they read (read-your-writes holds), and a
    periodic task folds them in
    (adoption.maps.fold). The values are the span's: what the maps read of the record.
    """

    sign = models.SmallIntegerField(_("sign"))

    class Meta:
        verbose_name = _("map delta")
        verbose_name_plural = _("map deltas")
        constraints = [
            models.CheckConstraint(condition=Q(sign__in=(-1, 1)), name="mapdelta_sign",
                                   violation_error_message=_("A delta adds or removes one record.")),
        ]

    def __str__(self) -> str:
        return f"{self.sign:+d} adopter {self.adopter_id} family {self.family_id}"


class RegistryDataVersion(models.Model):
    """One row: changes whenever what the maps show changes; the source of ETag and Last-Modified.

    `token` is random, so a token seen before a database restore or a rolled-back test never comes back.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.BigIntegerField(_("version"), default=1)
    token = models.CharField(_("token"), max_length=32, default="initial")
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("registry data version")
        verbose_name_plural = _("registry data version")

    def __str__(self) -> str:
        return f"v{self.version} at {self.changed_at:%Y-%m-%d %H:%M:%S}"
