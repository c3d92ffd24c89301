"""The published registry as tables: what the list exports (`?format=csv`) and the data releases write.

Each table is a queryset, the API serializer whose fields are its columns (flattened as the exports do:
adoption.api.exports.Columns) and the ValuesPlan that reads its rows; the adoptions and evidence exports
of the API use the same plans, so a release's files and the API's downloads cannot drift apart.
`field_schema` gives a column's Table Schema type and description, read from the serializer field.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import QuerySet
from rest_framework import serializers

from adoption.choices import Status
from adoption.dates import format_partial_date
from adoption.models import Adoption, Evidence, ModelFamily, Organization

from . import serializers as s
from .exports import LISTS_OF_OBJECTS, TEXT_LIST_SEPARATOR, Columns, ValuesPlan, related_lists


def adoption_plan(serializer: serializers.Serializer) -> ValuesPlan:
    """Published adoptions as AdoptionSerializer writes them, with their partners and sources."""
    partners = Adoption.partners.through.objects.order_by("organization__name", "organization_id")
    return ValuesPlan(serializer, computed={
        "started_on": (("started_on", "started_precision"), lambda date, precision:
                       format_partial_date(date, precision) or None),
    }, many={
        "partners": related_lists(partners, s.OrganizationBriefSerializer(), "adoption_id", "organization__"),
        "evidence": related_lists(Evidence.objects.order_by("id"), s.EvidenceSerializer(), "adoption_id"),
    })


def family_plan(serializer: serializers.Serializer) -> ValuesPlan:
    return ValuesPlan(serializer, computed={
        "first_release": (("first_release", "first_release_precision"), lambda date, precision:
                          format_partial_date(date, precision) or None),
    })


@dataclass(frozen=True)
class Table:
    """One file of a release: `name`.csv, its rows read by `plan(serializer)` from `queryset()`."""

    name: str
    title: str
    serializer_class: type[serializers.Serializer]
    queryset: Callable[[], QuerySet]
    primary_key: str
    plan: Callable[[serializers.Serializer], ValuesPlan] = ValuesPlan
    foreign_keys: list[dict] = field(default_factory=list)

    def serializer(self) -> serializers.Serializer:
        return self.serializer_class()

    def columns(self) -> Columns:
        return Columns.of(self.serializer())

    def chunks(self):
        return self.plan(self.serializer()).chunks(self.queryset())


# In a fixed order (by id or slug), so two releases of the same data are the same bytes.
TABLES = (
    Table("adoptions", "Published adoption records", s.AdoptionSerializer,
          lambda: Adoption.objects.published().order_by("id"), "id", adoption_plan),
    Table("evidence", "The sources of the published records, one row each", s.EvidenceRowSerializer,
          lambda: Evidence.objects.filter(adoption__status=Status.PUBLISHED).order_by("adoption_id", "id"), "id",
          foreign_keys=[{"fields": "adoption_id", "reference": {"resource": "adoptions", "fields": "id"}}]),
    Table("organizations", "Published organizations (merged duplicates aside)", s.OrganizationSerializer,
          lambda: Organization.objects.published().order_by("slug"), "slug"),
    Table("families", "Model families", s.FamilySerializer, lambda: ModelFamily.objects.order_by("slug"), "slug",
          family_plan),
)


def _label(field: serializers.Field) -> str:
    return str(field.label or field.field_name.replace("_", " ").capitalize())


def field_schema(name: str, field: serializers.Field) -> dict:
    """A column's Table Schema field: `name`, `type` (from the serializer field; lists joined are strings)
    and `description` (the field's label, its parents' first, and help text)."""
    labels, parent = [_label(field)], field.parent
    while parent is not None and parent.parent is not None:  # nested objects: "Adopter: Country: ISO2"
        labels.insert(0, _label(parent))
        parent = parent.parent
    description = ": ".join(labels)
    if isinstance(field, serializers.ListSerializer):
        key, separator = next((key, sep) for column, key, sep in LISTS_OF_OBJECTS[field.field_name] if column == name)
        description += f": each one's {key}, joined with {separator!r}"
    elif isinstance(field, serializers.ListField | serializers.JSONField):
        description += f" (joined with {TEXT_LIST_SEPARATOR!r})"
    if field.help_text:
        description += f". {field.help_text}"
    return {"name": name, "type": field_type(field), "description": description}


def field_type(field: serializers.Field) -> str:
    """The Table Schema type of a column (the CSV cell as the export writes it)."""
    for kind, name in ((serializers.BooleanField, "boolean"), (serializers.IntegerField, "integer"),
                       (serializers.FloatField, "number"), (serializers.DecimalField, "number"),
                       (serializers.DateTimeField, "datetime"), (serializers.DateField, "date")):
        if isinstance(field, kind):
            return name
    return "string"
