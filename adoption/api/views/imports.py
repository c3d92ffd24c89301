"""Bulk proposals: upload a CSV or JSON Lines file of submissions, checked row by row (a dry run by default),
and read a report back. Another user's report answers 404."""

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from adoption.models import ImportBatch
from adoption.roles import is_curator
from adoption.services import imports

from .. import serializers as s
from ..throttling import ImportThrottle
from .base import ApiViewMixin, errors


def read_upload(upload) -> bytes:
    """The uploaded file's bytes, at most one more than the limit (the service names the limit)."""
    return upload.read(settings.IMPORT_MAX_BYTES + 1)


@extend_schema_view(
    create=extend_schema(
        request={"multipart/form-data": s.ImportInputSerializer},
        responses={201: s.ImportBatchSerializer, **errors(400, 401, 413)},
        summary="Propose records in bulk",
        description="Upload a CSV or JSON Lines file of submissions. Every row is checked as POST "
                    "/api/v1/submissions/ checks one (with `submit`: each needs a source), and likely duplicates "
                    "within the file and against the registry are listed. `dry_run` (the default) only reports; "
                    "with `dry_run=false` the rows become `submitted` records of yours, all of them or, when any "
                    "row has an error, none. A file that is not UTF-8 CSV or JSON Lines, too large or with too "
                    "many rows is a 400 on `file`.",
    ),
    retrieve=extend_schema(responses={200: s.ImportBatchSerializer, **errors(401, 404)},
                           summary="One bulk proposal's report",
                           description="The report of one of your uploads (curators: anyone's)."),
)
class ImportViewSet(ApiViewMixin, mixins.CreateModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Bulk proposals of the signed-in user."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.ImportBatchSerializer
    parser_classes = [MultiPartParser]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ImportBatch.objects.none()
        batches = ImportBatch.objects.all()
        return batches if is_curator(self.request.user) else batches.filter(created_by=self.request.user)

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.action == "create":
            throttles.append(ImportThrottle())
        return throttles

    def create(self, request, *args, **kwargs):
        serializer = s.ImportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        try:
            batch = imports.import_file(user=request.user, name=upload.name, raw=read_upload(upload),
                                        validate=s.submission_arguments,
                                        dry_run=serializer.validated_data["dry_run"])
        except imports.ImportFileError as exc:
            raise ValidationError({"file": [str(exc)]}) from exc
        return Response(self.get_serializer(batch).data, status=status.HTTP_201_CREATED)
