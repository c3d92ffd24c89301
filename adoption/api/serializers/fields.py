"""Input fields and the strict input mixin: references by slug or id, partial dates, JSON types checked."""

import datetime
from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from adoption.dates import parse_partial_date
from adoption.models import Checkpoint, Country, ModelFamily
from adoption.selectors.organizations import organization_by_slug


def _wrong_type(field, value) -> str | None:
    """JSON types are checked, not coerced: 42 is not a name, "true" is not a boolean (DRF would coerce both)."""
    if value is None:
        return None  # null is the field's own decision (allow_null)
    checks = [
        (serializers.BooleanField, lambda v: isinstance(v, bool), gettext_lazy("Expected a boolean.")),
        (serializers.IntegerField, lambda v: isinstance(v, int) and not isinstance(v, bool),
         gettext_lazy("Expected an integer.")),
        (serializers.FloatField, lambda v: isinstance(v, int | float) and not isinstance(v, bool),
         gettext_lazy("Expected a number.")),
        ((serializers.ListField, serializers.ListSerializer), lambda v: isinstance(v, list),
         gettext_lazy("Expected a list.")),
        (serializers.Serializer, lambda v: isinstance(v, Mapping), gettext_lazy("Expected an object.")),
        ((serializers.CharField, serializers.ChoiceField, serializers.DateField), lambda v: isinstance(v, str),
         gettext_lazy("Expected a string.")),
    ]
    for kind, accepts, message in checks:
        if isinstance(field, kind):
            if not accepts(value):
                return str(message)
            break
    if isinstance(field, serializers.ListField) and isinstance(value, list):
        problems = [_wrong_type(field.child, item) for item in value]
        return next((_("Item %(number)s: %(problem)s") % {"number": n, "problem": p}
                     for n, p in enumerate(problems, start=1) if p), None)
    return None


class StrictInputMixin:
    """Unknown fields are refused, so a typo never silently drops a value; values of the wrong JSON type
    are refused rather than coerced. Fields a client echoes back from a response (status, version,
    timestamps, ...) are ignored: sent, never obeyed."""

    echoed_fields: frozenset = frozenset()

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            known = set(self.fields) | self.echoed_fields
            errors = {key: [_("Unknown field.")] for key in data if key not in known}
            for key, value in data.items():
                field = self.fields.get(key)
                if field is not None and not field.read_only and (problem := _wrong_type(field, value)):
                    errors[key] = [problem]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class ChoiceField(serializers.ChoiceField):
    """A choice whose error lists the valid values, so a client can correct it without the schema."""

    def fail(self, key, **kwargs):
        if key == "invalid_choice":
            valid = ", ".join(str(value) for value in self.choice_strings_to_values if value != "")
            raise serializers.ValidationError(
                _('"%(input)s" is not a valid choice; choose one of: %(choices)s.')
                % {"input": kwargs.get("input"), "choices": valid}, code=key
            )
        super().fail(key, **kwargs)


class _RefField(serializers.Field):
    """A reference to a row by a key (or by an object echoed from a response that carries the key)."""

    key = "slug"
    default_error_messages = {
        "does_not_exist": gettext_lazy("No such {what}: {value}."),
        "does_not_exist_hint": gettext_lazy("No such {what}: {value}. {hint}"),
        # Translators: e.g. "Give the country by its iso2." (the last word is a JSON key, kept as is).
        "invalid": gettext_lazy("Give the {what} by its {lookup}."),
    }
    what = pgettext_lazy("API reference", "object")
    hint = ""  # where the valid values are listed
    types: tuple = (str,)  # JSON types are checked, not coerced: 0 is not a slug

    def queryset(self):
        raise NotImplementedError

    def lookup(self, value):
        return {self.key: value}

    def find(self, value: str):
        """The row `value` names, or None."""
        try:
            return self.queryset().get(**self.lookup(value))
        except (self.queryset().model.DoesNotExist, ValueError, TypeError):
            return None

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            data = data.get(self.key)
        if isinstance(data, bool) or not isinstance(data, self.types) or len(str(data)) > 200:
            self.fail("invalid", what=self.what_text(), lookup=self.key)
        value = str(data).strip()
        found = self.find(value)
        if found is None:
            if self.hint:
                self.fail("does_not_exist_hint", what=self.what_text(), value=value, hint=self.hint)
            self.fail("does_not_exist", what=self.what_text(), value=value)
        return found

    def what_text(self) -> str:
        return str(self.what)

    def to_representation(self, value):
        return getattr(value, self.key)


@extend_schema_field({"type": "string", "description": "ISO 3166-1 alpha-2 code, e.g. SG"})
class CountryRefField(_RefField):
    key, what = "iso2", pgettext_lazy("API reference", "country")
    hint = gettext_lazy("Give an ISO 3166-1 alpha-2 code such as SG; the countries are listed at /api/v1/countries/.")

    def queryset(self):
        return Country.objects.all()

    def lookup(self, value):
        return {"iso2": value.upper()}


@extend_schema_field({"type": "string", "description": "Slug of an organization"})
class OrganizationRefField(_RefField):
    what = pgettext_lazy("API reference", "organization")
    hint = gettext_lazy("The organizations are listed at /api/v1/organizations/; to propose a new one, "
                        "give new_adopter instead of adopter.")

    def find(self, value: str):
        # Only organizations the caller may name: another contributor's proposal answers as an unknown slug.
        request = self.context.get("request")
        return organization_by_slug(value, user=getattr(request, "user", None))


@extend_schema_field({"type": "string", "description": "Slug of a model family"})
class FamilyRefField(_RefField):
    what = pgettext_lazy("API reference", "model family")
    hint = gettext_lazy("The families are listed at /api/v1/families/.")

    def queryset(self):
        return ModelFamily.objects.all()


@extend_schema_field({
    "oneOf": [{"type": "integer"}, {"type": "string"}],
    "description": "Checkpoint id or Hugging Face repo id, e.g. Qwen/Qwen3-32B",
})
class CheckpointRefField(_RefField):
    key, what = "id", pgettext_lazy("API reference", "checkpoint")
    hint = gettext_lazy("The checkpoints are listed at /api/v1/checkpoints/.")
    types = (str, int)

    def queryset(self):
        return Checkpoint.objects.all()

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            data = data.get("id") or data.get("repo_id")
        return super().to_internal_value(data)

    def lookup(self, value):
        # isdigit() alone accepts '³', which int() refuses: ids are ASCII decimal digits only.
        is_id = value.isascii() and value.isdecimal() and len(value) < 19
        return {"pk": int(value)} if is_id else {"repo_id": value}


def not_future(value):
    """Dates of things that happened: the database refuses future ones; say so next to the field."""
    day = value[0] if isinstance(value, tuple) else value
    if day is not None and day > datetime.date.today():
        raise serializers.ValidationError(_("This date cannot be in the future."))


class PartialDateField(serializers.CharField):
    """YYYY, YYYY-MM or YYYY-MM-DD in and out; validated to (date, precision), never in the future."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 10)
        kwargs.setdefault("help_text", "YYYY, YYYY-MM or YYYY-MM-DD")
        super().__init__(**kwargs)
        self.validators.append(not_future)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not value:
            return None
        try:
            return parse_partial_date(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc

    def run_validators(self, value):
        # CharField's validators expect text; only the date check applies to the parsed value.
        if value is not None:
            not_future(value)


@extend_schema_field({"type": "string", "format": "uri", "description": "An http:// or https:// address"})
class HttpURLField(serializers.CharField):
    """A web address with one message when it is not one (URLField would add a second, generic one)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(URLValidator(
            schemes=["http", "https"], message=gettext_lazy("Give an http:// or https:// address, e.g. https://example.org."),
        ))


@extend_schema_field({"type": "string", "format": "uri", "maxLength": 2000,
                      "description": "A public http:// or https:// address"})
class EvidenceURLField(serializers.CharField):
    """A source's address, judged by the records service's rule (one rule for the pages and the API):
    an address that can never be public evidence is refused with a message naming it."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 2000)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        from adoption.services.records import evidence_url_problem

        value = super().to_internal_value(data)
        if problem := evidence_url_problem(value):
            raise serializers.ValidationError(problem)
        return value


def text_list_field(max_item: int, max_items: int, **kwargs):
    return serializers.ListField(
        child=serializers.CharField(max_length=max_item), max_length=max_items, **kwargs
    )


class VersionInputMixin(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, required=False, write_only=True,
        help_text="The version you read; the write is refused with 412 if the record changed since. "
                  "Alternatively send it as an If-Match header.",
    )
