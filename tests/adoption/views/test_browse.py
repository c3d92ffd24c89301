"""Public pages: home, the filtered list, a record, an organization, a family, a country; who sees what."""

import pytest
from django.test import Client

from adoption.choices import Status
from tests.factories import AdoptionFactory, CheckpointFactory, EvidenceFactory, OrganizationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]


def test_home_shows_figures_map_and_latest(client, published, llama, usa):
    AdoptionFactory(adopter=OrganizationFactory(name="Texas Gov", country=usa), family=llama, published=True)
    body = client.get("/").content.decode()
    assert "<title>Who builds on which open model" in body
    assert "<strong>2</strong> published adoptions" in body
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in body and "<title>Singapore: 1 adoption" in body
    assert "AI Singapore" in body and "Texas Gov" in body
    assert 'aria-label="China 50%, United States 50%"' in body


def test_list_uses_the_shared_filters(client, published, llama, usa):
    AdoptionFactory(adopter=OrganizationFactory(name="Texas Gov", country=usa),
                    family=llama, product_name="Lone Star", published=True)
    body = client.get("/adoptions/?family=llama").content.decode()
    assert "Lone Star" in body and "Qwen-SEA-LION-v4" not in body
    assert "1 adoption matches the filters" in body
    body = client.get("/adoptions/?country=sg").content.decode()
    assert "Qwen-SEA-LION-v4" in body and "Lone Star" not in body
    body = client.get("/adoptions/?q=lone").content.decode()
    assert "Lone Star" in body and "Qwen-SEA-LION-v4" not in body


def test_list_bad_filter_is_400_with_a_message(client, published):
    response = client.get("/adoptions/?since=2025-13&relation=teleport")
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_since_error"' in body and 'id="id_relation_error"' in body
    assert 'value="2025-13"' in body


def test_list_sorts_and_paginates_with_few_queries(client, qwen, aisg, django_assert_max_num_queries):
    for n in range(30):
        AdoptionFactory(adopter=OrganizationFactory(name=f"Org {n:02d}"), family=qwen, published=True)
    with django_assert_max_num_queries(8):
        body = client.get("/adoptions/?ordering=-adopter").content.decode()
    assert body.index("Org 29") < body.index("Org 28")
    assert 'aria-sort="descending"' in body and "Page 1 of 2" in body
    assert 'href="?ordering=-adopter&amp;page=2"' in body
    body = client.get("/adoptions/?ordering=-adopter&page=2").content.decode()
    assert "Org 00" in body and "Org 29" not in body


def test_list_hides_unpublished(client, qwen, aisg):
    AdoptionFactory(adopter=aisg, family=qwen, status=Status.SUBMITTED, product_name="Pending thing")
    assert "Pending thing" not in client.get("/adoptions/").content.decode()


def test_record_page_shows_evidence_lineage_log_and_history(client, published, qwen):
    base = CheckpointFactory(family=qwen, repo_id="Qwen/Qwen2.5-32B")
    published.checkpoint = CheckpointFactory(family=qwen, repo_id="Qwen/Qwen3-32B", derived_from=base)
    published.save()
    EvidenceFactory(adoption=published, url="https://huggingface.co/x", title="Card", quote="Built on Qwen3")
    body = client.get(f"/adoptions/{published.pk}/").content.decode()
    assert "Built on Qwen3" in body and "link unchecked" in body
    assert body.index("Qwen/Qwen3-32B") < body.index("Qwen/Qwen2.5-32B")  # lineage, nearest first
    assert "Moderation log" in body and "History" in body and "Changed" in body
    assert 'rel="noopener noreferrer nofollow external"' in body


def test_record_visibility(signed_in, client, contributor, other_contributor, curator, qwen, aisg):
    draft = AdoptionFactory(adopter=aisg, family=qwen, status=Status.DRAFT, created_by=contributor)
    assert client.get(f"/adoptions/{draft.pk}/").status_code == 404
    client = signed_in(other_contributor)
    assert client.get(f"/adoptions/{draft.pk}/").status_code == 404
    client = signed_in(contributor)
    assert client.get(f"/adoptions/{draft.pk}/").status_code == 200
    client = signed_in(curator)
    assert client.get(f"/adoptions/{draft.pk}/").status_code == 200


def test_comments_only_for_owner_and_curators(signed_in, client, contributor, curator, qwen, aisg):
    from adoption.services import moderation, records

    adoption = records.adoption_create(
        user=contributor, data={"adopter": aisg, "family": qwen, "relation": "fine_tune"},
        evidence=[{"url": "https://example.org/a", "kind": "press"}], submit=True,
    )
    moderation.adoption_claim(adoption=adoption, user=curator)
    moderation.adoption_approve(adoption=adoption, user=curator, comment="Internal note for the contributor")
    assert "Internal note" not in client.get(f"/adoptions/{adoption.pk}/").content.decode()
    client = signed_in(contributor)
    assert "Internal note" in client.get(f"/adoptions/{adoption.pk}/").content.decode()


def test_organization_page(client, published, aisg):
    body = client.get("/organizations/ai-singapore/").content.decode()
    assert "<h1>AI Singapore</h1>" in body and "Qwen-SEA-LION-v4" in body
    assert "/contribute/?adopter=ai-singapore" in body


def test_unpublished_organization_is_hidden(signed_in, client, contributor):
    OrganizationFactory(name="Proposed Org", slug="proposed-org", is_published=False, created_by=contributor)
    assert client.get("/organizations/proposed-org/").status_code == 404
    client = signed_in(contributor)
    assert client.get("/organizations/proposed-org/").status_code == 200


def test_merged_organization_redirects(client, aisg):
    OrganizationFactory(name="AISG old", slug="aisg-old", merged_into=aisg)
    response = client.get("/organizations/aisg-old/")
    assert response.status_code == 301 and response["Location"] == "/organizations/ai-singapore/"


def test_family_page_by_country(client, published, qwen, usa):
    AdoptionFactory(adopter=OrganizationFactory(name="US User", country=usa), family=qwen, published=True)
    AdoptionFactory(adopter=OrganizationFactory(name="Other SG", country=published.adopter.country),
                    family=qwen, published=True)
    body = client.get("/families/qwen/").content.decode()
    assert "<h1>Who builds on Qwen</h1>" in body
    sg, us = body.index(">Singapore</a></td><td class=\"num\">2<"), body.index(">United States</a></td><td")
    assert sg < us


def test_country_page_origin_mix(client, published, llama, aisg):
    AdoptionFactory(adopter=aisg, family=llama, published=True)
    body = client.get("/countries/SG/").content.decode()
    assert "<h1>Singapore</h1>" in body and "AI Singapore" in body
    assert "China: 1 (50%)" in body and "United States: 1 (50%)" in body
    assert client.get("/countries/sg/").status_code == 301
    assert client.get("/countries/ZZ/").status_code == 404


def test_friendly_404(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def test_pages_carry_a_csp_nonce_on_the_script(client):
    response = Client().get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.content.decode()
    assert " on" + "click=" not in response.content.decode()


def test_public_record_page_shows_no_draft_stage_edits_nor_who_made_them(
    signed_in, client, contributor, curator, second_curator, qwen, aisg
):
    from adoption.services import moderation, records

    adoption = records.adoption_create(
        user=contributor, data={"adopter": aisg, "family": qwen, "relation": "fine_tune",
                                "summary": "SECRET draft wording"},
        evidence=[{"url": "https://example.org/a", "kind": "press"}],
    )
    records.adoption_update(adoption=adoption, user=second_curator, data={"summary": "Public wording"})
    moderation.adoption_submit(adoption=adoption, user=contributor)
    moderation.adoption_claim(adoption=adoption, user=curator)
    adoption = moderation.adoption_approve(adoption=adoption, user=curator, comment="PRIVATE note")
    moderation.adoption_retract(adoption=adoption, user=curator, comment="Source withdrawn.")
    body = client.get(f"/adoptions/{adoption.pk}/").content.decode()
    history = body[body.index("<h2>Moderation log</h2>"):]
    assert "carla" not in history and "cura2" not in history  # nobody who worked on the draft is named
    assert "SECRET" not in body and "PRIVATE" not in body
    assert "Submit" not in history and "Claim" not in history and "Edit" not in history
    assert "<strong>Published</strong>" in history and "<strong>Retracted</strong>" in history
    assert "Source withdrawn." in history  # a retraction's reason is public
    client = signed_in(contributor)  # the contributor (and the curators) still see the whole story
    history = client.get(f"/adoptions/{adoption.pk}/").content.decode().split("<h2>Moderation log</h2>")[1]
    assert "cura2" in history and "<strong>Created</strong>" in history and "PRIVATE note" in history


def test_the_list_links_its_api_list_without_the_empty_fields_the_api_refuses(client, db):
    from rest_framework.test import APIClient

    body = client.get("/adoptions/", {"q": "", "family": "", "stage": "production", "page": "1"}).content.decode()
    assert 'href="/api/v1/adoptions/?stage=production">this list as JSON' in body
    assert APIClient().get("/api/v1/adoptions/?stage=production").status_code == 200
