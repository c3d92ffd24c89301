"""Data releases as GET /api/v1/releases/ lists them (DESIGN §4)."""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from adoption.models import Release


class ReleaseFileSerializer(serializers.Serializer):
    name = serializers.CharField()
    url = serializers.URLField(help_text="Where to download the file.")
    sha256 = serializers.CharField(help_text="SHA-256 of the file, hex (as in the release's SHA256SUMS).")
    bytes = serializers.IntegerField()


class ReleaseSerializer(serializers.ModelSerializer):
    files = serializers.SerializerMethodField()

    class Meta:
        model = Release
        fields = ["version", "date", "records", "files"]

    @extend_schema_field(ReleaseFileSerializer(many=True))
    def get_files(self, release) -> list[dict]:
        request = self.context.get("request")
        files = []
        for file in release.files:
            path = reverse("adoption:release-file", kwargs={"version": release.version, "name": file["name"]})
            url = request.build_absolute_uri(path) if request else settings.SITE_URL.rstrip("/") + path
            files.append({"name": file["name"], "url": url, "sha256": file["sha256"], "bytes": file["bytes"]})
        return files
