"""The reads each rule lives in once (adoption.selectors and the queryset verbs): who may open a record,
the curators' queue order."""

import datetime
import itertools

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from adoption.choices import Status
from adoption.models import Adoption
from adoption.services import catalogue, moderation, records
from adoption.services.roles import role_grant
from tests.factories import CountryFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def singapore(db):
    return CountryFactory()


@pytest.fixture
def rwanda(db):
    return CountryFactory(iso2="RW", iso3="RWA", numeric="646", name="Rwanda", region=None, subregion=None)


@pytest.fixture
def family(singapore):
    developer = catalogue.organization_create(name="Alibaba Cloud", country=singapore)
    return catalogue.family_create(slug="qwen", name="Qwen", developer=developer, origin_country=singapore)


@pytest.fixture
def aisg(singapore):
    return catalogue.organization_create(name="AI Singapore", slug="ai-singapore", country=singapore,
                                         aliases=["AISG"])


@pytest.fixture
def decider(db):
    """A curator in the admin too (role_grant makes curators staff)."""
    user = UserFactory(username="ada")
    role_grant(user=user, role="curator")
    return user


# Each status reached through the services, as a contributor and a curator would.
STEPS = {
    Status.DRAFT: (),
    Status.SUBMITTED: ("submit",),
    Status.IN_REVIEW: ("submit", "claim"),
    Status.CHANGES_REQUESTED: ("submit", "request_changes"),
    Status.REJECTED: ("submit", "reject"),
    Status.WITHDRAWN: ("withdraw",),
    Status.PUBLISHED: ("submit", "claim", "approve"),
    Status.RETRACTED: ("submit", "claim", "approve", "retract"),
}


_sources = itertools.count(1)


def record_in(status: str, *, owner, curator, adopter, family, product: str = "") -> Adoption:
    adoption = records.adoption_create(
        user=owner, data={"adopter": adopter, "family": family, "relation": "fine_tune", "product_name": product},
        evidence=[{"url": f"https://example.org/source-{next(_sources)}", "kind": "model_card"}],
    )
    for action in STEPS[status]:
        actor = owner if action in ("submit", "withdraw") else curator
        adoption = moderation.ACTION_SERVICES[action](adoption=adoption, user=actor, comment="Because.")
    return adoption


# Who may open a record: the page and the API history read one rule (AdoptionQuerySet.readable_by).

def test_every_status_is_readable_by_the_same_people_on_the_page_and_in_the_api(
    contributor, other_contributor, decider, aisg, family
):
    made = {status: record_in(status, owner=contributor, curator=decider, adopter=aisg, family=family,
                              product=status) for status in STEPS}
    readers = {"anonymous": None, "owner": contributor, "other contributor": other_contributor, "curator": decider}
    public = {Status.PUBLISHED, Status.RETRACTED}
    for reader, user in readers.items():
        client = Client()
        if user is not None:
            client.force_login(user)
        for status, adoption in made.items():
            page = client.get(reverse("adoption:adoption-detail", args=[adoption.pk])).status_code
            api = client.get(f"/api/v1/adoptions/{adoption.pk}/history/").status_code
            expected = 200 if reader in ("owner", "curator") or status in public else 404
            assert (page, api) == (expected, expected), (reader, status)
            assert Adoption.objects.readable_by(user).filter(pk=adoption.pk).exists() == (expected == 200)


def test_a_retracted_record_stays_readable_but_leaves_the_list(contributor, decider, aisg, family):
    retracted = record_in(Status.RETRACTED, owner=contributor, curator=decider, adopter=aisg, family=family)
    page = Client().get(reverse("adoption:adoption-detail", args=[retracted.pk]))
    assert "This record was retracted" in page.content.decode()
    assert Client().get(f"/api/v1/adoptions/{retracted.pk}/").status_code == 404  # the list is published ones
    assert retracted not in Adoption.objects.published()


# The curators' queue: one order (SQL) for the moderation page and the admin.

def test_the_moderation_page_and_the_admin_list_the_queue_in_the_same_order(
    contributor, decider, second_curator, aisg, family
):
    def queued(status, days_ago, curator=decider):
        adoption = record_in(status, owner=contributor, curator=curator, adopter=aisg, family=family,
                             product=f"{status} {days_ago} {curator.username}")
        Adoption.objects.filter(pk=adoption.pk).update(submitted_at=timezone.now() - datetime.timedelta(days=days_ago))
        return adoption

    waiting_new, waiting_old = queued(Status.SUBMITTED, 1), queued(Status.SUBMITTED, 5)
    mine_new, mine_old = queued(Status.IN_REVIEW, 1), queued(Status.IN_REVIEW, 3)
    others_old = queued(Status.IN_REVIEW, 10, curator=second_curator)
    published = queued(Status.PUBLISHED, 30)

    client = Client()
    client.force_login(decider)
    admin = [row.pk for row in client.get(reverse("admin:adoption_adoption_changelist")).context["cl"].result_list]
    # In the queue first; the records this curator holds in review first; then the longest waiting.
    assert admin == [mine_old.pk, mine_new.pk, others_old.pk, waiting_old.pk, waiting_new.pk, published.pk]

    page = client.get(reverse("adoption:moderation-queue")).context
    assert [a.pk for a in page["waiting"]] == [pk for pk in admin if pk in (waiting_new.pk, waiting_old.pk)]
    assert [a.pk for a in page["in_review"]] == [pk for pk in admin if pk in (mine_new.pk, mine_old.pk, others_old.pk)]
