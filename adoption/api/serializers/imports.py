"""Bulk proposals: the upload (a file and whether it is a dry run) and the report read back."""

from django.utils.translation import gettext as _
from rest_framework import serializers

from adoption.models import ImportBatch


class ImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=False,
        help_text="CSV (UTF-8, a header row naming the submission fields, new_adopter_* and evidence_* flattened; "
                  "the template is at /contribute/import/template.csv) or JSON Lines (one submission body per "
                  "line, as POST /api/v1/submissions/ takes it).",
    )
    dry_run = serializers.BooleanField(
        default=True, help_text="Check only (the default). false creates the records, only if every row is valid.",
    )

    def validate(self, attrs):
        # A form field's values are strings, so the JSON bodies' strict typing does not apply; a misspelt
        # field is still refused rather than ignored.
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({key: [_("Unknown field.")] for key in unknown})
        return attrs


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Line of the file (a CSV's header is line 1).")
    field = serializers.CharField(help_text="The field (CSV column), empty for the row as a whole.")
    message = serializers.CharField()


class RowDuplicateSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    ids = serializers.ListField(child=serializers.IntegerField(), help_text="Records in the registry it may repeat.")
    rows = serializers.ListField(child=serializers.IntegerField(), help_text="Other rows of the file it may repeat.")


class ImportBatchSerializer(serializers.ModelSerializer):
    format = serializers.CharField(source="file_format")
    errors = RowErrorSerializer(many=True)
    duplicates = RowDuplicateSerializer(many=True)
    created = serializers.ListField(child=serializers.IntegerField(),
                                    help_text="Ids of the submitted records (empty for a dry run or a refused import).")

    class Meta:
        model = ImportBatch
        fields = ["id", "dry_run", "rows", "valid", "errors", "duplicates", "created", "file_name", "format",
                  "created_at"]
        read_only_fields = fields
