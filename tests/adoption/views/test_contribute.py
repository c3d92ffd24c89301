"""The contribution pages: propose, keep input on errors, add sources without JavaScript, duplicates first,
edit and resubmit, withdraw, corrections to published records, rate limits and CSRF."""

import re

import pytest
from django.test import Client

from adoption.choices import Action, ChangeRequestStatus, Status
from adoption.models import Adoption, ChangeRequest, Organization
from adoption.services import moderation, records
from tests.factories import AdoptionFactory, EvidenceFactory

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def form_data(family="qwen", adopter="AI Singapore", sources=None, **overrides):
    sources = sources if sources is not None else [
        {"url": "https://huggingface.co/aisingapore/model", "kind": "model_card", "title": "Model card"},
    ]
    data = {
        "adopter_choice": "existing", "adopter": adopter, "family": family, "checkpoint": "",
        "relation": "continued_pretraining", "stage": "production", "product_name": "Qwen-SEA-LION-v4",
        "product_url": "aisingapore/Qwen-SEA-LION-v4-32B-IT", "started": "2025-11", "ended_on": "",
        "sectors": "public services, education", "languages": "ms, id, th", "summary": "A regional model.",
        "evidence-TOTAL_FORMS": str(len(sources)), "evidence-INITIAL_FORMS": "0",
        "evidence-MIN_NUM_FORMS": "1", "evidence-MAX_NUM_FORMS": "20", "action": "draft",
    }
    for i, source in enumerate(sources):
        for key in ("url", "kind", "title", "publisher", "published_on", "quote"):
            data[f"evidence-{i}-{key}"] = source.get(key, "")
    data.update(overrides)
    return data


@pytest.fixture
def contributor_client(signed_in, contributor):
    return signed_in(contributor)


def test_anonymous_is_sent_to_log_in(client):
    response = client.get("/contribute/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/contribute/")


def test_form_has_labelled_fields_and_one_source_row(contributor_client, qwen, aisg):
    body = contributor_client.get("/contribute/").content.decode()
    for label in ("Organization", "Base model family", "Checkpoint (optional)", "How it builds on the family",
                  "Started", "Web address", "Kind of source"):
        assert f">{label}" in body
    assert 'name="evidence-0-url"' in body and 'name="evidence-1-url"' not in body
    assert '<option value="AI Singapore">' in body  # the datalist: search as you type without JavaScript
    assert "<title>Propose an adoption" in body


def test_save_draft_through_the_service(contributor_client, contributor, qwen, qwen3, aisg):
    response = contributor_client.post("/contribute/", form_data(checkpoint=str(qwen3.pk)))
    adoption = Adoption.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/adoptions/{adoption.pk}/"
    assert adoption.status == Status.DRAFT and adoption.created_by == contributor
    assert adoption.adopter == aisg and adoption.checkpoint == qwen3
    assert (adoption.started_on.isoformat(), adoption.started_precision) == ("2025-11-01", "month")
    assert adoption.sectors == ["public services", "education"] and adoption.languages == ["ms", "id", "th"]
    assert list(adoption.evidence.values_list("url", flat=True)) == ["https://huggingface.co/aisingapore/model"]
    assert adoption.events.filter(action=Action.CREATE).exists()
    page = contributor_client.get(response["Location"]).content.decode()
    assert "This is your draft" in page and "Submit for review" in page


def test_submit_goes_to_curators(contributor_client, qwen, aisg):
    response = contributor_client.post("/contribute/", form_data(action="submit"))
    assert response.status_code == 302 and response["Location"] == "/me/submissions/"
    assert Adoption.objects.get().status == Status.SUBMITTED


def test_errors_keep_every_value_and_show_messages_at_fields(contributor_client, qwen, aisg):
    data = form_data(
        started="2025-13", adopter="Nobody Such Org", languages="ms", sources=[
            {"url": "https://example.org/one", "kind": "press", "title": "Kept title", "quote": "kept quote"},
            {"url": "not a url", "kind": "paper", "title": "Second"},
        ],
    )
    response = contributor_client.post("/contribute/", data)
    assert response.status_code == 400
    body = response.content.decode()
    assert Adoption.objects.count() == 0
    assert "<title>Error: Propose an adoption" in body
    # values kept
    for value in ('value="Nobody Such Org"', 'value="2025-13"', 'value="Qwen-SEA-LION-v4"', "A regional model.",
                  'value="https://example.org/one"', 'value="Kept title"', "kept quote", 'value="not a url"'):
        assert value in body, value
    assert re.search(r'<option value="qwen" selected>', body)
    # messages next to their fields, linked for screen readers
    assert 'id="id_started_error"' in body and "not a real date" in body
    assert 'id="id_adopter_error"' in body and "No organization called" in body
    assert 'id="id_evidence-1-url_error"' in body
    assert 'aria-invalid="true"' in body


def test_add_another_source_without_javascript_keeps_values_and_shows_no_errors(contributor_client, qwen, aisg):
    data = form_data(adopter="", add_source="1", summary="Half-written summary")
    response = contributor_client.post("/contribute/", data)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="evidence-1-url"' in body and 'name="evidence-2-url"' not in body
    assert 'value="https://huggingface.co/aisingapore/model"' in body and "Half-written summary" in body
    assert 'class="errorlist' not in body and "Please correct" not in body
    assert 'name="evidence-TOTAL_FORMS" value="2"' in body
    assert Adoption.objects.count() == 0


def test_two_sources_and_a_removed_row(contributor_client, qwen, aisg):
    data = form_data(sources=[
        {"url": "https://example.org/a", "kind": "model_card"},
        {"url": "https://example.org/b", "kind": "press"},
        {"url": "https://example.org/c", "kind": "press"},
    ])
    data["evidence-2-DELETE"] = "on"
    contributor_client.post("/contribute/", data)
    adoption = Adoption.objects.get()
    assert sorted(adoption.evidence.values_list("url", flat=True)) == ["https://example.org/a", "https://example.org/b"]
    assert adoption.confidence == "high"


def test_at_least_one_source(contributor_client, qwen, aisg):
    data = form_data(sources=[{"url": "https://example.org/a"}])
    data["evidence-0-DELETE"] = "on"
    response = contributor_client.post("/contribute/", data)
    assert response.status_code == 400
    assert "Please submit at least 1 form" in response.content.decode()


def test_propose_a_new_adopter(contributor_client, contributor, qwen, singapore):
    data = form_data(adopter_choice="new", adopter="", new_name="Sea Lion Labs", new_kind="startup",
                     new_country="SG", new_city="Singapore")
    response = contributor_client.post("/contribute/", data)
    assert response.status_code == 302
    org = Organization.objects.get(name="Sea Lion Labs")
    assert not org.is_published and org.country_id == "SG" and org.created_by == contributor
    assert Adoption.objects.get().adopter == org


def test_new_adopter_that_exists_is_named_and_said_so(contributor_client, qwen, aisg):
    data = form_data(adopter_choice="new", adopter="", new_name="ai  singapore", new_country="SG")
    response = contributor_client.post("/contribute/", data, follow=True)
    assert response.status_code == 200
    assert Adoption.objects.get().adopter == aisg
    assert "AI Singapore is already in the registry: your record names it." in response.content.decode()


def test_a_proposal_someone_else_made_is_joined_without_learning_of_their_record(
    signed_in, contributor, other_contributor, curator, qwen, singapore
):
    """Alice's proposal awaits review (or was rejected); Bob proposes the same organization on the form."""
    alice = records.adoption_create(
        user=contributor, data={"family": qwen, "relation": "fine_tune", "product_name": "Secret Alice Project"},
        evidence=[{"url": "https://example.org/alice"}],
        new_adopter={"name": "Lion Speech Co-op", "country": singapore}, submit=True,
    )
    client = signed_in(other_contributor)
    # Her proposal's slug or name is no more use to him than a made-up one, and says nothing of it.
    for typed in (alice.adopter.slug, "Lion Speech Co-op"):
        unknown = client.post("/contribute/", form_data(adopter=typed)).content.decode()
        assert f"No organization called “{typed}” in the registry" in unknown
    data = form_data(adopter_choice="new", adopter="", new_name="lion speech coop", new_country="SG",
                     product_name="Bob's ASR", action="submit")
    response = client.post("/contribute/", data, follow=True)
    bobs = Adoption.objects.get(created_by=other_contributor)
    assert bobs.adopter_id == alice.adopter_id
    # Not submitted yet only if duplicates showed: Bob sees none of Alice's, so it went straight in.
    assert bobs.status == Status.SUBMITTED
    body = response.content.decode()
    assert "Lion Speech Co-op has already been proposed and awaits a curator&#x27;s review" in body
    page = client.get(f"/adoptions/{bobs.pk}/").content.decode()
    for text in (body, page):
        assert "Secret Alice Project" not in text and f"#{alice.pk}" not in text and "carla" not in text


def test_a_different_country_is_another_organization(contributor_client, contributor, other_contributor, qwen,
                                                     singapore, china):
    records.adoption_create(user=other_contributor, data={"family": qwen, "relation": "fine_tune"},
                            evidence=[{"url": "https://example.org/a"}],
                            new_adopter={"name": "Lion Speech Co-op", "country": singapore})
    contributor_client.post("/contribute/", form_data(adopter_choice="new", adopter="", new_name="Lion Speech Co-op",
                                             new_country="CN"))
    mine = Adoption.objects.get(created_by=contributor).adopter
    assert (mine.name, mine.country_id, mine.created_by) == ("Lion Speech Co-op", "CN", contributor)
    assert Organization.objects.filter(name="Lion Speech Co-op").count() == 2


def test_editing_a_draft_that_joined_a_proposal_keeps_its_adopter(signed_in, contributor, other_contributor, qwen,
                                                                  singapore):
    records.adoption_create(user=contributor, data={"family": qwen, "relation": "fine_tune"},
                            evidence=[{"url": "https://example.org/a"}],
                            new_adopter={"name": "Lion Speech Co-op", "country": singapore}, submit=True)
    client = signed_in(other_contributor)
    client.post("/contribute/", form_data(adopter_choice="new", adopter="", new_name="Lion Speech Co-op",
                                          new_country="SG"))
    draft = Adoption.objects.get(created_by=other_contributor)
    page = client.get(f"/me/submissions/{draft.pk}/edit/").content.decode()
    assert 'value="Lion Speech Co-op"' in page
    response = client.post(f"/me/submissions/{draft.pk}/edit/", form_data(
        adopter="Lion Speech Co-op", product_name="Renamed", version=str(draft.version)))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.product_name == "Renamed"


def test_duplicates_found_after_saving_are_shown_on_the_record(contributor_client, contributor, qwen, aisg):
    """The README's example: the same adopter and family, no product name, another source."""
    existing = AdoptionFactory(adopter=aisg, family=qwen, product_name="Sunflower-32B", published=True)
    response = contributor_client.post("/contribute/", form_data(product_name="", action="submit", sources=[
        {"url": "https://example.org/announcement", "kind": "official_announcement"}]), follow=True)
    body = response.content.decode()
    assert "Possible duplicates" in body and f"#{existing.pk}" in body and "same adopter and family" in body


@pytest.mark.parametrize(("url", "reason"), [
    ("http://127.0.0.1:8000/admin/", "non-public address (127.0.0.1)"),
    ("http://0x7f000001/", "non-public address (127.0.0.1)"),
    ("http://[::ffff:127.0.0.1]/", "non-public address (::ffff:127.0.0.1)"),
    ("http://localhost/card", "this computer (localhost)"),
    ("https://me:pw@example.org/card", "user name or password"),
])
def test_a_source_that_can_never_be_evidence_is_a_form_error(contributor_client, qwen, aisg, url, reason):
    response = contributor_client.post("/contribute/", form_data(sources=[{"url": url, "kind": "press"}]))
    assert response.status_code == 400 and not Adoption.objects.exists()
    body = response.content.decode()
    assert 'id="id_evidence-0-url_error"' in body and reason in body
    assert f'value="{url}"' in body  # kept to correct


def test_a_tampered_source_count_is_one_short_error_with_the_input_kept(contributor_client, qwen, aisg):
    data = form_data(summary="Kept summary")
    data["evidence-TOTAL_FORMS"] = "100000"
    response = contributor_client.post("/contribute/", data)
    assert response.status_code == 400 and not Adoption.objects.exists()
    body = response.content.decode()
    assert len(body) < 150_000
    assert body.count('name="evidence-') <= 20 * 8
    assert "Please submit at most 20 forms." in body
    assert "Kept summary" in body and 'value="https://huggingface.co/aisingapore/model"' in body


def test_who_sees_a_draft_is_said_truthfully(contributor_client, signed_in, curator, qwen, aisg):
    response = contributor_client.post("/contribute/", form_data(), follow=True)
    body = response.content.decode()
    assert "nobody else" not in body
    assert "only you and the registry&#x27;s curators can open it" in body
    draft = Adoption.objects.get()
    assert signed_in(curator).get(f"/adoptions/{draft.pk}/").status_code == 200  # which is why the text names them


def test_checkpoint_of_another_family_is_refused(contributor_client, qwen, llama, aisg):
    from tests.factories import CheckpointFactory

    other = CheckpointFactory(family=llama, repo_id="meta-llama/Llama-3.1-8B")
    response = contributor_client.post("/contribute/", form_data(checkpoint=str(other.pk)))
    assert response.status_code == 400
    assert "is not a checkpoint of Qwen" in response.content.decode()


def test_future_start_date_is_refused(contributor_client, qwen, aisg):
    response = contributor_client.post("/contribute/", form_data(started="2999"))
    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()


def test_duplicates_are_shown_before_submitting(contributor_client, contributor, published, qwen, aisg):
    response = contributor_client.post("/contribute/", form_data(action="submit"))
    draft = Adoption.objects.exclude(pk=published.pk).get()
    assert draft.status == Status.DRAFT  # not submitted yet
    assert response["Location"] == f"/adoptions/{draft.pk}/"
    page = contributor_client.get(response["Location"]).content.decode()
    assert "Possible duplicates" in page and f"#{published.pk}" in page
    assert "Submit anyway" in page
    response = contributor_client.post(f"/me/submissions/{draft.pk}/submit/",
                                       {"duplicates_seen": "1", "note": "A new release."})
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED
    assert draft.events.get(action=Action.SUBMIT).comment == "A new release."


def _draft(user, family, adopter, **data):
    return records.adoption_create(
        user=user, data={"adopter": adopter, "family": family, "relation": "fine_tune", **data},
        evidence=[{"url": "https://example.org/card", "kind": "model_card"}],
    )


def test_edit_and_resubmit_after_changes_requested(contributor_client, contributor, curator, qwen, aisg):
    adoption = _draft(contributor, qwen, aisg, product_name="Old name")
    adoption = moderation.adoption_submit(adoption=adoption, user=contributor)
    moderation.adoption_request_changes(adoption=adoption, user=curator, comment="Cite the model card, please.")
    listing = contributor_client.get("/me/submissions/").content.decode()
    assert "Cite the model card, please." in listing and "Edit and resubmit" in listing
    page = contributor_client.get(f"/me/submissions/{adoption.pk}/edit/").content.decode()
    assert 'value="Old name"' in page and 'value="https://example.org/card"' in page
    adoption.refresh_from_db()
    data = form_data(product_name="New name", action="submit", version=str(adoption.version), sources=[
        {"url": "https://example.org/card", "kind": "model_card"},
        {"url": "https://example.org/announcement", "kind": "official_announcement"},
    ])
    data["evidence-INITIAL_FORMS"] = "1"
    response = contributor_client.post(f"/me/submissions/{adoption.pk}/edit/", data)
    assert response.status_code == 302
    adoption.refresh_from_db()
    assert adoption.status == Status.SUBMITTED and adoption.product_name == "New name"
    assert adoption.evidence.count() == 2


def test_stale_edit_is_refused_with_a_message(contributor_client, contributor, qwen, aisg):
    adoption = _draft(contributor, qwen, aisg)
    stale = adoption.version
    records.adoption_update(adoption=adoption, user=contributor, data={"product_name": "Changed elsewhere"})
    response = contributor_client.post(f"/me/submissions/{adoption.pk}/edit/", form_data(version=str(stale)))
    assert response.status_code == 409
    assert "changed" in response.content.decode() and "since you loaded it" in response.content.decode()


def test_others_cannot_open_or_edit_a_draft(signed_in, other_contributor, contributor, qwen, aisg):
    adoption = _draft(contributor, qwen, aisg)
    client = signed_in(other_contributor)
    assert client.get(f"/me/submissions/{adoption.pk}/edit/").status_code == 404
    assert client.post(f"/me/submissions/{adoption.pk}/withdraw/").status_code == 404
    assert client.get(f"/adoptions/{adoption.pk}/").status_code == 404


def test_withdraw(contributor_client, contributor, qwen, aisg):
    adoption = _draft(contributor, qwen, aisg)
    response = contributor_client.post(f"/me/submissions/{adoption.pk}/withdraw/")
    assert response.status_code == 302
    adoption.refresh_from_db()
    assert adoption.status == Status.WITHDRAWN


def test_published_record_cannot_be_edited_in_place(contributor_client, contributor, qwen, aisg):
    adoption = AdoptionFactory(adopter=aisg, family=qwen, created_by=contributor, published=True)
    response = contributor_client.get(f"/me/submissions/{adoption.pk}/edit/")
    assert response.status_code == 302


def test_propose_a_correction_to_a_published_record(contributor_client, contributor, published):
    page = contributor_client.get(f"/adoptions/{published.pk}/propose-change/").content.decode()
    assert 'value="Qwen-SEA-LION-v4"' in page
    data = {"relation": published.relation, "stage": "discontinued", "checkpoint": "",
            "product_name": published.product_name, "product_url": "", "started": "2025-03", "ended_on": "",
            "sectors": "", "languages": "", "summary": "", "comment": "The service was switched off (source)."}
    response = contributor_client.post(f"/adoptions/{published.pk}/propose-change/", data)
    assert response.status_code == 302
    change = ChangeRequest.objects.get()
    assert change.proposed == {"stage": "discontinued"} and change.status == ChangeRequestStatus.PENDING
    published.refresh_from_db()
    assert published.stage == "production"  # never changed silently


def test_correction_without_changes_is_refused(contributor_client, published):
    data = {"relation": published.relation, "stage": published.stage, "checkpoint": "",
            "product_name": published.product_name, "product_url": "", "started": "2025-03", "ended_on": "",
            "sectors": "", "languages": "", "summary": "", "comment": "nothing"}
    response = contributor_client.post(f"/adoptions/{published.pk}/propose-change/", data)
    assert response.status_code == 400 and ChangeRequest.objects.count() == 0


def test_xss_in_every_text_field_renders_inert(contributor_client, signed_in, contributor, curator, qwen, singapore):
    data = form_data(adopter_choice="new", adopter="", new_name=f"Org {XSS}", new_city=XSS, product_name=XSS,
                     product_url=XSS, sectors=XSS, summary=XSS, sources=[
                         {"url": "https://example.org/x", "kind": "press", "title": XSS, "publisher": XSS,
                          "quote": XSS},
                     ], languages="")
    response = contributor_client.post("/contribute/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    adoption = Adoption.objects.get()
    edit_page = contributor_client.get(f"/me/submissions/{adoption.pk}/edit/").content.decode()
    assert "<script>alert" not in edit_page and "&lt;script&gt;alert" in edit_page
    moderation.adoption_submit(adoption=adoption, user=contributor)
    for url in (f"/adoptions/{adoption.pk}/", "/me/submissions/"):
        body = contributor_client.get(url).content.decode()
        assert "<script>alert" not in body and "<img src=x" not in body, url
        assert "&lt;script&gt;alert" in body, url
    curator_client = signed_in(curator)
    for url in ("/moderation/", f"/moderation/{adoption.pk}/"):
        body = curator_client.get(url).content.decode()
        assert "<script>alert" not in body and "<img src=x" not in body, url
        assert "&lt;script&gt;alert" in body, url


def test_form_errors_escape_what_was_typed(contributor_client, qwen):
    response = contributor_client.post("/contribute/", form_data(adopter=XSS, started=XSS))
    body = response.content.decode()
    assert response.status_code == 400
    assert "<script>alert" not in body and "&lt;script&gt;" in body


def test_csrf_is_enforced(contributor, qwen, aisg):
    client = Client(enforce_csrf_checks=True)
    client.force_login(contributor)
    assert client.post("/contribute/", form_data()).status_code == 403
    page = client.get("/contribute/")
    token = page.cookies["csrftoken"].value
    response = client.post("/contribute/", {**form_data(), "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and Adoption.objects.count() == 1


def test_submission_rate_limit(contributor_client, settings, qwen, aisg):
    settings.PAGE_RATE_LIMITS = {"submission": "2/hour"}
    for n in range(2):
        assert contributor_client.post("/contribute/", form_data(product_name=f"P{n}")).status_code == 302
    response = contributor_client.post("/contribute/", form_data(product_name="Third"))
    assert response.status_code == 429
    body = response.content.decode()
    assert "many submissions" in body and 'value="Third"' in body
    assert Adoption.objects.count() == 2


def test_adopter_search_json(client, contributor, aisg):
    Organization.objects.create(name="Hidden proposal", slug="hidden", is_published=False)
    data = client.get("/contribute/adopters.json?q=singa").json()
    assert [r["name"] for r in data["results"]] == ["AI Singapore"]
    assert data["results"][0]["country"] == "Singapore"
    assert client.get("/contribute/adopters.json?q=hidden").json()["results"] == []
    assert client.get("/contribute/adopters.json?q=a").json()["results"] == []


def test_my_submissions_lists_only_mine(contributor_client, contributor, other_contributor, qwen, aisg):
    mine = _draft(contributor, qwen, aisg, product_name="Mine")
    _draft(other_contributor, qwen, aisg, product_name="Theirs")
    EvidenceFactory(adoption=mine, url="https://example.org/extra")
    body = contributor_client.get("/me/submissions/").content.decode()
    assert "Mine" in body and "Theirs" not in body
