"""The /data/ page (the data releases, how to cite and verify them) and the releases' file downloads."""

import logging

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render

from adoption.models import Release
from adoption.releases import citation_text, release_file_path, release_storage

logger = logging.getLogger(__name__)


def data_page(request):
    releases = list(Release.objects.all())
    latest = releases[0] if releases else None
    return render(request, "adoption/data.html", {
        "releases": releases, "latest": latest, "citation": citation_text(latest) if latest else "",
    })


def release_file(request, version: str, name: str):
    """A release's file from the releases storage (any storage backend, no web server configuration);
    only the names the release lists are served. A release never changes: cached for a year."""
    release = get_object_or_404(Release, version=version)
    if name not in {file["name"] for file in release.files}:
        raise Http404("No such file in this release.")
    content_type = "text/plain; charset=utf-8" if name in ("SHA256SUMS", "CITATION.cff") else None
    try:
        stored = release_storage().open(release_file_path(release, name))
    except FileNotFoundError:  # the files were lost (a restore without them): say so, not a 500
        logger.error("release %s: %s is listed but missing from the releases storage", version, name)
        raise Http404("This release's file is missing from the server; the registry's staff were told.") from None
    response = FileResponse(stored, as_attachment=True, filename=name, content_type=content_type)
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
