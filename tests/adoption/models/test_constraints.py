"""Every named constraint refuses bad data, with its message, in validation and in the database."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from adoption.choices import DatePrecision
from adoption.models import Adoption, Organization
from tests.factories import (
    AdoptionFactory,
    CheckpointFactory,
    EvidenceFactory,
    ModelFamilyFactory,
    OrganizationFactory,
)

pytestmark = pytest.mark.django_db

TOMORROW = timezone.now().date() + datetime.timedelta(days=2)


def messages(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def test_one_slug_per_organization():
    OrganizationFactory(slug="ai-singapore", name="AI Singapore")
    duplicate = OrganizationFactory.build(slug="ai-singapore", name="AI Singapore 2", country=None)
    with pytest.raises(ValidationError) as exc:
        duplicate.full_clean()
    assert "slug already exists" in messages(exc.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_organization_names_are_unique_ignoring_case():
    OrganizationFactory(name="Sarvam AI")
    with pytest.raises(ValidationError) as exc:
        OrganizationFactory.build(name="SARVAM ai", slug="other", country=None).full_clean()
    assert "name already exists" in messages(exc.value)


def test_coordinates_need_both_halves_in_range():
    org = OrganizationFactory.build(latitude=95.0, longitude=10.0, country=None)
    with pytest.raises(ValidationError) as exc:
        org.full_clean()
    assert "latitude (-90..90)" in messages(exc.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.create(name="Half", slug="half", latitude=10.0)


def test_checkpoint_must_belong_to_the_adoptions_family():
    qwen, llama = ModelFamilyFactory(slug="qwen"), ModelFamilyFactory(slug="llama")
    checkpoint = CheckpointFactory(family=llama, repo_id="meta-llama/Llama-3.1-8B")
    adoption = AdoptionFactory.build(family=qwen, checkpoint=checkpoint, adopter=OrganizationFactory())
    with pytest.raises(ValidationError) as exc:
        adoption.full_clean()
    assert "belongs to another family" in messages(exc.value)
    # The database refuses it too (PostgreSQL trigger), whatever path the write takes.
    with pytest.raises(IntegrityError, match="adoption_checkpoint_family"), transaction.atomic():
        adoption.save()


def test_checkpoint_family_cannot_change_under_its_adoptions():
    checkpoint = CheckpointFactory(family=ModelFamilyFactory(slug="qwen"))
    AdoptionFactory(family=checkpoint.family, checkpoint=checkpoint)
    checkpoint.family = ModelFamilyFactory(slug="gemma")
    with pytest.raises(IntegrityError, match="adoption_checkpoint_family"), transaction.atomic():
        checkpoint.save()


@pytest.mark.parametrize("field", ["started_on", "ended_on"])
def test_adoption_dates_cannot_be_in_the_future(field):
    adoption = AdoptionFactory.build(adopter=OrganizationFactory(), family=ModelFamilyFactory(),
                                     started_precision=DatePrecision.DAY, **{field: TOMORROW})
    if field == "ended_on":
        adoption.started_on = datetime.date(2024, 1, 1)
    with pytest.raises(ValidationError) as exc:
        adoption.full_clean()
    assert "cannot be in the future" in messages(exc.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        adoption.save()


def test_end_date_must_follow_start_date():
    adoption = AdoptionFactory.build(
        adopter=OrganizationFactory(), family=ModelFamilyFactory(), started_on=datetime.date(2025, 3, 1),
        ended_on=datetime.date(2025, 2, 1), started_precision=DatePrecision.MONTH,
    )
    with pytest.raises(ValidationError) as exc:
        adoption.full_clean()
    assert "must not be before the start date" in messages(exc.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        adoption.save()


@pytest.mark.parametrize(
    ("started_on", "precision", "ok"),
    [
        (datetime.date(2025, 1, 1), DatePrecision.YEAR, True),
        (datetime.date(2025, 3, 1), DatePrecision.YEAR, False),
        (datetime.date(2025, 3, 1), DatePrecision.MONTH, True),
        (datetime.date(2025, 3, 14), DatePrecision.MONTH, False),
        (datetime.date(2025, 3, 14), DatePrecision.DAY, True),
        (datetime.date(2025, 3, 14), "", False),
        (None, DatePrecision.DAY, False),
        (None, "", True),
    ],
)
def test_start_precision_must_match_the_date(started_on, precision, ok):
    adoption = AdoptionFactory.build(
        adopter=OrganizationFactory(), family=ModelFamilyFactory(), started_on=started_on, started_precision=precision
    )
    if ok:
        adoption.full_clean()
        adoption.save()
        assert Adoption.objects.filter(pk=adoption.pk).exists()
        return
    with pytest.raises(ValidationError) as exc:
        adoption.full_clean()
    assert "precision must match the date" in messages(exc.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        adoption.save()


def test_evidence_urls_must_be_http_and_unique_per_record():
    evidence = EvidenceFactory(url="https://example.org/card")
    again = EvidenceFactory.build(adoption=evidence.adoption, url="https://example.org/card")
    with pytest.raises(ValidationError) as exc:
        again.full_clean()
    assert "already cited" in messages(exc.value)
    bad = EvidenceFactory.build(adoption=evidence.adoption, url="ftp://example.org/file")
    with pytest.raises(ValidationError):
        bad.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        bad.save()


def test_evidence_publication_date_not_in_future():
    evidence = EvidenceFactory.build(adoption=AdoptionFactory(), published_on=TOMORROW)
    with pytest.raises(ValidationError) as exc:
        evidence.full_clean()
    assert "cannot be in the future" in messages(exc.value)


def test_checkpoint_cannot_derive_from_itself_and_counts_are_positive():
    checkpoint = CheckpointFactory()
    checkpoint.derived_from = checkpoint
    checkpoint.parameters = 0
    with pytest.raises(ValidationError) as exc:
        checkpoint.full_clean()
    text = messages(exc.value)
    assert "cannot be derived from itself" in text
    assert "must be positive" in text


def test_checkpoint_lineage_follows_derived_from():
    base = CheckpointFactory(repo_id="Qwen/Qwen2.5-32B")
    distilled = CheckpointFactory(repo_id="deepseek-ai/DeepSeek-R1-Distill-Qwen-32B", family=base.family,
                                  derived_from=base)
    assert [c.repo_id for c in distilled.lineage()] == ["deepseek-ai/DeepSeek-R1-Distill-Qwen-32B", "Qwen/Qwen2.5-32B"]
