"""One FilterSet per list, shared by the pages and the API (NetBox habit).

The fields are plain Django form fields, so a page can render `filterset.form`; the API answers 400
naming the parameter when a value is not a known choice or not a date.
"""

import calendar

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import BooleanField, F, Func, Q, Value
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from adoption.choices import ChangeRequestStatus, OrganizationKind, RegionLevel, Relation, Stage, Status
from adoption.dates import parse_partial_date
from adoption.models import Adoption, ChangeRequest, Checkpoint, Country, ModelFamily, Organization, Region
from adoption.search import search_names
from adoption.selectors.organizations import organizations_matching


class CodeChoiceField(forms.ModelChoiceField):
    """A country or region picked by its code, whatever the case ('sg' finds SG)."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().upper()
        return super().to_python(value)


class JSONListHas(Func):
    """True where the JSON list in the column holds this string as one of its elements (SQLite: json_each)."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra):
        column, column_params = compiler.compile(self.source_expressions[0])
        value, value_params = compiler.compile(self.source_expressions[1])
        # Both fragments come from the compiler (a column and a placeholder); the value travels as a parameter.
        sql = (f"EXISTS (SELECT 1 FROM json_each({column}) AS element "  # noqa: S608
               f"WHERE element.type = 'text' AND element.value = {value})")
        return sql, (*column_params, *value_params)


def list_has(queryset, field: str, value: str):
    """Rows whose JSON list `field` holds `value` as an element, exactly (not a substring of one).

    PostgreSQL answers `__contains` with jsonb containment (indexable); SQLite, the demo's database, has no
    JSON containment, so it looks through the list's elements instead."""
    if connections[queryset.db].vendor == "postgresql":
        return queryset.filter(**{f"{field}__contains": [value]})
    return queryset.filter(JSONListHas(F(field), Value(value)))


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


class PartialDateField(forms.CharField):
    """YYYY, YYYY-MM or YYYY-MM-DD; cleans to (first day, last day) of the period it names."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        start, precision = parse_partial_date(value)
        if precision == "year":
            end = start.replace(month=12, day=31)
        elif precision == "month":
            end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
        else:
            end = start
        return start, end


@extend_schema_field({"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$", "example": "2025-03"})
class PartialDateFilter(django_filters.Filter):
    """`since` takes the first day of the period it names, `until` the last: until=2025 keeps all of 2025."""

    field_class = PartialDateField

    def __init__(self, *args, bound: str = "start", **kwargs):
        self.bound = bound
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        start, end = value
        if self.bound == "start":
            return qs.filter(**{f"{self.field_name}__gte": start})
        return qs.filter(**{f"{self.field_name}__lte": end})


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


@extend_schema_field({"type": "string", "enum": ["true", "false"]})
class YesNoFilter(django_filters.ChoiceFilter):
    """true or false, and nothing else (a forgiving boolean would read 'null' as no filter)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("true", "Yes"), ("false", "No")])
        super().__init__(*args, **kwargs)


def _code_filter(field_name: str, queryset, label: str, **kwargs):
    return CodeFilter(
        field_name=field_name, queryset=queryset, to_field_name=kwargs.pop("to_field_name", "pk"), label=label,
        **kwargs,
    )


ADOPTION_ORDERING = (
    ("started_on", "started_on"),
    ("published_at", "published_at"),
    ("adopter__name", "adopter"),
    ("family__name", "family"),
    ("product_name", "product_name"),
    ("id", "id"),
)


class AdoptionFilterSet(django_filters.FilterSet):
    """Filters of the adoptions list (published records on the page and in the API)."""

    country = _code_filter("adopter__country", Country.objects.all(), "Adopter country (ISO alpha-2)")
    region = _code_filter(
        "adopter__country", Region.objects.all(), "Region (M49 code, any level)", method="filter_region"
    )
    adopter = django_filters.ModelChoiceFilter(
        field_name="adopter", queryset=Organization.objects.all(), to_field_name="slug", label="Adopter (slug)",
        widget=forms.TextInput,
    )
    adopter_kind = django_filters.ChoiceFilter(
        field_name="adopter__kind", choices=OrganizationKind.choices, label="Adopter kind"
    )
    family = django_filters.ModelChoiceFilter(
        field_name="family", queryset=ModelFamily.objects.all(), to_field_name="slug", label="Model family (slug)"
    )
    checkpoint = CheckpointFilter(
        field_name="checkpoint", queryset=Checkpoint.objects.all(), label="Checkpoint (id or repo id)",
        widget=forms.TextInput,
    )
    origin_country = _code_filter(
        "family__origin_country", Country.objects.all(), "Origin country of the family (ISO alpha-2)"
    )
    relation = django_filters.ChoiceFilter(choices=Relation.choices, label="Relation")
    stage = django_filters.ChoiceFilter(choices=Stage.choices, label="Stage")
    sector = django_filters.CharFilter(method="filter_sector", max_length=80, label="Sector")
    language = django_filters.CharFilter(method="filter_language", max_length=20, label="Language (ISO 639)")
    since = PartialDateFilter(field_name="started_on", bound="start", label="Started on or after (YYYY[-MM[-DD]])")
    until = PartialDateFilter(field_name="started_on", bound="end", label="Started on or before (YYYY[-MM[-DD]])")
    q = django_filters.CharFilter(method="filter_text", max_length=200, label="Search adopter, product, summary")
    ordering = NullsLastOrderingFilter(fields=ADOPTION_ORDERING, label="Order by")

    class Meta:
        model = Adoption
        fields = []

    def filter_region(self, queryset, name, region):
        if region.level == RegionLevel.WORLD:
            return queryset.filter(adopter__country__isnull=False)
        return queryset.filter(
            Q(adopter__country__region=region)
            | Q(adopter__country__subregion=region)
            | Q(adopter__country__intermediate_region=region)
        )

    def filter_sector(self, queryset, name, value):
        return list_has(queryset, "sectors", value.strip()) if value.strip() else queryset

    def filter_language(self, queryset, name, value):
        return list_has(queryset, "languages", value.strip().lower()) if value.strip() else queryset

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



class SubmissionFilterSet(AdoptionFilterSet):
    """The submissions list: the adoption filters plus the workflow status (curators' queue)."""

    status = django_filters.ChoiceFilter(choices=Status.choices, label="Status")
    ordering = NullsLastOrderingFilter(
        fields=(*ADOPTION_ORDERING, ("submitted_at", "submitted_at"), ("updated_at", "updated_at")),
        label="Order by",
    )


class ChangeRequestFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ChangeRequestStatus.choices, label="Status")
    adoption = django_filters.NumberFilter(field_name="adoption_id", label="Adoption id", min_value=1)

    class Meta:
        model = ChangeRequest
        fields = []


class RegionFilterSet(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=RegionLevel.choices, label="Level")
    parent = _code_filter("parent", Region.objects.all(), "Parent region (M49 code)")

    class Meta:
        model = Region
        fields = []


class CountryFilterSet(django_filters.FilterSet):
    region = _code_filter("region", Region.objects.all(), "Region (M49 code, any level)", method="filter_region")
    q = django_filters.CharFilter(method="filter_text", max_length=100, label="Name or code")

    class Meta:
        model = Country
        fields = []

    def filter_region(self, queryset, name, region):
        if region.level == RegionLevel.WORLD:
            return queryset
        return queryset.filter(Q(region=region) | Q(subregion=region) | Q(intermediate_region=region))

    def filter_text(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(iso2__iexact=value) | Q(iso3__iexact=value))


class OrganizationFilterSet(django_filters.FilterSet):
    country = _code_filter("country", Country.objects.all(), "Country (ISO alpha-2)")
    kind = django_filters.ChoiceFilter(choices=OrganizationKind.choices, label="Kind")
    q = django_filters.CharFilter(method="filter_text", max_length=200, label="Name or alias")

    class Meta:
        model = Organization
        fields = []

    def filter_text(self, queryset, name, value):
        return organizations_matching(queryset, value)


class ModelFamilyFilterSet(django_filters.FilterSet):
    origin_country = _code_filter("origin_country", Country.objects.all(), "Origin country (ISO alpha-2)")
    developer = django_filters.ModelChoiceFilter(
        queryset=Organization.objects.all(), to_field_name="slug", label="Developer (slug)", widget=forms.TextInput
    )
    q = django_filters.CharFilter(method="filter_text", max_length=200, label="Name, slug or developer")

    class Meta:
        model = ModelFamily
        fields = []

    def filter_text(self, queryset, name, value):
        return search_names(queryset, value, ("name", "slug", "developer__name"))


class CheckpointFilterSet(django_filters.FilterSet):
    family = django_filters.ModelChoiceFilter(
        queryset=ModelFamily.objects.all(), to_field_name="slug", label="Model family (slug)"
    )
    derived_from = CheckpointFilter(
        queryset=Checkpoint.objects.all(), label="Derived from (id or repo id)", widget=forms.TextInput
    )
    open_weights = YesNoFilter(method="filter_open_weights", label="Open weights")
    q = django_filters.CharFilter(method="filter_text", max_length=200, label="Repo id or name")

    class Meta:
        model = Checkpoint
        fields = []

    def filter_text(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(repo_id__icontains=value) | Q(name__icontains=value))

    def filter_open_weights(self, queryset, name, value):
        return queryset.filter(open_weights=value == "true")


__all__ = [
    "AdoptionFilterSet",
    "ChangeRequestFilterSet",
    "CheckpointFilterSet",
    "CountryFilterSet",
    "ModelFamilyFilterSet",
    "OrganizationFilterSet",
    "RegionFilterSet",
    "SubmissionFilterSet",
]
