"""A hand-written Hub snapshot with every tag form, and the registry it is matched against.

The expected figures in the tests are counted by hand from the list below (model numbers in comments)."""

import json

from tests.factories import CheckpointFactory, CountryFactory, ModelFamilyFactory, OrganizationFactory

MODELS = [
    # 1: a Qwen checkpoint (under the family's prefix), a root
    {"id": "Qwen/Qwen2.5-7B", "author": "Qwen", "downloads": 1000, "downloadsAllTime": 5000, "likes": 90,
     "createdAt": "2024-09-01T10:00:00.000Z", "pipeline_tag": "text-generation", "library_name": "transformers",
     "tags": ["transformers", "safetensors"]},
    # 2: another Qwen checkpoint, a fine-tune of 1 (both tag forms for one base)
    {"id": "Qwen/Qwen2.5-7B-Instruct", "author": "Qwen", "downloads": 500, "createdAt": "2024-09-15T00:00:00Z",
     "tags": ["base_model:Qwen/Qwen2.5-7B", "base_model:finetune:Qwen/Qwen2.5-7B"]},
    # 3: fine-tune of 2, uploaded by AI Singapore (its handle in another case)
    {"id": "aisingapore/sea-lion-qwen", "author": "aisingapore", "downloads": 100,
     "createdAt": "2025-01-10T08:00:00Z", "tags": ["base_model:finetune:Qwen/Qwen2.5-7B-Instruct"]},
    # 4: an adapter of 3 (plain tag, relation from the `lora` tag); no author: taken from the id
    {"id": "someone/sea-lion-lora", "downloads": 10, "createdAt": "2025-01-20T00:00:00Z",
     "tags": ["base_model:aisingapore/sea-lion-qwen", "lora"]},
    # 5: a quantization of 1
    {"id": "someone/qwen-gguf", "downloads": 40, "createdAt": "2025-02-03T00:00:00Z",
     "tags": ["gguf", "base_model:quantized:Qwen/Qwen2.5-7B", "base_model:Qwen/Qwen2.5-7B"]},
    # 6: a fine-tune of a Llama checkpoint the snapshot lacks (from the card alone, as a string)
    {"id": "someone/llama-ft", "downloads": 20, "createdAt": "2025-01-05T00:00:00Z", "tags": [],
     "cardData": {"base_model": "meta-llama/Llama-3.1-8B"}},
    # 7: a merge of 6 and 3 (two parents)
    {"id": "someone/merge", "downloads": 30, "createdAt": "2025-02-10T00:00:00Z",
     "tags": ["base_model:merge:someone/llama-ft", "base_model:merge:aisingapore/sea-lion-qwen"]},
    # 8: a merge of Mistral (a catalogue checkpoint, absent) and 1, from the card's list
    {"id": "someone/merge-card", "downloads": 5, "createdAt": "2025-02-11T00:00:00Z", "tags": ["mergekit"],
     "cardData": {"base_model": ["mistralai/Mistral-7B-v0.1", "Qwen/Qwen2.5-7B"]}},
    # 9, 10: a cycle; 11 below it
    {"id": "cyc/a", "downloads": 7, "createdAt": "2025-03-01T00:00:00Z", "tags": ["base_model:cyc/b"]},
    {"id": "cyc/b", "downloads": 3, "createdAt": "2025-03-01T00:00:00Z", "tags": ["base_model:adapter:cyc/a"]},
    {"id": "cyc/c", "downloads": 1, "createdAt": "2025-03-02T00:00:00Z", "tags": ["base_model:cyc/a", "awq"]},
    # 12: a root in no family, by an unknown author
    {"id": "orphan/base", "author": "orphan", "downloads": 2, "createdAt": "2025-03-05T00:00:00Z", "tags": []},
    # 13: an adapter of 1, known from library_name
    {"id": "someone/peft-adapter", "downloads": 8, "createdAt": "2025-01-25T00:00:00Z", "library_name": "peft",
     "tags": ["base_model:Qwen/Qwen2.5-7B"]},
    # 14: a merge by its tag, one parent (5), no date, no downloads
    {"id": "someone/m1", "downloads": None, "tags": ["merge", "base_model:someone/qwen-gguf"]},
]
# (line content, why it is malformed); written after the models, each on its own line
MALFORMED = [
    ("not json{", "not JSON"),
    (json.dumps({"author": "x", "downloads": 3}), "no valid id"),
    ("[1, 2]", "not a JSON object"),
    (json.dumps({"id": "bad/downloads", "downloads": "many"}), "downloads is not a count"),
    (json.dumps({"id": "bad/date", "createdAt": "yesterday"}), "createdAt is not an ISO 8601 date"),
    (json.dumps({"id": "qwen/qwen2.5-7b", "downloads": 1}), "repeats the repo id qwen/qwen2.5-7b"),
]


def jsonl(path, models=MODELS, malformed=MALFORMED):
    lines = [json.dumps(model) for model in models] + [""] + [line for line, _ in malformed]
    path.write_text("\n".join(lines) + "\n")
    return path


def parquet(path, models=MODELS):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{**model, "cardData": json.dumps(model["cardData"]) if "cardData" in model else None}
            for model in models]
    columns = ["id", "author", "downloads", "downloadsAllTime", "likes", "createdAt", "pipeline_tag",
               "library_name", "tags", "cardData"]
    table = pa.table({name: [row.get(name) for row in rows] for name in columns})
    pq.write_table(table, path, row_group_size=4)
    return path


def registry():
    """Qwen (CN, prefix Qwen/), Llama (US, prefix meta-llama/), Mistral (FR, a catalogue checkpoint only);
    the Hub handles of Alibaba's Qwen team (CN) and AI Singapore (SG)."""
    china = CountryFactory(iso2="CN", iso3="CHN", numeric="156", name="China")
    usa = CountryFactory(iso2="US", iso3="USA", numeric="840", name="United States")
    france = CountryFactory(iso2="FR", iso3="FRA", numeric="250", name="France")
    singapore = CountryFactory()
    alibaba = OrganizationFactory(name="Alibaba Cloud", country=china, hf_handle="Qwen")
    OrganizationFactory(name="AI Singapore", country=singapore, hf_handle="AISingapore")
    ModelFamilyFactory(slug="qwen", developer=alibaba, hub_prefixes=["Qwen/"])
    ModelFamilyFactory(slug="llama", developer=OrganizationFactory(country=usa), hub_prefixes=["meta-llama/"])
    mistral = ModelFamilyFactory(slug="mistral", developer=OrganizationFactory(country=france), hub_prefixes=[])
    CheckpointFactory(family=mistral, repo_id="mistralai/Mistral-7B-v0.1")
