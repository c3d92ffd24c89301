"""History, change requests, tokens and the documented error bodies."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from adoption.choices import Relation, Stage
from adoption.dates import format_partial_date
from adoption.models import ChangeRequest, ModerationEvent

from .fields import CheckpointRefField, ChoiceField, PartialDateField, StrictInputMixin, not_future, text_list_field


class ModerationEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_username")

    class Meta:
        model = ModerationEvent
        fields = ["action", "from_status", "to_status", "actor", "comment", "change_request", "created_at"]


class AdoptionVersionSerializer(serializers.Serializer):
    """One row of the record's history (django-simple-history): the record as it stood after a write."""

    history_id = serializers.IntegerField()
    history_date = serializers.DateTimeField()
    history_type = ChoiceField(choices=[("+", "created"), ("~", "changed"), ("-", "deleted")])
    changed_by = serializers.CharField(source="history_user.username", allow_null=True, default=None)
    version = serializers.IntegerField()
    status = serializers.CharField()
    adopter = serializers.CharField(source="adopter.slug")
    family = serializers.CharField(source="family.slug")
    checkpoint = serializers.IntegerField(source="checkpoint_id", allow_null=True)
    relation = serializers.CharField()
    stage = serializers.CharField()
    product_name = serializers.CharField()
    product_url = serializers.CharField()
    started_on = serializers.SerializerMethodField()
    ended_on = serializers.DateField(allow_null=True)
    sectors = serializers.ListField(child=serializers.CharField())
    languages = serializers.ListField(child=serializers.CharField())
    summary = serializers.CharField()

    @extend_schema_field({"type": "string", "nullable": True})
    def get_started_on(self, row) -> str | None:
        return format_partial_date(row.started_on, row.started_precision) or None


class AdoptionHistorySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    events = ModerationEventSerializer(many=True)
    versions = AdoptionVersionSerializer(many=True)


class ChangeRequestSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    proposed = serializers.DictField(help_text="Field -> proposed value (dates as text, checkpoint as id).")

    class Meta:
        model = ChangeRequest
        fields = ["id", "adoption", "proposed", "base_version", "comment", "status", "created_by", "decided_by",
                  "decided_at", "decision_comment", "created_at"]


class ChangeRequestInputSerializer(StrictInputMixin, serializers.Serializer):
    """The fields to change on a published record (at least one) and why."""

    relation = ChoiceField(choices=Relation.choices, required=False)
    stage = ChoiceField(choices=Stage.choices, required=False)
    product_name = serializers.CharField(max_length=300, allow_blank=True, required=False)
    product_url = serializers.CharField(max_length=500, allow_blank=True, required=False)
    started_on = PartialDateField(allow_null=True, allow_blank=True, required=False)
    ended_on = serializers.DateField(allow_null=True, required=False, validators=[not_future])
    sectors = text_list_field(80, 20, required=False)
    languages = text_list_field(20, 50, required=False)
    summary = serializers.CharField(max_length=4000, allow_blank=True, required=False)
    checkpoint = CheckpointRefField(allow_null=True, required=False)
    comment = serializers.CharField(max_length=4000, allow_blank=True, default="")

    def proposed(self) -> dict:
        """The proposed values as JSON, the form change requests store them in."""
        proposed = {}
        for name, value in self.validated_data.items():
            if name == "comment":
                continue
            if name == "started_on":
                value = format_partial_date(*value) if value else None
            elif name == "ended_on":
                value = value.isoformat() if value else None
            elif name == "checkpoint":
                value = value.pk if value else None
            proposed[name] = value
        return proposed


class TokenInputSerializer(StrictInputMixin, serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ValidationErrorSerializer(serializers.Serializer):
    """400: messages keyed by the field (or parameter) at fault; `non_field_errors` for the whole input."""

    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)


class TransitionErrorSerializer(ErrorSerializer):
    code = serializers.CharField()
    action = serializers.CharField()
    status = serializers.CharField(help_text="The record's current status.")
    claimed_by = serializers.CharField(
        required=False, help_text="When another curator holds the record in review: who (take it over first)."
    )


class StaleVersionErrorSerializer(ErrorSerializer):
    code = serializers.CharField()
    expected_version = serializers.IntegerField()
    current_version = serializers.IntegerField()
    changed_by = serializers.CharField(allow_null=True)
