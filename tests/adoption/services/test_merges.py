"""Merging a duplicate organization: everything moves to the survivor, nothing is deleted, the maps keep
their totals and move the records in place, every old URL leads to the survivor."""

import pytest

from adoption.maps import fold, repair
from adoption.models import Adoption, ModelFamily, Organization, OrganizationMerge
from adoption.services import merges
from adoption.services.errors import ActionForbidden
from tests.adoption.maps.registry import make_geography
from tests.factories import AdoptionFactory, ModelFamilyFactory, OrganizationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

MAP = "/api/v1/maps/adoption/"


@pytest.fixture
def pair():
    """A duplicate entered in Kenya and the organization it really is, in Singapore."""
    countries = make_geography()
    duplicate = OrganizationFactory(name="AI Singapore (AISG)", slug="aisg-dup", country=countries["KE"],
                                    city="Nairobi", aliases=["AISG"], hf_handle="aisingapore")
    survivor = OrganizationFactory(name="AI Singapore", slug="ai-singapore", country=countries["SG"],
                                   city="Singapore", aliases=[])
    return duplicate, survivor


def _groups(client, **params) -> dict:
    answer = client.get(MAP, {"group_by": "country", **params}).json()
    return {"total": answer["total"], **{group["key"]: group["total"] for group in answer["groups"]}}


def test_a_merge_moves_everything_to_the_survivor_and_records_it(pair, curator):
    duplicate, survivor = pair
    records = [AdoptionFactory(adopter=duplicate, published=True), AdoptionFactory(adopter=duplicate)]
    partnered = AdoptionFactory(adopter=OrganizationFactory(country=survivor.country))
    partnered.partners.add(duplicate)
    own_partner = AdoptionFactory(adopter=survivor)
    own_partner.partners.add(duplicate)
    child = OrganizationFactory(parent=duplicate, country=survivor.country)
    family = ModelFamilyFactory(developer=duplicate)

    merge = merges.organization_merge(source=duplicate, target=survivor, user=curator, comment="Same institute.")

    assert {r.adopter_id for r in Adoption.objects.filter(pk__in=[r.pk for r in records])} == {survivor.pk}
    assert list(Adoption.objects.get(pk=partnered.pk).partners.all()) == [survivor]
    assert list(Adoption.objects.get(pk=own_partner.pk).partners.all()) == []  # never its own partner
    child.refresh_from_db()
    assert child.parent == survivor
    assert ModelFamily.objects.get(pk=family.pk).developer == survivor
    survivor.refresh_from_db()
    duplicate.refresh_from_db()
    assert survivor.aliases == ["AI Singapore (AISG)", "AISG"]
    assert survivor.hf_handle == "aisingapore" and duplicate.hf_handle == ""
    assert duplicate.merged_into == survivor  # kept, pointing at the survivor: never a silent delete
    # The old names find the survivor when someone proposes the duplicate again.
    assert "|aisg|" in survivor.name_keys
    # One recorded merge with who, why and what moved.
    assert OrganizationMerge.objects.get() == merge
    assert (merge.actor, merge.comment) == (curator, "Same institute.")
    assert sorted(merge.moved["records"]) == sorted(r.pk for r in records)
    # Each moved record's history says why it changed.
    latest = Adoption.objects.get(pk=records[0].pk).history.first()
    assert latest.history_change_reason == "merged aisg-dup into ai-singapore"
    assert latest.history_user == curator


def test_the_maps_keep_their_totals_and_move_the_records_in_place(pair, curator, client,
                                                                   django_capture_on_commit_callbacks):
    duplicate, survivor = pair
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            AdoptionFactory(adopter=duplicate, published=True)
        AdoptionFactory(adopter=survivor, published=True)
    assert _groups(client) == {"total": 3, "KE": 2, "SG": 1}
    assert _groups(client, unit="adopters") == {"total": 2, "KE": 1, "SG": 1}

    with django_capture_on_commit_callbacks(execute=True):
        merges.organization_merge(source=duplicate, target=survivor, user=curator)

    # Read before and after the deltas are folded, then against a plain recount.
    assert _groups(client) == {"total": 3, "SG": 3}
    assert _groups(client, unit="adopters") == {"total": 1, "SG": 1}  # they were one adopter all along
    fold.fold()
    assert _groups(client) == {"total": 3, "SG": 3}
    assert repair.check()["drifted"] == 0


def test_a_merge_into_a_merged_organization_follows_to_the_end(pair, curator):
    duplicate, survivor = pair
    third = OrganizationFactory(country=survivor.country)
    merges.organization_merge(source=survivor, target=third, user=curator)

    merge = merges.organization_merge(source=duplicate, target=survivor, user=curator)

    assert merge.target == third
    duplicate.refresh_from_db()
    assert duplicate.merged_into == third and duplicate.survivor == third


@pytest.mark.parametrize("case", ["itself", "loop", "already merged"])
def test_merges_that_would_lose_or_loop_are_refused(pair, curator, case):
    duplicate, survivor = pair
    if case == "itself":
        source, target = duplicate, duplicate
    elif case == "loop":
        merges.organization_merge(source=duplicate, target=survivor, user=curator)
        source, target = survivor, duplicate  # duplicate now leads to survivor: into itself
    else:
        merges.organization_merge(source=duplicate, target=survivor, user=curator)
        source, target = duplicate, OrganizationFactory(country=survivor.country)
    with pytest.raises(merges.MergeRefused):
        merges.organization_merge(source=source, target=target, user=curator)
    assert OrganizationMerge.objects.count() == (0 if case == "itself" else 1)


def test_only_curators_merge(pair, contributor):
    duplicate, survivor = pair
    with pytest.raises(ActionForbidden):
        merges.organization_merge(source=duplicate, target=survivor, user=contributor)
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None


def test_the_api_merges_and_old_urls_answer_301(pair, curator, contributor, api_client_for, client):
    duplicate, survivor = pair
    duplicate.is_published = survivor.is_published = True
    duplicate.save()
    survivor.save()
    record = AdoptionFactory(adopter=duplicate, published=True)
    url = f"/api/v1/organizations/{duplicate.slug}/merge/"

    assert api_client_for(contributor).post(url, {"into": survivor.slug}, format="json").status_code == 403
    refused = api_client_for(curator).post(url, {"into": "no-such-org"}, format="json")
    assert refused.status_code == 400 and "No such organization" in refused.json()["into"][0]
    itself = api_client_for(curator).post(url, {"into": duplicate.slug}, format="json")
    assert itself.status_code == 400 and "itself" in str(itself.json())

    done = api_client_for(curator).post(url, {"into": survivor.slug.upper(), "comment": "One body."},
                                        format="json")

    assert done.status_code == 200, done.content
    assert done.json()["slug"] == survivor.slug and "AISG" in done.json()["aliases"]
    api = client.get(f"/api/v1/organizations/{duplicate.slug}/")
    assert api.status_code == 301 and api["Location"].endswith(f"/api/v1/organizations/{survivor.slug}/")
    page = client.get(f"/organizations/{duplicate.slug}/")
    assert page.status_code == 301 and page["Location"] == f"/organizations/{survivor.slug}/"
    # The list shows the survivor only; a saved filter by the old slug finds the survivor's records.
    slugs = [org["slug"] for org in client.get("/api/v1/organizations/").json()["results"]]
    assert duplicate.slug not in slugs and survivor.slug in slugs
    assert [row["id"] for row in client.get("/api/v1/adoptions/", {"adopter": duplicate.slug}).json()["results"]] \
        == [record.pk]
    assert client.get("/adoptions/", {"adopter": duplicate.slug}).status_code == 200
    again = api_client_for(curator).post(url, {"into": survivor.slug}, format="json")
    assert again.status_code == 400 and "already merged" in str(again.json())


def test_a_duplicate_bearing_the_survivors_name_without_a_country_merges(curator):
    # Such pairs come from imports and old data; clean() forbids making one by hand, never their merge.
    survivor = OrganizationFactory(name="Sahel AI", slug="sahel-ai")
    duplicate = OrganizationFactory(name="Sahel AI Lab", slug="sahel-ai-lab", country=None)
    Organization.objects.filter(pk=duplicate.pk).update(name="SAHEL AI")  # as legacy data has it

    merge = merges.organization_merge(source=Organization.objects.get(pk=duplicate.pk), target=survivor,
                                      user=curator)

    assert merge.target == survivor
    assert Organization.objects.get(pk=duplicate.pk).merged_into == survivor


def test_a_survivor_that_was_the_duplicates_child_takes_its_place(pair, curator):
    duplicate, survivor = pair
    top = OrganizationFactory(country=survivor.country)
    Organization.objects.filter(pk=duplicate.pk).update(parent=top)
    Organization.objects.filter(pk=survivor.pk).update(parent=duplicate)

    merges.organization_merge(source=Organization.objects.get(pk=duplicate.pk),
                              target=Organization.objects.get(pk=survivor.pk), user=curator)

    assert Organization.objects.get(pk=survivor.pk).parent == top  # never the merged duplicate


def test_moved_children_and_families_keep_a_history_of_why(pair, curator):
    duplicate, survivor = pair
    child = OrganizationFactory(parent=duplicate, country=survivor.country)
    family = ModelFamilyFactory(developer=duplicate)

    merges.organization_merge(source=duplicate, target=survivor, user=curator)

    for model, pk in ((Organization, child.pk), (ModelFamily, family.pk)):
        latest = model.objects.get(pk=pk).history.first()
        assert latest.history_change_reason == "merged aisg-dup into ai-singapore" and latest.version == 2
