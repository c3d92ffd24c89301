"""Data releases: the dated, immutable snapshots `manage.py make_release` writes (adoption.releases)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from adoption.models import Release

from .. import serializers as s
from .base import ApiViewMixin, errors


@extend_schema_view(list=extend_schema(
    summary="List the data releases",
    responses={200: s.ReleaseSerializer(many=True), **errors(404)},
    description="Every data release, newest first, as a JSON array (no pages): its version `YYYY.MM.N`, date, "
                "number of published records and files (adoptions, evidence, organizations and families as "
                "CSV, adoptions.parquet, a Frictionless datapackage.json, CITATION.cff, SHA256SUMS), each with "
                "its download URL, SHA-256 and size. A release never changes once written.",
))
class ReleaseViewSet(ApiViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Data releases, newest first."""

    queryset = Release.objects.all()
    serializer_class = s.ReleaseSerializer
    pagination_class = None
