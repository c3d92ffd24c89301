"""Catalogue serializers: brief objects for embedding, and the regions, countries, organizations,
families and checkpoints with their curator input."""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from adoption.choices import OrganizationKind
from adoption.dates import format_partial_date
from adoption.models import Checkpoint, Country, ModelFamily, Organization, Region

from .fields import (
    CheckpointRefField,
    ChoiceField,
    CountryRefField,
    FamilyRefField,
    HttpURLField,
    OrganizationRefField,
    PartialDateField,
    StrictInputMixin,
    VersionInputMixin,
    not_future,
    text_list_field,
)


class CountryBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Country
        fields = ["iso2", "name"]


class OrganizationBriefSerializer(serializers.ModelSerializer):
    country = CountryBriefSerializer(allow_null=True)

    class Meta:
        model = Organization
        fields = ["slug", "name", "kind", "country", "city"]


class FamilyBriefSerializer(serializers.ModelSerializer):
    origin_country = CountryBriefSerializer(allow_null=True)

    class Meta:
        model = ModelFamily
        fields = ["slug", "name", "origin_country"]


class CheckpointBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Checkpoint
        fields = ["id", "repo_id", "name"]


class RegionSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent_id", allow_null=True, read_only=True)

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent"]


class CountrySerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region_id", allow_null=True, read_only=True)
    subregion = serializers.CharField(source="subregion_id", allow_null=True, read_only=True)
    intermediate_region = serializers.CharField(source="intermediate_region_id", allow_null=True, read_only=True)
    region_codes = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Country
        fields = ["iso2", "iso3", "numeric", "name", "region", "subregion", "intermediate_region", "region_codes",
                  "ldc", "lldc", "sids"]


class OrganizationSerializer(serializers.ModelSerializer):
    country = CountryBriefSerializer(allow_null=True)
    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    merged_into = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = Organization
        fields = ["slug", "name", "aliases", "kind", "country", "city", "latitude", "longitude", "website",
                  "hf_handle", "parent", "merged_into", "is_published", "version", "created_at", "updated_at"]


class OrganizationInputSerializer(StrictInputMixin, VersionInputMixin, serializers.Serializer):
    echoed_fields = frozenset({"id", "merged_into", "is_published", "created_at", "updated_at"})

    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=200, required=False, help_text="Only when creating; made from the name "
                                                                           "when left out.")
    kind = ChoiceField(choices=OrganizationKind.choices, allow_blank=True, required=False)
    country = CountryRefField(allow_null=True, required=False)
    city = serializers.CharField(max_length=120, allow_blank=True, required=False)
    latitude = serializers.FloatField(min_value=-90, max_value=90, allow_null=True, required=False)
    longitude = serializers.FloatField(min_value=-180, max_value=180, allow_null=True, required=False)
    aliases = text_list_field(200, 50, required=False)
    website = HttpURLField(max_length=500, allow_blank=True, required=False)
    hf_handle = serializers.CharField(max_length=100, allow_blank=True, required=False)
    parent = OrganizationRefField(allow_null=True, required=False)


class OrganizationMergeSerializer(StrictInputMixin, serializers.Serializer):
    into = OrganizationRefField(help_text="Slug of the organization that survives (a merged one is followed to "
                                          "the organization it was merged into).")
    comment = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="",
                                    help_text="Why they are one organization (kept with the merge).")


class FamilySerializer(serializers.ModelSerializer):
    developer = OrganizationBriefSerializer(allow_null=True)
    origin_country = CountryBriefSerializer(allow_null=True)
    first_release = serializers.SerializerMethodField()

    class Meta:
        model = ModelFamily
        fields = ["slug", "name", "developer", "origin_country", "default_license", "first_release",
                  "first_release_precision", "hub_prefixes", "version", "created_at", "updated_at"]

    @extend_schema_field({"type": "string", "nullable": True, "description": "YYYY, YYYY-MM or YYYY-MM-DD"})
    def get_first_release(self, family) -> str | None:
        return format_partial_date(family.first_release, family.first_release_precision) or None


class FamilyInputSerializer(StrictInputMixin, VersionInputMixin, serializers.Serializer):
    echoed_fields = frozenset({"first_release_precision", "created_at", "updated_at"})

    slug = serializers.SlugField(max_length=80, help_text="Only when creating.")
    name = serializers.CharField(max_length=200)
    developer = OrganizationRefField(allow_null=True, required=False)
    origin_country = CountryRefField(allow_null=True, required=False)
    default_license = serializers.CharField(max_length=300, allow_blank=True, required=False)
    first_release = PartialDateField(allow_null=True, allow_blank=True, required=False)
    hub_prefixes = text_list_field(100, 20, required=False)


class CheckpointSerializer(serializers.ModelSerializer):
    family = FamilyBriefSerializer()
    derived_from = CheckpointBriefSerializer(allow_null=True)

    class Meta:
        model = Checkpoint
        fields = ["id", "family", "repo_id", "name", "parameters", "release_date", "license", "open_weights",
                  "derived_from", "version", "created_at", "updated_at"]


class CheckpointInputSerializer(StrictInputMixin, VersionInputMixin, serializers.Serializer):
    echoed_fields = frozenset({"id", "created_at", "updated_at"})

    family = FamilyRefField()
    repo_id = serializers.RegexField(
        r"^[A-Za-z0-9][\w.-]*/[\w.-]+$", max_length=200, help_text="Hugging Face repo id: owner/name",
        error_messages={"invalid": gettext_lazy("Give a Hugging Face repo id such as Qwen/Qwen3-32B.")},
    )
    name = serializers.CharField(max_length=200, allow_blank=True, required=False)
    parameters = serializers.IntegerField(min_value=1, max_value=2**63 - 1, allow_null=True, required=False)
    release_date = serializers.DateField(allow_null=True, required=False, validators=[not_future])
    license = serializers.CharField(max_length=200, allow_blank=True, required=False)
    open_weights = serializers.BooleanField(required=False)
    derived_from = CheckpointRefField(allow_null=True, required=False)
