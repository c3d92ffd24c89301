"""Bulk proposals on the site: upload, read the report, import what passed; curators find the batch together."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from adoption.choices import Status
from adoption.models import Adoption, ImportBatch
from tests.adoption.api.test_imports import _csv, _row
from tests.factories import CountryFactory, ModelFamilyFactory

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

PAGE = "/contribute/import/"


@pytest.fixture
def catalogue():
    CountryFactory(iso2="KE", iso3="KEN", numeric="404", name="Kenya")
    ModelFamilyFactory(slug="qwen", name="Qwen")


def _file(rows, name="list.csv"):
    return SimpleUploadedFile(name, _csv(rows), content_type="text/csv")


def test_a_contributor_checks_then_imports_a_file(catalogue, contributor, curator, signed_in):
    browser = signed_in(contributor)
    assert "Download the CSV template" in browser.get(PAGE).content.decode()

    checked = browser.post(PAGE, {"file": _file([_row(1), _row(2)]), "dry_run": "on"}, follow=True)

    page = checked.content.decode()
    assert "Every row passed its checks." in page and "Submit these 2 records" in page
    assert Adoption.objects.count() == 0
    batch = ImportBatch.objects.get()

    done = browser.post(f"{PAGE}{batch.pk}/import/", follow=True)

    assert "2 records were submitted to the curators." in done.content.decode()
    assert Adoption.objects.filter(status=Status.SUBMITTED, created_by=contributor).count() == 2
    imported = ImportBatch.objects.exclude(pk=batch.pk).get()
    queue = signed_in(curator).get("/moderation/", {"batch": imported.pk}).content.decode()
    assert queue.count(f"bulk proposal #{imported.pk}") == 2
    # A dry run is imported once: its button is gone, and a second click gets the first import back.
    assert "Submit these" not in browser.get(f"{PAGE}{batch.pk}/").content.decode()
    again = browser.post(f"{PAGE}{batch.pk}/import/")
    assert again["Location"] == f"{PAGE}{imported.pk}/"
    assert Adoption.objects.count() == 2 and ImportBatch.objects.count() == 2


def test_errors_are_listed_by_line_and_nothing_is_submitted(catalogue, contributor, signed_in):
    answer = signed_in(contributor).post(PAGE, {"file": _file([_row(1), _row(2, family="nope")])}, follow=True)
    page = answer.content.decode()
    assert "Nothing was submitted." in page and "<td>3</td><td><code>family</code></td>" in page
    assert Adoption.objects.count() == 0


def test_an_unreadable_file_reshows_the_form_with_the_reason(catalogue, contributor, signed_in):
    answer = signed_in(contributor).post(PAGE, {"file": SimpleUploadedFile("list.xlsx", b"PK\x03\x04"),
                                                "dry_run": "on"})
    assert answer.status_code == 400 and "not a CSV (.csv) or JSON Lines" in answer.content.decode()
    assert signed_in(contributor).post(PAGE, {"dry_run": "on"}).status_code == 400  # no file


def test_reports_are_private_and_the_template_downloads(catalogue, contributor, other_contributor, signed_in,
                                                        client):
    signed_in(contributor).post(PAGE, {"file": _file([_row(1)]), "dry_run": "on"})
    batch = ImportBatch.objects.get()
    assert signed_in(other_contributor).get(f"{PAGE}{batch.pk}/").status_code == 404
    assert signed_in(other_contributor).post(f"{PAGE}{batch.pk}/import/").status_code == 404
    assert client.get(PAGE).status_code == 302  # to log in
    template = client.get(f"{PAGE}template.csv")
    assert template["Content-Type"].startswith("text/csv")
    header = template.content.decode().splitlines()[0]
    assert header.startswith("adopter,new_adopter_name,") and "evidence_url" in header
    # The template's example row is a valid proposal.
    checked = signed_in(contributor).post(PAGE, {"file": SimpleUploadedFile("t.csv", template.content),
                                                 "dry_run": "on"}, follow=True)
    assert "Every row passed its checks." in checked.content.decode()


def test_a_check_deleted_as_old_while_confirming_sends_back_to_the_upload(catalogue, contributor, signed_in,
                                                                          monkeypatch):
    from adoption.services import imports

    browser = signed_in(contributor)
    browser.post(PAGE, {"file": _file([_row(1)]), "dry_run": "on"})
    batch = ImportBatch.objects.get()
    confirm = imports.import_checked

    def deleted_meanwhile(**kwargs):  # the nightly deletion runs between the page's read and the import
        ImportBatch.objects.filter(pk=batch.pk).delete()
        return confirm(**kwargs)

    monkeypatch.setattr(imports, "import_checked", deleted_meanwhile)
    answer = browser.post(f"{PAGE}{batch.pk}/import/", follow=True)
    assert answer.status_code == 200 and answer.redirect_chain[-1][0] == PAGE
    assert "Upload the file again." in answer.content.decode()
    assert not Adoption.objects.exists()
