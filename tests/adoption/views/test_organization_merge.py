"""A curator merges a duplicate on the moderation page: a preview of what moves, then the merge."""

import pytest

from adoption.models import OrganizationMerge
from tests.factories import AdoptionFactory, OrganizationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]


@pytest.fixture
def pair():
    duplicate = OrganizationFactory(name="Sea AI Lab (dup)", slug="sea-ai-dup", aliases=["SAIL"])
    survivor = OrganizationFactory(name="Sea AI Lab", slug="sea-ai-lab")
    return duplicate, survivor


def test_a_curator_previews_then_merges(pair, curator, signed_in):
    duplicate, survivor = pair
    record = AdoptionFactory(adopter=duplicate)
    browser = signed_in(curator)
    url = f"/moderation/organizations/{duplicate.slug}/merge/"
    assert "Merge this duplicate" in browser.get(f"/organizations/{duplicate.slug}/").content.decode()

    preview = browser.post(url, {"into": survivor.slug, "comment": "Same lab."})

    page = preview.content.decode()
    assert preview.status_code == 200 and "Merge now" in page
    assert f"#{record.pk}" in page and "SAIL" in page  # the record and the names that move
    assert not OrganizationMerge.objects.exists()  # nothing merged by the preview
    assert "Same lab.</textarea>" in page  # the comment is kept

    # Another survivor typed after the preview needs its own preview first.
    other = OrganizationFactory(slug="someone-else")
    switched = browser.post(url, {"into": other.slug, "confirmed": str(survivor.pk)})
    assert switched.status_code == 200 and not OrganizationMerge.objects.exists()

    done = browser.post(url, {"into": survivor.slug, "comment": "Same lab.", "confirmed": str(survivor.pk)})

    assert done.status_code == 302 and done["Location"] == f"/organizations/{survivor.slug}/"
    assert OrganizationMerge.objects.get().comment == "Same lab."
    assert browser.get(f"/organizations/{duplicate.slug}/")["Location"] == f"/organizations/{survivor.slug}/"


def test_bad_targets_are_shown_on_the_form(pair, curator, signed_in):
    duplicate, _survivor = pair
    browser = signed_in(curator)
    url = f"/moderation/organizations/{duplicate.slug}/merge/"
    for into, message in (("nobody-here", "No organization has this slug."),
                          (duplicate.slug, "cannot be merged into itself")):
        answer = browser.post(url, {"into": into, "comment": "typed"})
        assert answer.status_code == 200 and message in answer.content.decode()
        assert "typed" in answer.content.decode()
    assert not OrganizationMerge.objects.exists()


def test_only_curators_open_the_merge_page(pair, contributor, signed_in, client):
    duplicate, _survivor = pair
    url = f"/moderation/organizations/{duplicate.slug}/merge/"
    assert client.get(url).status_code == 302  # to the login page
    assert signed_in(contributor).get(url).status_code == 403
    page = signed_in(contributor).get(f"/organizations/{duplicate.slug}/").content.decode()
    assert "Merge this duplicate" not in page


def test_the_admin_action_opens_the_merge_page(pair, superuser, signed_in):
    duplicate, survivor = pair
    admin = signed_in(superuser)
    answer = admin.post("/admin/adoption/organization/", {
        "action": "merge_into_another", "_selected_action": [duplicate.pk],
    })
    assert answer.status_code == 302 and answer["Location"] == f"/moderation/organizations/{duplicate.slug}/merge/"
    both = admin.post("/admin/adoption/organization/", {
        "action": "merge_into_another", "_selected_action": [duplicate.pk, survivor.pk],
    }, follow=True)
    assert "Select one duplicate organization to merge." in both.content.decode()
