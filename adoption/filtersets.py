"""One parameter grammar for every list, map, page, export and feed (DESIGN §4), defined once here.

Each filter is a FilterSet filter whose form field parses and validates the parameter: several values
comma-separated (or the parameter repeated) mean any of them; slugs and codes ignore case; `region` is an
M49 code of any level with leading zeros optional; an unknown parameter or value is an error naming the
allowed ones. The lists and pages filter querysets with these FilterSets; the maps read the same forms'
cleaned values (`MapFilterSet`, `TimeseriesFilterSet`), so a query means the same thing everywhere.
"""

import datetime
from dataclasses import dataclass
from functools import reduce
from operator import or_

import django_filters
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import connections
from django.db.models import BooleanField, F, Func, Q, Value
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from drf_spectacular.drainage import set_override
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from adoption import geo
from adoption.choices import ChangeRequestStatus, OrganizationKind, RegionLevel, Relation, Stage, Status
from adoption.dates import parse_partial_date, period_end
from adoption.localnames import place_name
from adoption.maps.grains import TAG_MAX
from adoption.models import Adoption, ChangeRequest, Checkpoint, Country, ModelFamily, Organization, Region
from adoption.search import search_names
from adoption.selectors.organizations import organizations_matching

# Parameters a list takes besides its filters: pagination, and DRF's choice of format.
LIST_PARAMETERS = ("page", "page_size", "format")

GROUP_BY_CHOICES = (
    ("country", gettext_lazy("Country")), ("subregion", gettext_lazy("Sub-region (UN M49)")),
    ("region", gettext_lazy("Region (UN M49)")),
    ("intermediate_region", gettext_lazy("Intermediate region (UN M49; else the sub-region)")),
    ("city", gettext_lazy("City")),
)
SPLIT_CHOICES = (
    ("origin_country", gettext_lazy("Origin country of the base model")), ("family", gettext_lazy("Model family")),
    ("relation", gettext_lazy("Relation")), ("stage", pgettext_lazy("adoption stage", "Stage")),
    ("adopter_kind", gettext_lazy("Kind of adopter")), ("none", gettext_lazy("No split")),
)
UNIT_CHOICES = (
    ("adoptions", gettext_lazy("Adoptions")), ("adopters", gettext_lazy("Adopters (distinct organizations)")),
)
MAP_FORMAT_CHOICES = (("json", "JSON"), ("geojson", "GeoJSON"), ("csv", "CSV"))
TIMESERIES_FORMAT_CHOICES = (("json", "JSON"), ("csv", "CSV"))
INTERVAL_CHOICES = (
    ("year", gettext_lazy("Year")), ("quarter", gettext_lazy("Quarter")), ("month", gettext_lazy("Month")),
)


def empty_parameters(query, names=None) -> dict[str, list[str]]:
    """The API's rule for a parameter named without a value (`?as_of=`, or `?since=2024&since=`): an HTML form
    sends those and means "no filter", but an API client that names a parameter has made a mistake, refused
    as a 400 keyed by the parameter (a one-value parameter reads its last value: a blank one would pass for no
    filter). `names`: the parameters to check (default: all but a `_` cache-buster)."""
    return {
        key: [_("Give a value or leave the parameter out.")]
        for key in query
        if (key in names if names is not None else not key.startswith("_"))
        and not all(value.strip() for value in query.getlist(key))
    }


# --- form fields: how one parameter is read ---


class ParameterForm(forms.Form):
    """The form of every FilterSet here: a parameter it does not know is an error under that parameter's
    name (the API answers it keyed so), shown among the form's own errors on a page."""

    extra_parameters: tuple[str, ...] = LIST_PARAMETERS

    def allowed_parameters(self) -> tuple[str, ...]:
        return (*self.fields, *self.extra_parameters)

    def full_clean(self):
        super().full_clean()
        if not self.is_bound:
            return
        allowed = self.allowed_parameters()
        for key in self.data:
            if key in allowed or key.startswith("_"):  # _=123: a cache-buster some clients add
                continue
            self._errors[key] = self.error_class(
                [_("Unknown parameter. Allowed: %(names)s.") % {"names": ", ".join(allowed)}]
            )
            self.cleaned_data.pop(key, None)

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since.first > until.last:
            self.add_error("until", _("The end of the period is before its start (since)."))
        return cleaned

    def parameter_errors(self) -> dict[str, list[str]]:
        """The errors as the API answers them: messages keyed by parameter (a ValidationError's dict)."""
        return {name: list(messages) for name, messages in self.errors.items()}

    def non_field_errors(self):
        """The form's own errors plus those of parameters that are not fields (a page has nowhere else to show them)."""
        errors = super().non_field_errors()
        strays = [(key, messages) for key, messages in self.errors.items()
                  if key != NON_FIELD_ERRORS and key not in self.fields]
        if not strays:
            return errors
        return self.error_class(
            [*errors, *(f"{key}: {message}" for key, messages in strays for message in messages)],
            error_class="nonfield", renderer=self.renderer,
        )

    def query(self) -> dict[str, str]:
        """The non-empty parameters of the cleaned form as a query string writes them (links, echoes, cache keys)."""
        query = {}
        for name in self.fields:
            value = self.cleaned_data.get(name)
            if value in (None, "", (), []):
                continue
            if isinstance(value, tuple | list):  # several values; `ordering` cleans to a list
                value = ",".join(value)
            elif isinstance(value, DateBound):
                value = value.text
            elif isinstance(value, datetime.datetime):
                value = str(self.data.get(name, "")).strip()
            elif hasattr(value, "pk"):
                value = getattr(value, "slug", None) or value.pk
            query[name] = str(value)
        return query


class ValuesInput(forms.TextInput):
    """A text box for comma-separated values; the parameter repeated (?family=a&family=b) reads as 'a,b'."""

    def value_from_datadict(self, data, files, name):
        if hasattr(data, "getlist"):
            values = data.getlist(name)
            return ",".join(values) if values else None
        return data.get(name)


class ValuesSelect(forms.Select):
    """A select for the same parameter on a page: one value picked, several understood."""

    value_from_datadict = ValuesInput.value_from_datadict

    def format_value(self, value):
        if isinstance(value, str):
            value = value.split(",")
        return super().format_value(value)


class ValuesField(forms.Field):
    """Any of several values: cleaned to a sorted tuple of distinct, normalised values.

    `normalise` puts each value in its stored form (case, zero padding); `known(values)` returns those of
    the values that exist (or `values` lists them all); `unknown(value)` says what is wrong with one that does
    not."""

    widget = ValuesInput

    def __init__(self, *, normalise=str, values=None, known=None, unknown=None, choices=(), max_length=TAG_MAX,
                 **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.values = values
        if values is not None and known is None:
            known = set(values).intersection
        self.normalise, self.known, self.unknown, self.max_length = normalise, known, unknown, max_length
        if isinstance(self.widget, forms.Select):
            self.widget.choices = choices

    def to_python(self, value) -> tuple[str, ...]:
        if value in self.empty_values:
            return ()
        items = value if isinstance(value, list | tuple) else str(value).split(",")
        items = [str(item).strip() for item in items]
        if any("\x00" in item for item in items):  # PostgreSQL refuses NUL in text: no such value exists
            raise ValidationError(ProhibitNullCharactersValidator.message, code="null_characters_not_allowed")
        if any(len(item) > self.max_length for item in items):
            raise ValidationError(_("Values are at most %(limit)s characters."), code="max_length",
                                  params={"limit": self.max_length})
        return tuple(sorted({self.normalise(item) for item in items if item}))

    def validate(self, value):
        super().validate(value)
        if value and self.known is not None:
            missing = sorted(set(value) - set(self.known(value)))
            if missing:
                # The text travels as a parameter: a '%' in the value must not read as a format directive.
                raise ValidationError("%(text)s", code="invalid_choice", params={"text": self.unknown(missing[0])})


class OptionField(forms.ChoiceField):
    """One of a few words (group_by, split, unit, format, interval); empty means the default."""

    def __init__(self, *, choices, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(choices=choices, **kwargs)
        self.values_text = ", ".join(value for value, _label in choices)

    def validate(self, value):
        try:
            super().validate(value)
        except ValidationError as exc:
            if exc.code != "invalid_choice":
                raise
            raise ValidationError(_("Choose one of: %(values)s."), code="invalid_choice",
                                  params={"values": self.values_text}) from None

    def to_python(self, value) -> str:
        return super().to_python(value).strip().lower()


@dataclass(frozen=True)
class DateBound:
    """A partial date as given ('2025-03') with the first and last day of the period it names."""

    text: str
    first: datetime.date
    last: datetime.date


class PartialDateField(forms.CharField):
    """YYYY, YYYY-MM or YYYY-MM-DD (`since` uses the first day of the period, `until` the last)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 10)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, value) -> DateBound | None:
        text = super().clean(value)
        if not text:
            return None
        first, precision = parse_partial_date(text)
        return DateBound(text, first, period_end(first, precision))


# The UTC offsets in use run from -12:00 to +14:00; PostgreSQL refuses some beyond, so those are errors here.
MAX_OFFSET = datetime.timedelta(hours=14)
INSTANT_HELP = gettext_lazy("Enter an ISO 8601 date or date-time, e.g. 2025-06-30 or 2025-06-30T12:00:00Z.")


def _offset_text(offset: datetime.timedelta) -> str:
    sign, seconds = ("-", -offset.total_seconds()) if offset < datetime.timedelta(0) else ("+", offset.total_seconds())
    return f"{sign}{int(seconds // 3600):02d}:{int(seconds % 3600 // 60):02d}"


class InstantField(forms.CharField):
    """An instant in UTC from an ISO 8601 date-time; a bare date means the end of that day (UTC)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, value) -> datetime.datetime | None:
        text = super().clean(value)
        if not text:
            return None
        text = text.replace(" ", "+")  # a '+' of a UTC offset arrives as a space when not URL-encoded
        try:
            # Checked first: parse_datetime reads a bare date as its midnight.
            instant = datetime.datetime.combine(datetime.date.fromisoformat(text), datetime.time.max)
        except ValueError:
            try:
                instant = parse_datetime(text)
            except ValueError:
                instant = None
        if instant is None:
            raise ValidationError(INSTANT_HELP, code="invalid")
        if timezone.is_naive(instant):
            return timezone.make_aware(instant, datetime.UTC)
        offset = instant.utcoffset()
        if abs(offset) > MAX_OFFSET:
            raise ValidationError(_("A UTC offset is between -14:00 and +14:00, not %(offset)s."),
                                  params={"offset": _offset_text(offset)})
        try:
            return instant.astimezone(datetime.UTC)
        except OverflowError:  # 0001-01-01T00:00+01:00 is before the first instant a date-time can hold
            raise ValidationError(_("This instant is out of the range of dates (years 1 to 9999).")) from None


class CheckpointChoiceField(forms.ModelChoiceField):
    """A checkpoint by id (`42`) or by Hugging Face repo id (`Qwen/Qwen3-32B`)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        value = str(value).strip().replace("\x00", "")  # PostgreSQL refuses NUL in text: no such repo id
        # isdigit() alone accepts '³', which int() refuses: ids are ASCII decimal digits only.
        is_id = value.isascii() and value.isdecimal() and len(value) < 19
        lookup = {"pk": int(value)} if is_id else {"repo_id": value}
        try:
            return self.queryset.get(**lookup)
        except (ValueError, TypeError, self.queryset.model.DoesNotExist) as exc:
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
            ) from exc


class SlugChoiceField(forms.ModelChoiceField):
    """An object by its slug, whatever the case ('QWEN' finds qwen)."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().lower()
        return super().to_python(value)


class CodeChoiceField(forms.ModelChoiceField):
    """A country or region picked by its code, whatever the case ('sg' finds SG); M49 codes zero-padded."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().upper()
            value = value.zfill(3) if value.isascii() and value.isdecimal() else value
        return super().to_python(value)


# --- querying JSON lists on both databases ---


class JSONListHasAny(Func):
    """True where the JSON list in the column holds one of these strings as an element (SQLite: json_each)."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra):
        column, column_params = compiler.compile(self.source_expressions[0])
        values = [compiler.compile(value) for value in self.source_expressions[1:]]
        placeholders = ", ".join(sql for sql, _ in values)
        # Every fragment comes from the compiler (a column and placeholders); the values travel as parameters.
        sql = (f"EXISTS (SELECT 1 FROM json_each({column}) AS element "  # noqa: S608
               f"WHERE element.type = 'text' AND element.value IN ({placeholders}))")
        return sql, (*column_params, *(param for _, params in values for param in params))


def list_has(queryset, field: str, values):
    """Rows whose JSON list `field` holds one of `values` as an element, exactly (not a substring of one).

    PostgreSQL answers `__contains` with jsonb containment (indexable); SQLite, the demo's database, has no
    JSON containment, so it looks through the list's elements instead."""
    values = [values] if isinstance(values, str) else list(values)
    if connections[queryset.db].vendor == "postgresql":
        return queryset.filter(reduce(or_, (Q(**{f"{field}__contains": [value]}) for value in values)))
    return queryset.filter(JSONListHasAny(F(field), *(Value(value) for value in values)))


# --- the filters ---


class ValuesFilter(django_filters.Filter):
    """Records matching any of the values: `field_name__in`, or the filter's method."""

    field_class = ValuesField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Documented per filter: its label, the grammar, and the values when they are a fixed list.
        schema = {"type": "string", "description": f"{self.label}. Several values comma-separated: any of them."}
        if values := self.extra.get("values"):
            schema["enum"] = list(values)
        set_override(self, "field", schema)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": value})


def _choice_filter(field_name: str, choices, label: str, any_label: str) -> ValuesFilter:
    values = [value for value, _ in choices]
    return ValuesFilter(
        field_name=field_name, label=label, normalise=str.lower, widget=ValuesSelect,
        choices=[("", any_label), *choices], values=values,
        unknown=lambda value: _("Unknown value %(value)s. Choose from: %(values)s.")
        % {"value": repr(value), "values": ", ".join(values)},
    )


def _family_choices():
    return [("", _("All families")), *ModelFamily.objects.order_by("name").values_list("slug", "name")]


# The choices are built for each form (a callable), in the reader's language: place names from place_name.
def _by_name(pairs):
    return sorted(pairs, key=lambda item: item[1])


def _origin_choices():
    rows = ModelFamily.objects.exclude(origin_country=None).values_list("origin_country", "origin_country__name")
    return [("", _("Any origin")), *_by_name((iso2, place_name(iso2, name)) for iso2, name in rows.distinct())]


def _country_choices():
    from django_countries import countries

    return [("", _("Any country")), *_by_name(
        (iso2, place_name(iso2, countries.name(iso2) or iso2)) for iso2 in geo.m49_countries())]


def _region_choices():
    names = geo.m49_region_names()
    return [("", _("Whole world")), *_by_name(
        (code, place_name(code, name)) for code, name in names.items() if code != geo.WORLD)]


def _m49(code: str) -> str:
    return code.zfill(3) if code.isascii() and code.isdecimal() else code


def _country_filter(field_name: str, label: str, choices) -> ValuesFilter:
    return ValuesFilter(
        field_name=field_name, label=label, normalise=str.upper, widget=ValuesSelect, choices=choices,
        known=lambda given: set(given) & set(geo.m49_countries()),
        unknown=lambda value: _("%(value)s is not an ISO 3166-1 alpha-2 country code.") % {"value": repr(value)},
    )


def _known_families(slugs) -> set[str]:
    return set(ModelFamily.objects.filter(slug__in=slugs).values_list("slug", flat=True))


def _family_filter(**kwargs) -> ValuesFilter:
    return ValuesFilter(
        field_name="family__slug", label=gettext_lazy("Model family (slug)"), normalise=str.lower,
        known=_known_families,
        unknown=lambda value: _("Unknown family %(value)s. The families and their slugs: /api/v1/families/.")
        % {"value": repr(value)}, **kwargs,
    )


def _region_filter(**kwargs) -> ValuesFilter:
    return ValuesFilter(
        method="filter_region", label=gettext_lazy("Region (UN M49 code, any level)"), normalise=_m49,
        known=lambda given: set(given) & set(geo.m49_region_names()),
        unknown=lambda value: _("%(value)s is not a UN M49 area code (e.g. 001, 142, 035).") % {"value": repr(value)},
        **kwargs,
    )


def _known_adopters(slugs) -> set[str]:
    # Only published organizations (merged ones included: an old link still works): another contributor's
    # proposal answers as an unknown slug would.
    return set(Organization.objects.filter(is_published=True, slug__in=slugs).values_list("slug", flat=True))


@extend_schema_field({"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$", "example": "2025-03"})
class PartialDateFilter(django_filters.Filter):
    """`since` keeps records started from the first day of the period it names, `until` to the last:
    until=2025 keeps all of 2025."""

    field_class = PartialDateField

    def __init__(self, *args, bound: str = "start", **kwargs):
        self.bound = bound
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        if self.bound == "start":
            return qs.filter(**{f"{self.field_name}__gte": value.first})
        return qs.filter(**{f"{self.field_name}__lte": value.last})


@extend_schema_field(OpenApiTypes.DATETIME)
class InstantFilter(django_filters.Filter):
    """Records changed at or after an instant (a date: the end of that day, UTC)."""

    field_class = InstantField

    def filter(self, qs, value):
        return qs.filter(**{f"{self.field_name}__gte": value}) if value else qs


class NullsLastOrderingFilter(django_filters.OrderingFilter):
    """Ordering where records without a value (no start date) come last both ways, with a stable tiebreak."""

    def filter(self, qs, value):
        if value in ([], (), {}, "", None):
            return qs
        terms = []
        for param in filter(None, value):
            descending = param.startswith("-")
            field = self.param_map.get(param.lstrip("-"))
            if field is None:
                continue
            terms.append(F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True))
        return qs.order_by(*terms, "-pk")


@extend_schema_field(OpenApiTypes.STR)
class CodeFilter(django_filters.ModelChoiceFilter):
    """A country or region by its code (documented as a string in the API schema)."""

    field_class = CodeChoiceField


@extend_schema_field({"type": "string", "description": "Id or Hugging Face repo id"})
class CheckpointFilter(django_filters.ModelChoiceFilter):
    """A checkpoint by id or repo id."""

    field_class = CheckpointChoiceField


@extend_schema_field(OpenApiTypes.STR)
class SlugFilter(django_filters.ModelChoiceFilter):
    """An object by its slug, whatever the case."""

    field_class = SlugChoiceField


@extend_schema_field({"type": "string", "enum": ["true", "false"]})
class YesNoFilter(django_filters.ChoiceFilter):
    """true or false, and nothing else (a forgiving boolean would read 'null' as no filter)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("true", gettext_lazy("Yes")), ("false", gettext_lazy("No"))])
        super().__init__(*args, **kwargs)


def _code_filter(field_name: str, queryset, label: str, **kwargs):
    return CodeFilter(
        field_name=field_name, queryset=queryset, to_field_name=kwargs.pop("to_field_name", "pk"), label=label,
        **kwargs,
    )


class ParameterFilterSet(django_filters.FilterSet):
    """A FilterSet whose form refuses parameters it does not know."""

    class Meta:
        form = ParameterForm


class MapFilters(ParameterFilterSet):
    """The filters every view of published adoptions takes: lists, pages, maps, time series, exports, feeds."""

    family = _family_filter(widget=ValuesSelect, choices=_family_choices)
    origin_country = _country_filter(
        "family__origin_country", gettext_lazy("Origin country of the family (ISO alpha-2)"), _origin_choices
    )
    relation = _choice_filter("relation", Relation.choices, gettext_lazy("Relation"), gettext_lazy("Any relation"))
    stage = _choice_filter("stage", Stage.choices, pgettext_lazy("adoption stage", "Stage"), gettext_lazy("Any stage"))
    adopter_kind = _choice_filter(
        "adopter__kind", OrganizationKind.choices, gettext_lazy("Kind of adopter"), gettext_lazy("Any kind")
    )
    region = _region_filter(widget=ValuesSelect, choices=_region_choices)
    country = _country_filter("adopter__country", gettext_lazy("Adopter country (ISO alpha-2)"), _country_choices)
    sector = ValuesFilter(method="filter_sector", label=gettext_lazy("Sector"))
    language = ValuesFilter(method="filter_language", label=gettext_lazy("Language (ISO 639)"), normalise=str.lower)
    since = PartialDateFilter(
        field_name="started_on", bound="start", label=gettext_lazy("Started on or after (YYYY[-MM[-DD]])")
    )
    until = PartialDateFilter(
        field_name="started_on", bound="end", label=gettext_lazy("Started on or before (YYYY[-MM[-DD]])")
    )

    class Meta:
        model = Adoption
        fields = []
        form = ParameterForm

    def filter_region(self, queryset, name, codes):
        if geo.WORLD in codes:
            return queryset.filter(adopter__country__isnull=False)
        return queryset.filter(adopter__country__in=geo.region_countries(codes))

    def filter_sector(self, queryset, name, values):
        return list_has(queryset, "sectors", values)

    def filter_language(self, queryset, name, values):
        return list_has(queryset, "languages", values)


ADOPTION_ORDERING = (
    ("started_on", "started_on"),
    ("published_at", "published_at"),
    ("adopter__name", "adopter"),
    ("family__name", "family"),
    ("product_name", "product_name"),
    ("id", "id"),
)


class AdoptionFilterSet(MapFilters):
    """The adoptions list (the page, the API, its exports): the map filters plus the list's own."""

    adopter = ValuesFilter(
        method="filter_adopter", label=gettext_lazy("Adopter (slug)"), normalise=str.lower, known=_known_adopters,
        unknown=lambda value: _("Unknown adopter %(value)s. The organizations and their slugs: "
                                "/api/v1/organizations/.") % {"value": repr(value)},
    )
    checkpoint = CheckpointFilter(
        field_name="checkpoint", queryset=Checkpoint.objects.all(), label=gettext_lazy("Checkpoint (id or repo id)"),
        widget=forms.TextInput,
    )
    updated_since = InstantFilter(
        field_name="updated_at", label=gettext_lazy("Changed at or after (ISO 8601 date or date-time)")
    )
    q = django_filters.CharFilter(
        method="filter_text", max_length=200, label=gettext_lazy("Search adopter, product, summary")
    )
    ordering = NullsLastOrderingFilter(fields=ADOPTION_ORDERING, label=gettext_lazy("Order by"))

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(adopter__name__icontains=value)
            | Q(adopter__aliases__icontains=value)
            | Q(product_name__icontains=value)
            | Q(summary__icontains=value)
        )

    def filter_adopter(self, queryset, name, value):
        # A merged duplicate's slug (a link saved before the merge) selects the survivor's records.
        organizations = Organization.objects.filter(slug__in=value).select_related("merged_into")
        return queryset.filter(adopter__in={org.survivor.pk for org in organizations})


class EvidenceFilterSet(AdoptionFilterSet):
    """The evidence list (and its exports): the sources of the published records the adoption filters keep.
    Sources come in their records' default order, so there is no `ordering`."""

    ordering = None


class SubmissionFilterSet(AdoptionFilterSet):
    """The submissions list: the adoption filters plus the workflow status (curators' queue)."""

    adopter = ValuesFilter(field_name="adopter__slug", label=gettext_lazy("Adopter (slug)"), normalise=str.lower)
    status = _choice_filter("status", Status.choices, gettext_lazy("Status"), gettext_lazy("Any status"))
    batch = django_filters.NumberFilter(
        field_name="import_batch", label=gettext_lazy("Bulk proposal (id)"), min_value=1
    )
    ordering = NullsLastOrderingFilter(
        fields=(*ADOPTION_ORDERING, ("submitted_at", "submitted_at"), ("updated_at", "updated_at")),
        label=gettext_lazy("Order by"),
    )



class EventFilterForm(ParameterForm):
    """Which records to follow: the list's filters without its pages or formats."""

    extra_parameters = ()


class AdoptionEventFilterSet(AdoptionFilterSet):
    """The adoption list's filters as the Atom feed and webhooks take them: which records to follow (the
    newest events come first, so there is no ordering to choose, nor pages)."""

    ordering = None

    class Meta(AdoptionFilterSet.Meta):
        form = EventFilterForm

# --- the maps: the same filters, plus what to count and how to answer ---


class MapOptionsForm(ParameterForm):
    """What a map counts and how it answers, beside the filters (a map is not paginated)."""

    extra_parameters = ()

    group_by = OptionField(label=gettext_lazy("Group by"), choices=GROUP_BY_CHOICES)
    split = OptionField(label=gettext_lazy("Split by"), choices=SPLIT_CHOICES)
    # Translators: what the map counts, adoptions or adopters (a form label).
    unit = OptionField(label=pgettext_lazy("map unit", "Count"), choices=UNIT_CHOICES)
    format = OptionField(label=gettext_lazy("Format"), choices=MAP_FORMAT_CHOICES, widget=forms.HiddenInput)
    as_of = InstantField(
        label=gettext_lazy("As the registry stood on"),
        help_text=gettext_lazy("A date (end of that day, UTC) or an ISO date-time; empty for now."),
        widget=forms.TextInput(attrs={"placeholder": "2025-06-30"}),
    )


class TimeseriesOptionsForm(MapOptionsForm):
    group_by = None
    interval = OptionField(label=gettext_lazy("Interval"), choices=INTERVAL_CHOICES)
    format = OptionField(label=gettext_lazy("Format"), choices=TIMESERIES_FORMAT_CHOICES, widget=forms.HiddenInput)


class MapFilterSet(MapFilters):
    """The parameters of /api/v1/maps/adoption/ and the /map/ page (its form: `form`)."""

    class Meta(MapFilters.Meta):
        form = MapOptionsForm


class TimeseriesFilterSet(MapFilters):
    """The parameters of /api/v1/maps/timeseries/."""

    class Meta(MapFilters.Meta):
        form = TimeseriesOptionsForm


# --- the catalogue lists ---


class ChangeRequestFilterSet(ParameterFilterSet):
    status = _choice_filter("status", ChangeRequestStatus.choices, gettext_lazy("Status"), gettext_lazy("Any status"))
    adoption = django_filters.NumberFilter(field_name="adoption_id", label=gettext_lazy("Adoption id"), min_value=1)

    class Meta:
        model = ChangeRequest
        fields = []
        form = ParameterForm


class RegionFilterSet(ParameterFilterSet):
    level = _choice_filter("level", RegionLevel.choices, gettext_lazy("Level"), gettext_lazy("Any level"))
    parent = _code_filter("parent", Region.objects.all(), gettext_lazy("Parent region (M49 code)"))

    class Meta:
        model = Region
        fields = []
        form = ParameterForm


class CountryFilterSet(ParameterFilterSet):
    region = _region_filter()
    q = django_filters.CharFilter(method="filter_text", max_length=100, label=gettext_lazy("Name or code"))

    class Meta:
        model = Country
        fields = []
        form = ParameterForm

    def filter_region(self, queryset, name, codes):
        if geo.WORLD in codes:
            return queryset
        return queryset.filter(iso2__in=geo.region_countries(codes))

    def filter_text(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(iso2__iexact=value) | Q(iso3__iexact=value))


class OrganizationFilterSet(ParameterFilterSet):
    country = _country_filter("country", gettext_lazy("Country (ISO alpha-2)"), _country_choices)
    kind = _choice_filter(
        "kind", OrganizationKind.choices, pgettext_lazy("organization kind", "Kind"), gettext_lazy("Any kind")
    )
    q = django_filters.CharFilter(method="filter_text", max_length=200, label=gettext_lazy("Name or alias"))

    class Meta:
        model = Organization
        fields = []
        form = ParameterForm

    def filter_text(self, queryset, name, value):
        return organizations_matching(queryset, value)


class ModelFamilyFilterSet(ParameterFilterSet):
    origin_country = _country_filter("origin_country", gettext_lazy("Origin country (ISO alpha-2)"), _country_choices)
    developer = SlugFilter(
        queryset=Organization.objects.all(), to_field_name="slug", label=gettext_lazy("Developer (slug)"),
        widget=forms.TextInput,
    )
    q = django_filters.CharFilter(method="filter_text", max_length=200, label=gettext_lazy("Name, slug or developer"))

    class Meta:
        model = ModelFamily
        fields = []
        form = ParameterForm

    def filter_text(self, queryset, name, value):
        return search_names(queryset, value, ("name", "slug", "developer__name"))


class CheckpointFilterSet(ParameterFilterSet):
    family = _family_filter()
    derived_from = CheckpointFilter(
        queryset=Checkpoint.objects.all(), label=gettext_lazy("Derived from (id or repo id)"), widget=forms.TextInput
    )
    open_weights = YesNoFilter(method="filter_open_weights", label=gettext_lazy("Open weights"))
    q = django_filters.CharFilter(method="filter_text", max_length=200, label=gettext_lazy("Repo id or name"))

    class Meta:
        model = Checkpoint
        fields = []
        form = ParameterForm

    def filter_text(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(repo_id__icontains=value) | Q(name__icontains=value))

    def filter_open_weights(self, queryset, name, value):
        return queryset.filter(open_weights=value == "true")


# --- the Hub ecosystem figures (/api/v1/ecosystem/): no filters, a snapshot and what to show of it ---

ATTRIBUTION_CHOICES = (("base_origin", "base_origin"), ("uploader", "uploader"))
MEASURE_CHOICES = (("downloads", "downloads"), ("models", "models"))
ECOSYSTEM_INTERVAL_CHOICES = (("month", "month"), ("quarter", "quarter"), ("year", "year"))


class SnapshotDateField(forms.DateField):
    """A Hub snapshot's date, YYYY-MM-DD."""

    input_formats = ["%Y-%m-%d"]
    default_error_messages = {"invalid": gettext_lazy("Give the snapshot's date as YYYY-MM-DD.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


class EcosystemSnapshotsForm(ParameterForm):
    """/api/v1/ecosystem/snapshots/: nothing to choose but DRF's format."""

    extra_parameters = ("format",)


class EcosystemFamiliesForm(EcosystemSnapshotsForm):
    snapshot = SnapshotDateField()
    compare = SnapshotDateField()


class EcosystemSharesForm(EcosystemFamiliesForm):
    attribution = OptionField(choices=ATTRIBUTION_CHOICES)
    measure = OptionField(choices=MEASURE_CHOICES)


class EcosystemNewDerivativesForm(EcosystemSnapshotsForm):
    snapshot = SnapshotDateField()
    interval = OptionField(choices=ECOSYSTEM_INTERVAL_CHOICES)


__all__ = [
    "AdoptionEventFilterSet",
    "AdoptionFilterSet",
    "ChangeRequestFilterSet",
    "CheckpointFilterSet",
    "CountryFilterSet",
    "EvidenceFilterSet",
    "MapFilterSet",
    "MapFilters",
    "ModelFamilyFilterSet",
    "OrganizationFilterSet",
    "RegionFilterSet",
    "SubmissionFilterSet",
    "TimeseriesFilterSet",
]
