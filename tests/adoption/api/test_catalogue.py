"""Catalogue endpoints: regions, countries, organizations, families, checkpoints (anyone reads, curators write)."""

import pytest

from adoption.models import Checkpoint, ModelFamily, Organization
from tests.factories import (
    CheckpointFactory,
    CountryFactory,
    ModelFamilyFactory,
    OrganizationFactory,
    RegionFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]


@pytest.fixture
def france():
    europe = RegionFactory(code="150", name="Europe", level="region")
    western = RegionFactory(code="155", name="Western Europe", level="subregion", parent=europe)
    return CountryFactory(iso2="FR", iso3="FRA", numeric="250", name="France", region=europe, subregion=western)


class TestGeography:
    def test_regions_and_countries_are_public_and_filterable(self, anon, france):
        CountryFactory()  # Singapore, in Asia (142)
        regions = anon.get("/api/v1/regions/", {"level": "region"}).json()
        assert {row["code"] for row in regions["results"]} == {"142", "150"}
        in_europe = anon.get("/api/v1/countries/", {"region": "155"}).json()
        assert [row["iso2"] for row in in_europe["results"]] == ["FR"]
        assert in_europe["results"][0]["region_codes"] == ["001", "150", "155"]

    def test_country_detail_accepts_lower_case_and_404s_unknown(self, anon, france):
        assert anon.get("/api/v1/countries/fr/").json()["name"] == "France"
        assert anon.get("/api/v1/countries/ZZ/").status_code == 404

    def test_unknown_region_code_is_a_400_naming_the_parameter(self, anon, france):
        response = anon.get("/api/v1/countries/", {"region": "999"})
        assert response.status_code == 400
        assert "region" in response.json()

    def test_country_list_query_count_is_constant(self, anon, france, django_assert_num_queries):
        CountryFactory()
        with django_assert_num_queries(2):  # count + page
            assert anon.get("/api/v1/countries/").json()["count"] == 2


class TestOrganizations:
    def test_anonymous_sees_published_unmerged_organizations_only(self, anon, contributor):
        shown = OrganizationFactory(name="AI Singapore", slug="ai-singapore")
        OrganizationFactory(name="Proposed Lab", slug="proposed-lab", is_published=False, created_by=contributor)
        OrganizationFactory(name="AISG old", slug="aisg-old", merged_into=shown)
        slugs = [row["slug"] for row in anon.get("/api/v1/organizations/").json()["results"]]
        assert slugs == ["ai-singapore"]
        assert anon.get("/api/v1/organizations/proposed-lab/").status_code == 404
        merged = anon.get("/api/v1/organizations/aisg-old/")  # a merged duplicate's URL leads to the survivor
        assert merged.status_code == 301 and merged["Location"].endswith("/api/v1/organizations/ai-singapore/")

    def test_a_proposer_sees_their_own_unpublished_organization(self, as_contributor, contributor):
        OrganizationFactory(name="Proposed Lab", slug="proposed-lab", is_published=False, created_by=contributor)
        assert as_contributor.get("/api/v1/organizations/proposed-lab/").status_code == 200

    def test_filters_by_country_kind_and_text(self, anon, france):
        OrganizationFactory(name="Mistral AI", slug="mistral", country=france, kind="startup", aliases=["Mistral"])
        OrganizationFactory(name="GovTech", slug="govtech", kind="government")
        assert [o["slug"] for o in anon.get("/api/v1/organizations/", {"country": "fr"}).json()["results"]] == [
            "mistral"
        ]
        assert anon.get("/api/v1/organizations/", {"kind": "government"}).json()["count"] == 1
        assert anon.get("/api/v1/organizations/", {"q": "mistr"}).json()["count"] == 1
        response = anon.get("/api/v1/organizations/", {"kind": "pirate"})
        assert response.status_code == 400 and "kind" in response.json()

    def test_curator_creates_with_history_and_a_generated_slug(self, as_curator, curator, france):
        response = as_curator.post("/api/v1/organizations/", {
            "name": "Sovereign Lab", "kind": "research_institute", "country": "fr", "city": "Paris",
            "aliases": ["SL"], "website": "https://lab.example.org",
        })
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["slug"] == "sovereign-lab" and body["country"] == {"iso2": "FR", "name": "France"}
        assert body["version"] == 1 and response["ETag"] == '"1"'
        org = Organization.objects.get(slug="sovereign-lab")
        assert org.history.first().history_user == curator

    @pytest.mark.parametrize("client_name, expected", [("anon", 401), ("as_contributor", 403)])
    def test_only_curators_write(self, request, client_name, expected):
        client = request.getfixturevalue(client_name)
        assert client.post("/api/v1/organizations/", {"name": "X"}).status_code == expected
        OrganizationFactory(slug="existing")
        assert client.patch("/api/v1/organizations/existing/", {"city": "Oslo"}).status_code == expected

    def test_edit_with_current_version_bumps_it_and_stale_version_is_412(self, as_curator, as_curator2):
        org = OrganizationFactory(slug="lab", city="Lyon")
        first = as_curator.patch("/api/v1/organizations/lab/", {"city": "Paris"}, HTTP_IF_MATCH='"1"')
        assert first.status_code == 200 and first.json()["version"] == 2 and first["ETag"] == '"2"'
        stale = as_curator2.patch("/api/v1/organizations/lab/", {"city": "Nice", "version": 1})
        assert stale.status_code == 412
        assert stale.json()["current_version"] == 2 and stale.json()["changed_by"] == "cura"
        org.refresh_from_db()
        assert org.city == "Paris"

    def test_read_only_fields_are_ignored_and_unknown_fields_refused(self, as_curator):
        org = OrganizationFactory(slug="lab", is_published=True)
        echoed = as_curator.patch("/api/v1/organizations/lab/", {"is_published": False, "created_at": "2000-01-01"})
        assert echoed.status_code == 200
        org.refresh_from_db()
        assert org.is_published is True
        typo = as_curator.patch("/api/v1/organizations/lab/", {"citty": "Paris"})
        assert typo.status_code == 400 and typo.json() == {"citty": ["Unknown field."]}

    def test_bad_values_are_400s_with_field_messages(self, as_curator):
        OrganizationFactory(name="Taken", slug="taken")
        response = as_curator.post("/api/v1/organizations/", {
            "name": "taken", "country": "ZZ", "latitude": 200, "website": "ftp://x.org",
        })
        assert response.status_code == 400
        assert {"country", "latitude", "website"} <= set(response.json())
        duplicate = as_curator.post("/api/v1/organizations/", {"name": "TAKEN"})
        assert duplicate.status_code == 400 and "non_field_errors" in duplicate.json()

    def test_slug_cannot_be_changed(self, as_curator):
        OrganizationFactory(slug="lab")
        response = as_curator.patch("/api/v1/organizations/lab/", {"slug": "other"})
        assert response.status_code == 400 and "slug" in response.json()

    def test_list_query_count_is_constant(self, anon, django_assert_num_queries):
        OrganizationFactory(parent=OrganizationFactory())
        with django_assert_num_queries(2):
            anon.get("/api/v1/organizations/")
        OrganizationFactory.create_batch(5, parent=OrganizationFactory())
        with django_assert_num_queries(2):
            assert anon.get("/api/v1/organizations/").json()["count"] == 8


class TestFamiliesAndCheckpoints:
    def test_family_shows_developer_and_origin_country(self, anon, france):
        developer = OrganizationFactory(name="Mistral AI", slug="mistral-ai", country=france)
        ModelFamilyFactory(slug="mistral", name="Mistral", developer=developer)
        body = anon.get("/api/v1/families/mistral/").json()
        assert body["origin_country"] == {"iso2": "FR", "name": "France"}
        assert body["developer"]["slug"] == "mistral-ai"
        assert anon.get("/api/v1/families/", {"origin_country": "FR"}).json()["count"] == 1

    def test_curator_creates_family_with_partial_release_date_and_edits_it(self, as_curator, france):
        OrganizationFactory(name="Mistral AI", slug="mistral-ai", country=france)
        created = as_curator.post("/api/v1/families/", {
            "slug": "mistral", "name": "Mistral", "developer": "mistral-ai", "first_release": "2023-09",
            "hub_prefixes": ["mistralai/"],
        })
        assert created.status_code == 201, created.json()
        assert created.json()["first_release"] == "2023-09"
        assert created.json()["origin_country"]["iso2"] == "FR"  # derived from the developer
        edited = as_curator.patch("/api/v1/families/mistral/", {"first_release": "2023", "version": 1})
        assert edited.status_code == 200 and edited.json()["first_release"] == "2023"
        assert ModelFamily.objects.get(slug="mistral").first_release_precision == "year"

    def test_bad_family_input_names_the_fields(self, as_curator):
        ModelFamilyFactory(slug="qwen")
        response = as_curator.post("/api/v1/families/", {
            "slug": "qwen-2", "name": "Qwen again", "first_release": "23-09", "developer": "nobody",
        })
        assert response.status_code == 400
        assert {"first_release", "developer"} == set(response.json())
        taken = as_curator.post("/api/v1/families/", {"slug": "qwen", "name": "Qwen again"})
        assert taken.status_code == 400 and "slug" in taken.json()

    def test_slugs_are_strings_not_numbers(self, as_curator):
        """Found by schemathesis as a curator: `"developer": 0` was read as the slug "0"."""
        OrganizationFactory(slug="0")
        family = ModelFamilyFactory(slug="qwen")
        response = as_curator.patch("/api/v1/families/qwen/", {"developer": 0})
        assert response.status_code == 400 and response.json() == {"developer": ["Give the organization by its slug."]}
        assert as_curator.post("/api/v1/checkpoints/", {"family": 1, "repo_id": "Qwen/X"}).status_code == 400
        base = CheckpointFactory(family=family, repo_id="Qwen/Base")
        by_id = as_curator.post("/api/v1/checkpoints/",
                                {"family": "qwen", "repo_id": "Qwen/X", "derived_from": base.pk})
        assert by_id.status_code == 201, by_id.json()  # a checkpoint is named by its id, a number, or its repo id

    def test_checkpoints_by_family_and_derivation(self, as_curator, anon):
        qwen = ModelFamilyFactory(slug="qwen")
        deepseek = ModelFamilyFactory(slug="deepseek")
        base = CheckpointFactory(family=qwen, repo_id="Qwen/Qwen2.5-32B")
        created = as_curator.post("/api/v1/checkpoints/", {
            "family": "deepseek", "repo_id": "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B",
            "derived_from": "Qwen/Qwen2.5-32B", "parameters": 32_000_000_000, "license": "MIT",
        })
        assert created.status_code == 201, created.json()
        assert created.json()["derived_from"] == {"id": base.pk, "repo_id": "Qwen/Qwen2.5-32B", "name": ""}
        assert created.json()["family"]["slug"] == "deepseek"
        by_family = anon.get("/api/v1/checkpoints/", {"family": "deepseek"}).json()
        assert [row["repo_id"] for row in by_family["results"]] == ["deepseek-ai/DeepSeek-R1-Distill-Qwen-32B"]
        derived = anon.get("/api/v1/checkpoints/", {"derived_from": base.pk}).json()
        assert derived["count"] == 1
        assert deepseek.checkpoints.count() == 1

    def test_bad_checkpoint_input(self, as_curator):
        ModelFamilyFactory(slug="qwen")
        response = as_curator.post("/api/v1/checkpoints/", {
            "family": "qwen", "repo_id": "not a repo", "parameters": 10**30, "release_date": "2999-01-01",
        })
        assert response.status_code == 400
        assert {"repo_id", "parameters"} <= set(response.json())
        future = as_curator.post("/api/v1/checkpoints/", {
            "family": "qwen", "repo_id": "Qwen/Future", "release_date": "2999-01-01",
        })
        assert future.status_code == 400 and not Checkpoint.objects.filter(repo_id="Qwen/Future").exists()

    def test_stale_checkpoint_edit_is_refused(self, as_curator):
        checkpoint = CheckpointFactory(repo_id="Qwen/Qwen3-8B")
        assert as_curator.patch(f"/api/v1/checkpoints/{checkpoint.pk}/", {"name": "Qwen3 8B"}).status_code == 200
        stale = as_curator.patch(f"/api/v1/checkpoints/{checkpoint.pk}/", {"name": "x"}, HTTP_IF_MATCH='W/"1"')
        assert stale.status_code == 412
        bad = as_curator.patch(f"/api/v1/checkpoints/{checkpoint.pk}/", {"name": "x"}, HTTP_IF_MATCH="soon")
        assert bad.status_code == 400 and "If-Match" in bad.json()

    def test_a_cited_checkpoint_keeps_its_family(self, as_curator):
        from tests.factories import AdoptionFactory

        checkpoint = CheckpointFactory(family=ModelFamilyFactory(slug="qwen"))
        AdoptionFactory(family=checkpoint.family, checkpoint=checkpoint)
        ModelFamilyFactory(slug="llama")
        response = as_curator.patch(f"/api/v1/checkpoints/{checkpoint.pk}/", {"family": "llama"})
        assert response.status_code == 400 and "family" in response.json()

    @pytest.mark.parametrize("url", ["/api/v1/families/", "/api/v1/checkpoints/", "/api/v1/regions/"])
    def test_list_query_counts_are_constant(self, anon, url, django_assert_num_queries):
        CheckpointFactory()
        with django_assert_num_queries(2):
            anon.get(url)
        CheckpointFactory.create_batch(4)
        with django_assert_num_queries(2):
            anon.get(url)
