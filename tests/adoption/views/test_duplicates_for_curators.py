"""Likely duplicates reach the curator (review page and admin) with every reason, and stay hidden from a
contributor who may not see them."""

import pytest
from django.urls import reverse

from adoption.services import records
from adoption.services.roles import role_grant
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]


def propose(user, family, country, *, url, product_name=""):
    return records.adoption_create(
        user=user, data={"family": family, "relation": "fine_tune", "product_name": product_name},
        evidence=[{"url": url, "kind": "press"}], new_adopter={"name": "Lion Speech Co-op", "country": country},
        submit=True,
    )


def test_the_curator_sees_what_the_contributor_may_not(signed_in, client, contributor, other_contributor, qwen,
                                                       singapore):
    alice = propose(contributor, qwen, singapore, url="https://news.example.org/lion-asr", product_name="Lion ASR v2")
    bob = propose(other_contributor, qwen, singapore, product_name="Lion ASR",
                  url="http://www.news.example.org/lion-asr/?utm_source=feed&utm_medium=rss#story")
    client.force_login(other_contributor)
    assert f"#{alice.pk}" not in client.get(f"/adoptions/{bob.pk}/").content.decode()

    staff = UserFactory(username="staffcur", is_staff=True)
    role_grant(user=staff, role="curator")
    curator = signed_in(staff)
    review = curator.get(f"/moderation/{bob.pk}/").content.decode()
    admin = curator.get(reverse("admin:adoption_adoption_change", args=[bob.pk])).content.decode()
    for page in (review, admin):
        assert f"/{alice.pk}/" in page
        assert "same adopter and family" in page and "similar product name" in page
        assert "cites the same source http://www.news.example.org/lion-asr/?utm_source=feed" in page
