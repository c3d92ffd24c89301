"""factory_boy factories for the domain; geography rows are made on demand with real codes.

Records are drafts unless asked otherwise: `AdoptionFactory(published=True)` (or `retracted=True`) takes
the draft through the moderation services as production does (submitted by its creator, claimed and
approved, or retracted, by a curator of its own), so the history, the moderation log, the map upkeep and
the data version follow. A raw `status=` writes the row as given with none of that: for a workflow step
taken from a given status, or a test of drift between the records and the maps.
"""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from adoption.choices import DatePrecision, EvidenceKind, OrganizationKind, Relation, Stage, Status
from adoption.models import Adoption, Checkpoint, Country, Evidence, ModelFamily, Organization, Region
from adoption.roles import CONTRIBUTOR, CURATOR


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct-horse-battery")


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "142"
    name = "Asia"
    level = "region"


class CountryFactory(factory.django.DjangoModelFactory):
    """Defaults to Singapore, in South-eastern Asia (035) under Asia (142)."""

    class Meta:
        model = Country
        django_get_or_create = ("iso2",)

    iso2 = "SG"
    iso3 = "SGP"
    numeric = "702"
    name = "Singapore"
    region = factory.LazyFunction(lambda: RegionFactory(code="142", name="Asia", level="region"))
    subregion = factory.LazyFunction(
        lambda: RegionFactory(code="035", name="South-eastern Asia", level="subregion",
                              parent=RegionFactory(code="142", name="Asia", level="region"))
    )


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"organization-{n}")
    kind = OrganizationKind.COMPANY
    country = factory.SubFactory(CountryFactory)
    aliases = factory.LazyFunction(list)
    # Written by the catalogue services in the application: the same derived keys here.
    name_keys = factory.LazyAttribute(lambda o: Organization(name=o.name, aliases=o.aliases).match_keys())


class ModelFamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelFamily
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"family-{n}")
    name = factory.LazyAttribute(lambda f: f.slug.title())
    developer = factory.SubFactory(OrganizationFactory)
    origin_country = factory.LazyAttribute(lambda f: f.developer.country)


class CheckpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Checkpoint

    family = factory.SubFactory(ModelFamilyFactory)
    repo_id = factory.Sequence(lambda n: f"org/model-{n}")


class AdoptionFactory(factory.django.DjangoModelFactory):
    """A draft by default; `published=True` or `retracted=True` take it through the workflow's services."""

    class Meta:
        model = Adoption

    class Params:
        published = False
        retracted = False

    adopter = factory.SubFactory(OrganizationFactory)
    family = factory.SubFactory(ModelFamilyFactory)
    relation = Relation.FINE_TUNE
    stage = Stage.PRODUCTION
    product_name = factory.Sequence(lambda n: f"Product {n}")
    started_on = datetime.date(2025, 3, 1)
    started_precision = DatePrecision.MONTH
    status = Status.DRAFT
    # A record goes through the workflow only with a contributor who submits it.
    created_by = factory.LazyAttribute(lambda o: registry_contributor() if o.published or o.retracted else None)
    workflow = factory.LazyAttribute(
        lambda o: Status.RETRACTED if o.retracted else Status.PUBLISHED if o.published else None
    )

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        if kwargs.pop("workflow", None):
            raise ValueError("Only a saved record goes through the workflow: use create(), not build().")
        return super()._build(model_class, *args, **kwargs)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        target = kwargs.pop("workflow", None)
        if target and kwargs.get("status") != Status.DRAFT:
            raise ValueError("Ask for published=True or status=..., not both (the services set the status).")
        published_at = kwargs.pop("published_at", None) if target else None
        record = super()._create(model_class, *args, **kwargs)
        if target == Status.PUBLISHED:
            record = publish(record)
        elif target == Status.RETRACTED:
            record = retract(record)
        if published_at is not None:
            # A publication in the past, for tests that order by it: the services stamp the present.
            model_class.objects.filter(pk=record.pk).update(published_at=published_at)
            record.published_at = published_at
        return record


class EvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evidence

    adoption = factory.SubFactory(AdoptionFactory)
    url = factory.Sequence(lambda n: f"https://example.org/source-{n}")
    kind = EvidenceKind.MODEL_CARD
    title = "Model card"


def _role_user(username: str, *roles: str):
    """A user holding `roles`, made on first use in a test (the database is rolled back after each)."""
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"email": f"{username}@example.org"}
    )
    if created:
        user.groups.add(*(Group.objects.get_or_create(name=role)[0] for role in roles))
    return user


def registry_curator():
    """The curator who approves and retracts the records factories publish: nobody else in a test, so the
    four-eyes rule never stands in the way of a test's own curators."""
    return _role_user("factory-curator", CURATOR, CONTRIBUTOR)


def registry_contributor():
    """The contributor who submits the factories' records when a test names no creator."""
    return _role_user("factory-contributor", CONTRIBUTOR)


def publish(record: Adoption) -> Adoption:
    """Publish a draft as production does: submitted by its creator, claimed and approved by another curator
    (history rows, moderation events, map upkeep and the data version with it). Returns the fresh row."""
    from adoption.services import moderation

    if record.created_by_id is None:
        record.created_by = registry_contributor()
        record.save(update_fields=["created_by"])
    if not record.evidence.exists():
        EvidenceFactory(adoption=record)
    curator = registry_curator()
    record = moderation.adoption_submit(adoption=record, user=record.created_by)
    record = moderation.adoption_claim(adoption=record, user=curator)
    return moderation.adoption_approve(adoption=record, user=curator)


def retract(record: Adoption, comment: str = "Retracted by the test.") -> Adoption:
    """Retract a published record as a curator does (publishing a draft first)."""
    from adoption.services import moderation

    if record.status != Status.PUBLISHED:
        record = publish(record)
    return moderation.adoption_retract(adoption=record, user=registry_curator(), comment=comment)
