"""Adoption records: the public record, the submission as its contributor and curators see it, and
the input of a new or edited submission."""

from types import SimpleNamespace

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from adoption.choices import EvidenceKind, OrganizationKind, Relation, Stage
from adoption.models import Adoption, Evidence
from adoption.models.records import validate_checkpoint_family

from .catalogue import CheckpointBriefSerializer, FamilyBriefSerializer, OrganizationBriefSerializer
from .fields import (
    CheckpointRefField,
    ChoiceField,
    CountryRefField,
    EvidenceURLField,
    FamilyRefField,
    OrganizationRefField,
    PartialDateField,
    StrictInputMixin,
    VersionInputMixin,
    not_future,
    text_list_field,
)


class EvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Evidence
        fields = ["id", "url", "kind", "title", "publisher", "published_on", "quote", "link_status",
                  "link_checked_at"]


class EvidenceRowSerializer(EvidenceSerializer):
    """A source in the evidence list and its exports: one row each, naming its record."""

    adoption_id = serializers.IntegerField(read_only=True)

    class Meta(EvidenceSerializer.Meta):
        fields = ["adoption_id", *EvidenceSerializer.Meta.fields]


class AdoptionSerializer(serializers.ModelSerializer):
    """A published record with everything a client needs to show it (no second request)."""

    adopter = OrganizationBriefSerializer()
    partners = OrganizationBriefSerializer(many=True)
    family = FamilyBriefSerializer()
    checkpoint = CheckpointBriefSerializer(allow_null=True)
    started_on = serializers.SerializerMethodField()
    evidence = EvidenceSerializer(many=True)

    class Meta:
        model = Adoption
        fields = ["id", "adopter", "partners", "family", "checkpoint", "checkpoint_note", "relation", "stage",
                  "product_name", "product_url", "started_on", "started_precision", "ended_on", "sectors",
                  "languages", "summary", "confidence", "status", "published_at", "version", "created_at",
                  "updated_at", "evidence"]

    @extend_schema_field({"type": "string", "nullable": True, "description": "YYYY, YYYY-MM or YYYY-MM-DD"})
    def get_started_on(self, adoption) -> str | None:
        return adoption.started_display or None


class SubmissionSerializer(AdoptionSerializer):
    """A record as its contributor and the curators see it, with the actions the caller may take now."""

    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    reviewer = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta(AdoptionSerializer.Meta):
        fields = [*AdoptionSerializer.Meta.fields, "created_by", "reviewer", "submitted_at", "allowed_actions"]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(
        choices=["submit", "withdraw", "claim", "take-over", "release", "approve", "reject", "request-changes",
                 "retract"])))
    def get_allowed_actions(self, adoption) -> list[str]:
        from adoption.services.workflow import allowed_actions

        request = self.context.get("request")
        return [action.replace("_", "-") for action in allowed_actions(adoption, getattr(request, "user", None))]


class HubBaseSerializer(serializers.Serializer):
    repo_id = serializers.CharField()
    family = serializers.CharField(allow_null=True, help_text="The registry family it is a checkpoint of, if any.")


class HubCheckSerializer(serializers.Serializer):
    """The record against the latest Hugging Face Hub snapshot (adoption.selectors.corroboration)."""

    status = serializers.ChoiceField(choices=["corroborated", "contradicted", "unverifiable"])
    snapshot = serializers.DateField(allow_null=True, help_text="The snapshot checked against.")
    repo_id = serializers.CharField(allow_null=True, help_text="The product's Hugging Face repo id, if it has one.")
    bases = HubBaseSerializer(many=True, help_text="The bases the Hub declares for it.")
    reason = serializers.CharField(allow_blank=True)


class AdoptionDetailSerializer(AdoptionSerializer):
    """One published record, with what the Hub says of its product (`hub_check`)."""

    hub_check = serializers.SerializerMethodField()

    class Meta(AdoptionSerializer.Meta):
        fields = [*AdoptionSerializer.Meta.fields, "hub_check"]

    @extend_schema_field(HubCheckSerializer)
    def get_hub_check(self, adoption) -> dict:
        from adoption.selectors.corroboration import hub_check

        return hub_check(adoption)


class DuplicateSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="adoption.id")
    adopter = OrganizationBriefSerializer(source="adoption.adopter")
    family = FamilyBriefSerializer(source="adoption.family")
    product_name = serializers.CharField(source="adoption.product_name")
    status = serializers.CharField(source="adoption.status")
    reasons = serializers.ListField(child=serializers.CharField())


class SubmissionDetailSerializer(SubmissionSerializer):
    """One submission with its likely duplicates (a warning that never blocks) and what the Hub says of it."""

    duplicates = serializers.SerializerMethodField()
    hub_check = serializers.SerializerMethodField()

    class Meta(SubmissionSerializer.Meta):
        fields = [*SubmissionSerializer.Meta.fields, "duplicates", "hub_check"]

    @extend_schema_field(HubCheckSerializer)
    def get_hub_check(self, adoption) -> dict:
        from adoption.selectors.corroboration import hub_check

        return hub_check(adoption)

    @extend_schema_field(DuplicateSerializer(many=True))
    def get_duplicates(self, adoption):
        from adoption.selectors import adoption_duplicates

        request = self.context.get("request")
        found = adoption_duplicates(adoption, viewer=getattr(request, "user", None))
        return DuplicateSerializer(found, many=True).data


class EvidenceInputSerializer(StrictInputMixin, serializers.Serializer):
    echoed_fields = frozenset({"id", "link_status", "link_checked_at", "created_at"})

    url = EvidenceURLField()
    kind = ChoiceField(choices=EvidenceKind.choices, default=EvidenceKind.OTHER)
    title = serializers.CharField(max_length=500, allow_blank=True, default="")
    publisher = serializers.CharField(max_length=200, allow_blank=True, default="")
    published_on = serializers.DateField(allow_null=True, default=None, validators=[not_future])
    quote = serializers.CharField(max_length=4000, allow_blank=True, default="")


class NewAdopterSerializer(StrictInputMixin, serializers.Serializer):
    name = serializers.CharField(max_length=200)
    kind = ChoiceField(choices=OrganizationKind.choices, allow_blank=True, default="")
    country = CountryRefField(allow_null=True, default=None)
    city = serializers.CharField(max_length=120, allow_blank=True, default="")


_SUBMISSION_ECHOED = frozenset({
    "id", "status", "created_by", "reviewer", "confidence", "created_at", "updated_at", "submitted_at",
    "published_at", "started_precision", "partners", "checkpoint_note", "allowed_actions", "duplicates",
})


class SubmissionUpdateSerializer(StrictInputMixin, VersionInputMixin, serializers.Serializer):
    """The content of a record (PATCH: any subset). `evidence`, when given, replaces the list."""

    echoed_fields = _SUBMISSION_ECHOED

    adopter = OrganizationRefField(required=False)
    family = FamilyRefField(required=False)
    checkpoint = CheckpointRefField(allow_null=True, required=False)
    relation = ChoiceField(choices=Relation.choices, required=False)
    stage = ChoiceField(choices=Stage.choices, required=False)
    product_name = serializers.CharField(max_length=300, allow_blank=True, required=False)
    product_url = serializers.CharField(max_length=500, allow_blank=True, required=False)
    started_on = PartialDateField(allow_null=True, allow_blank=True, required=False)
    ended_on = serializers.DateField(allow_null=True, required=False, validators=[not_future])
    sectors = text_list_field(80, 20, required=False)
    languages = text_list_field(20, 50, required=False, help_text="ISO 639 codes, e.g. en, ms, fil")
    summary = serializers.CharField(max_length=4000, allow_blank=True, required=False)
    evidence = EvidenceInputSerializer(many=True, max_length=20, required=False)

    def validate(self, attrs):
        family = attrs.get("family") or getattr(self.instance, "family", None)
        try:
            validate_checkpoint_family(attrs.get("checkpoint"), family,
                                       _("%(repo_id)s belongs to another family than %(family_slug)s."))
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs

    def service_arguments(self) -> dict:
        """The validated input as the records services take it: data, evidence (and new_adopter, submit)."""
        attrs = dict(self.validated_data)
        attrs.pop("version", None)
        evidence = attrs.pop("evidence", None)
        new_adopter = attrs.pop("new_adopter", None)
        submit = attrs.pop("submit", None)
        if "started_on" in attrs:
            started = attrs.pop("started_on")
            attrs["started_on"], attrs["started_precision"] = started if started else (None, "")
        arguments = {"data": attrs, "evidence": [dict(item) for item in evidence] if evidence is not None else None}
        if submit is not None:
            arguments.update(new_adopter=dict(new_adopter) if new_adopter else None, submit=submit)
        return arguments


class SubmissionCreateSerializer(SubmissionUpdateSerializer):
    """A new record: `adopter` (slug) or `new_adopter`, `family`, `relation` and, to submit, evidence."""

    echoed_fields = _SUBMISSION_ECHOED | {"version"}
    version = None

    new_adopter = NewAdopterSerializer(required=False, allow_null=True)
    family = FamilyRefField()
    relation = ChoiceField(choices=Relation.choices)
    evidence = EvidenceInputSerializer(many=True, max_length=20, required=False)
    submit = serializers.BooleanField(
        default=False, help_text="Submit at once (needs at least one source) instead of keeping a draft."
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if bool(attrs.get("adopter")) == bool(attrs.get("new_adopter")):
            raise serializers.ValidationError(
                {"adopter": [_("Give either adopter (the slug of an organization) or new_adopter, not both.")]}
            )
        if attrs.get("submit") and not attrs.get("evidence"):
            raise serializers.ValidationError({"evidence": [_("Cite at least one source to submit.")]})
        return attrs


def submission_arguments(body: dict, user) -> tuple[dict | None, dict | None]:
    """A new submission's body checked as POST /submissions/ checks it, for `user`: (the records service's
    keyword arguments, None) or (None, the errors by field). Bulk proposals validate each row with it."""
    serializer = SubmissionCreateSerializer(data=body, context={"request": SimpleNamespace(user=user)})
    if not serializer.is_valid():
        return None, serializer.errors
    return serializer.service_arguments(), None


class ActionInputSerializer(StrictInputMixin, VersionInputMixin, serializers.Serializer):
    comment = serializers.CharField(
        max_length=4000, allow_blank=True, default="",
        help_text="Required to reject, request changes and retract; optional otherwise.",
    )
