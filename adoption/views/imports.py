"""Bulk proposals on the site: upload a CSV or JSON Lines file, read the dry run's report, then import it.

The page and POST /api/v1/imports/ call the same service with the same row validation (the API's)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from adoption.api.serializers import submission_arguments
from adoption.api.views.imports import read_upload
from adoption.forms import ImportUploadForm
from adoption.models import ImportBatch
from adoption.roles import is_curator
from adoption.services import imports

from .contribute import RATE_MESSAGE
from .ratelimit import rate_limited


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    """The upload form; a POST checks the file (or imports it) and shows the report."""
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if rate_limited(request, "submission"):
            form.add_error(None, RATE_MESSAGE)
            status = 429
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                batch = imports.import_file(
                    user=request.user, name=upload.name, raw=read_upload(upload),
                    validate=submission_arguments, dry_run=form.cleaned_data["dry_run"],
                )
            except imports.ImportFileError as exc:
                form.add_error("file", str(exc))
            else:
                return redirect(batch)
    return render(request, "adoption/import_upload.html", {
        "form": form, "columns": imports.CSV_COLUMNS, "max_rows": imports.max_rows(),
    }, status=status)


def _own_batch(request, pk) -> ImportBatch:
    batches = ImportBatch.objects.all() if is_curator(request.user) else ImportBatch.objects.filter(
        created_by=request.user)
    return get_object_or_404(batches, pk=pk)


@login_required
@require_GET
def import_detail(request, pk):
    """One upload's report: every row's errors, likely duplicates, and the records it created."""
    batch = _own_batch(request, pk)
    return render(request, "adoption/import_detail.html", {
        "batch": batch, "can_import": batch.dry_run and not batch.errors and not batch.imported_as_id
        and batch.created_by_id == request.user.pk,
    })


@login_required
@require_POST
def import_confirm(request, pk):
    """Import the file of a dry run that passed, as it was checked (it is checked again as it lands)."""
    batch = _own_batch(request, pk)
    if rate_limited(request, "submission"):
        messages.error(request, RATE_MESSAGE)
        return redirect(batch)
    try:
        done = imports.import_checked(batch=batch, user=request.user, validate=submission_arguments)
    except imports.ImportFileError as exc:
        messages.error(request, str(exc))
        # (Back to the upload page when the check itself is gone: deleted as too old meanwhile.)
        return redirect(batch if ImportBatch.objects.filter(pk=batch.pk).exists() else "adoption:import-upload")
    if done.created:
        count = len(done.created)
        messages.success(request, ngettext("%(count)s record was submitted to the curators.",
                                           "%(count)s records were submitted to the curators.", count)
                         % {"count": count})
    else:
        messages.error(request, _("The file no longer passes its checks (the registry changed since the dry run): "
                                  "nothing was imported. The rows with errors are listed below."))
    return redirect(done)


@require_GET
def import_template(request):
    """The CSV template: every column, with one example row."""
    response = HttpResponse(imports.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="registry-proposals-template.csv"'
    return response
