"""Catalogue endpoints: anyone reads; curators create and edit through the catalogue services."""

from django.http import HttpResponsePermanentRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from adoption import filtersets
from adoption.models import Checkpoint, Country, ModelFamily, Organization, Region
from adoption.services import catalogue, merges

from .. import serializers as s
from ..permissions import IsCuratorOrReadOnly
from .base import IF_MATCH, ApiViewMixin, _with_etag, errors, expected_version


@extend_schema_view(list=extend_schema(summary="List UN M49 regions", responses={
    200: s.RegionSerializer(many=True), **errors(400, 404)}))
class RegionViewSet(ApiViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """UN M49 regions at every level (world, region, sub-region, intermediate region)."""

    queryset = Region.objects.all()
    serializer_class = s.RegionSerializer
    filterset_class = filtersets.RegionFilterSet


@extend_schema_view(
    list=extend_schema(summary="List countries", responses={200: s.CountrySerializer(many=True), **errors(400, 404)}),
    retrieve=extend_schema(summary="One country and its M49 regions",
                           responses={200: s.CountrySerializer, **errors(404)}),
)
class CountryViewSet(ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """ISO 3166-1 countries with their M49 regions and UN group flags."""

    queryset = Country.objects.all()
    serializer_class = s.CountrySerializer
    filterset_class = filtersets.CountryFilterSet
    lookup_field = "iso2"
    lookup_value_regex = "[A-Za-z]{2}"

    def get_object(self):
        self.kwargs["iso2"] = self.kwargs["iso2"].upper()
        return super().get_object()


class CatalogueViewSet(ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Anyone reads; curators create (POST) and edit (PATCH) through the catalogue services."""

    # IsAuthenticatedOrReadOnly is implied by IsCuratorOrReadOnly; listing it tells the schema that reads are open.
    permission_classes = [IsAuthenticatedOrReadOnly, IsCuratorOrReadOnly]
    input_serializer_class = None

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        return _with_etag(Response(self.get_serializer(instance).data), instance)

    def create(self, request, *args, **kwargs):
        serializer = self.input_serializer_class(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("version", None)
        instance = self.perform_create(data)
        return _with_etag(Response(self.get_serializer(instance).data, status=status.HTTP_201_CREATED), instance)

    def partial_update(self, request, *args, **kwargs):
        instance = self.get_object()
        serializer = self.input_serializer_class(
            instance, data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("version", None)
        key = self.lookup_field if self.lookup_field != "pk" else None
        if key and key in data and data.pop(key) != getattr(instance, key):
            raise ValidationError({key: [_("The slug cannot be changed.")]})
        instance = self.perform_update(instance, data, expected_version(request, serializer))
        return _with_etag(Response(self.get_serializer(instance).data), instance)


def _catalogue_schema(read, write, name):
    plural = name.split(" ", 1)[1] + "s"
    return extend_schema_view(
        list=extend_schema(summary=f"List {plural}", responses={200: read(many=True), **errors(400, 404)}),
        retrieve=extend_schema(summary=f"One {name.split(' ', 1)[1]}", responses={200: read, **errors(404)}),
        create=extend_schema(
            summary=f"Create {name}", request=write, responses={201: read, **errors(400, 403, 409, 413)},
            description=f"Create {name} (curators).",
        ),
        partial_update=extend_schema(
            summary=f"Edit {name}", request=write, parameters=[IF_MATCH],
            responses={200: read, **errors(400, 403, 404, 409, 412, 413)},
            description=f"Edit {name} (curators); send the version you read as If-Match or `version`.",
        ),
    )


@_catalogue_schema(s.OrganizationSerializer, s.OrganizationInputSerializer, "an organization")
class OrganizationViewSet(CatalogueViewSet):
    """Organizations that adopt or develop models. Merged duplicates show `merged_into`."""

    serializer_class = s.OrganizationSerializer
    input_serializer_class = s.OrganizationInputSerializer
    filterset_class = filtersets.OrganizationFilterSet
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"

    def get_queryset(self):
        queryset = Organization.objects.visible_to(self.request.user).select_related(
            "country", "parent", "merged_into"
        )
        return queryset.filter(merged_into__isnull=True) if self.action == "list" else queryset

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        if instance.merged_into_id:  # a merged duplicate's URL leads to the organization that survives
            url = reverse("api:organization-detail", kwargs={"slug": instance.survivor.slug})
            return HttpResponsePermanentRedirect(request.build_absolute_uri(url))
        return _with_etag(Response(self.get_serializer(instance).data), instance)

    @extend_schema(
        summary="Merge a duplicate organization into another",
        request=s.OrganizationMergeSerializer, responses={200: s.OrganizationSerializer, **errors(400, 403, 404)},
        description="Curators. Records, partners, child organizations, developed families, names (kept as "
                    "aliases) and the Hugging Face handle move to `into`; this organization's page and API URL "
                    "then answer 301 to it. One merge is recorded with the comment.",
    )
    @action(detail=True, methods=["post"], filterset_class=None, pagination_class=None)
    def merge(self, request, slug=None):
        source = self.get_object()
        serializer = s.OrganizationMergeSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        try:
            merge = merges.organization_merge(source=source, target=serializer.validated_data["into"],
                                              user=request.user, comment=serializer.validated_data["comment"])
        except merges.MergeRefused as refused:
            raise ValidationError({"into": [str(refused)]}) from refused
        target = self.get_queryset().get(pk=merge.target_id)
        return _with_etag(Response(self.get_serializer(target).data), target)

    def perform_create(self, data):
        name = data.pop("name")
        return catalogue.organization_create(user=self.request.user, name=name, **data)

    def perform_update(self, instance, data, version):
        return catalogue.organization_update(
            organization=instance, user=self.request.user, data=data, expected_version=version
        )


@_catalogue_schema(s.FamilySerializer, s.FamilyInputSerializer, "a model family")
class FamilyViewSet(CatalogueViewSet):
    """Model families (Qwen, Llama, ...), with their developer and origin country."""

    queryset = ModelFamily.objects.select_related("developer__country", "origin_country")
    serializer_class = s.FamilySerializer
    input_serializer_class = s.FamilyInputSerializer
    filterset_class = filtersets.ModelFamilyFilterSet
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"

    @staticmethod
    def _dates(data):
        if "first_release" in data:
            release = data.pop("first_release")
            data["first_release"], data["first_release_precision"] = release if release else (None, "")
        return data

    def perform_create(self, data):
        data = self._dates(data)
        return catalogue.family_create(user=self.request.user, slug=data.pop("slug"), name=data.pop("name"), **data)

    def perform_update(self, instance, data, version):
        return catalogue.family_update(
            family=instance, user=self.request.user, data=self._dates(data), expected_version=version
        )


@_catalogue_schema(s.CheckpointSerializer, s.CheckpointInputSerializer, "a checkpoint")
class CheckpointViewSet(CatalogueViewSet):
    """Released sets of weights in a family (Hugging Face repos)."""

    queryset = Checkpoint.objects.select_related("family__origin_country", "derived_from")
    serializer_class = s.CheckpointSerializer
    input_serializer_class = s.CheckpointInputSerializer
    filterset_class = filtersets.CheckpointFilterSet
    lookup_value_regex = "[0-9]+"

    def perform_create(self, data):
        return catalogue.checkpoint_create(
            user=self.request.user, family=data.pop("family"), repo_id=data.pop("repo_id"), **data
        )

    def perform_update(self, instance, data, version):
        return catalogue.checkpoint_update(
            checkpoint=instance, user=self.request.user, data=data, expected_version=version
        )
