"""An adoption's product repo against the latest Hub snapshot: corroborated, contradicted or unverifiable, on
the adoption page, the review page, the API's record and the contributor's submission."""

import pytest

from adoption.models import ModelFamily
from adoption.selectors.corroboration import hub_check, hub_repo_id
from tests.factories import AdoptionFactory, OrganizationFactory

from .snapshot import jsonl, registry
from .test_import import run

pytestmark = pytest.mark.django_db


@pytest.fixture
def snapshot(tmp_path):
    registry()
    run(jsonl(tmp_path / "models.jsonl"))


def _record(family: str, product_url: str, **kwargs):
    return AdoptionFactory(family=ModelFamily.objects.get(slug=family), product_url=product_url,
                           adopter=OrganizationFactory(), **kwargs)


@pytest.mark.parametrize(("text", "repo"), [
    ("aisingapore/sea-lion-qwen", "aisingapore/sea-lion-qwen"),
    ("https://huggingface.co/aisingapore/sea-lion-qwen/tree/main", "aisingapore/sea-lion-qwen"),
    ("https://huggingface.co/datasets/org/data", None),
    ("https://example.org/org/model", None),
    ("", None),
])
def test_the_repo_id_is_read_from_an_id_or_a_hub_address(text, repo):
    assert hub_repo_id(text) == repo


def test_a_fine_tune_two_steps_down_the_familys_tree_is_corroborated(snapshot):
    # sea-lion-lora (4) <- sea-lion-qwen (3) <- Qwen2.5-7B-Instruct (2), under Qwen's prefix
    check = hub_check(_record("qwen", "https://huggingface.co/someone/sea-lion-lora"))
    assert check["status"] == "corroborated" and check["snapshot"] == "2025-08-31"
    assert check["bases"] == [{"repo_id": "aisingapore/sea-lion-qwen", "family": None}]


@pytest.mark.parametrize("product_url", [
    "https://huggingface.co/SomeOne/Sea-Lion-LoRA",  # the Hub spells it in lower case
    "qwen/qwen2.5-7b-instruct",  # the Hub spells it Qwen/Qwen2.5-7B-Instruct
])
def test_repo_ids_match_in_any_case_as_on_the_hub(snapshot, product_url):
    check = hub_check(_record("qwen", product_url))
    assert check["status"] == "corroborated", check["reason"]


def test_a_base_in_another_family_contradicts_the_record(snapshot):
    check = hub_check(_record("llama", "someone/qwen-gguf"))  # a quantization of Qwen2.5-7B
    assert check["status"] == "contradicted"
    assert "qwen" in check["reason"] and "llama" in check["reason"]
    assert check["bases"] == [{"repo_id": "Qwen/Qwen2.5-7B", "family": "qwen"}]


def test_a_merge_of_two_families_corroborates_either(snapshot):
    # someone/merge: a merge of llama-ft (Llama) and sea-lion-qwen (Qwen)
    assert hub_check(_record("llama", "someone/merge"))["status"] == "corroborated"
    assert hub_check(_record("qwen", "someone/merge"))["status"] == "corroborated"
    assert hub_check(_record("mistral", "someone/merge"))["status"] == "contradicted"


@pytest.mark.parametrize(("product_url", "reason"), [
    ("someone/not-on-the-hub", "is not in the Hub snapshot"),
    ("orphan/base", "lists no base model"),
    ("cyc/c", "lead to no family"),  # below a cycle: no family among its ancestors
    ("https://example.org/product", "names no Hugging Face repo id"),
])
def test_what_cannot_be_checked_says_why(snapshot, product_url, reason):
    check = hub_check(_record("qwen", product_url))
    assert check["status"] == "unverifiable" and reason in check["reason"]


def test_without_a_snapshot_nothing_is_verifiable(db):
    registry()
    check = hub_check(_record("qwen", "someone/qwen-gguf"))
    assert check["status"] == "unverifiable" and check["snapshot"] is None


def test_the_check_is_shown_to_readers_curators_and_contributors(snapshot, client, curator, contributor, signed_in,
                                                                 api_client_for):
    published = _record("llama", "someone/qwen-gguf", published=True)
    page = client.get(published.get_absolute_url()).content.decode()
    assert "Contradicted" in page and "Qwen/Qwen2.5-7B" in page
    assert client.get(f"/api/v1/adoptions/{published.pk}/").json()["hub_check"]["status"] == "contradicted"
    review = signed_in(curator).get(f"/moderation/{published.pk}/").content.decode()
    assert "Contradicted" in review and "The record says" in review

    # A contributor submitting through the API gets the check in the answer.
    answer = api_client_for(contributor).post("/api/v1/submissions/", {
        "adopter": published.adopter.slug, "family": "qwen", "relation": "fine_tune",
        "product_url": "https://huggingface.co/someone/qwen-gguf",
        "evidence": [{"url": "https://example.org/news/qwen-gguf", "kind": "press"}], "submit": True,
    }, format="json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["hub_check"]["status"] == "corroborated"


def test_curators_get_the_published_records_a_new_snapshot_contradicts(db, tmp_path, curator, contributor,
                                                                       signed_in):
    registry()
    contradicted = _record("llama", "someone/qwen-gguf", published=True)  # the Hub: a quantization of Qwen
    corroborated = _record("qwen", "someone/qwen-gguf", published=True)
    draft = _record("mistral", "someone/qwen-gguf")  # not published: the review page shows it
    unverifiable = _record("qwen", "someone/not-on-the-hub", published=True)

    # The import's summary flags them, pointing to the curators' page.
    output = run(jsonl(tmp_path / "models.jsonl"))
    assert f"The Hub contradicts 1 published record (the product traces to other families): #{contradicted.pk}." \
        in output and "/moderation/hub/" in output

    page = signed_in(curator).get("/moderation/hub/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"/moderation/{contradicted.pk}/" in html
    # Both claims: the record's family and repo id, and where the Hub traces it, with its declared base.
    assert "Llama" in html and "someone/qwen-gguf" in html
    assert "The Hub traces someone/qwen-gguf to qwen, not to llama." in html and "Qwen/Qwen2.5-7B" in html
    for other in (corroborated, draft, unverifiable):
        assert f"/moderation/{other.pk}/" not in html
    assert "/moderation/hub/" in signed_in(curator).get("/moderation/").content.decode()
    assert signed_in(contributor).get("/moderation/hub/").status_code == 403


def test_before_any_snapshot_the_curators_page_says_so(db, curator, signed_in):
    html = signed_in(curator).get("/moderation/hub/").content.decode()
    assert "No Hub snapshot has been imported yet" in html


def test_the_curators_page_reads_the_same_few_queries_for_any_number_of_records(snapshot, curator, signed_in,
                                                                                django_assert_max_num_queries):
    client = signed_in(curator)
    _record("llama", "someone/qwen-gguf", published=True)
    client.get("/moderation/hub/")  # the session, the user and their groups: read once, like every page
    with django_assert_max_num_queries(25) as one:
        assert client.get("/moderation/hub/").status_code == 200
    # Contradicted (Qwen or Llama and Qwen, not Mistral) and unverifiable ones, 20 more records.
    added = [_record("mistral", product, published=True)
             for product in ("someone/qwen-gguf", "https://huggingface.co/someone/sea-lion-lora", "someone/merge",
                             "cyc/c", "someone/not-on-the-hub") * 4]
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get("/moderation/hub/").content.decode()
    listed = [record for record in added if f'href="/moderation/{record.pk}/"' in page]
    assert len(listed) == 12
