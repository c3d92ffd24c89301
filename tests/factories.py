"""factory_boy factories for the domain; geography rows are made on demand with real codes."""

import datetime

import factory
from django.contrib.auth import get_user_model

from adoption.choices import DatePrecision, EvidenceKind, OrganizationKind, Relation, Stage, Status
from adoption.models import Adoption, Checkpoint, Country, Evidence, ModelFamily, Organization, Region


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
    class Meta:
        model = Adoption

    adopter = factory.SubFactory(OrganizationFactory)
    family = factory.SubFactory(ModelFamilyFactory)
    relation = Relation.FINE_TUNE
    stage = Stage.PRODUCTION
    product_name = factory.Sequence(lambda n: f"Product {n}")
    started_on = datetime.date(2025, 3, 1)
    started_precision = DatePrecision.MONTH
    status = Status.PUBLISHED


class EvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evidence

    adoption = factory.SubFactory(AdoptionFactory)
    url = factory.Sequence(lambda n: f"https://example.org/source-{n}")
    kind = EvidenceKind.MODEL_CARD
    title = "Model card"
