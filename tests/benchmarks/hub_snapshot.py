"""A synthetic Hugging Face Hub snapshot for `make bench-hub`: rows in the Hub model-listing API's shape.

Streamed in constant memory (a bounded pool of earlier models serves as parents), deterministic for a
seed. About a third of the models declare a base model (`base_model:<repo>` and
`base_model:<relation>:<repo>` tags, `cardData.base_model` a string, or a list of two for merges);
lineage trees grow up to depth 6 from the reference families' own repos (their `hub_prefixes`, see
adoption/data/reference/base_models.csv) and from a few repos of no catalogue family. Downloads follow
a power law with a few huge; `createdAt` spans about three years, children after their parents. Some
uploaders are the Hub handles of organizations in the reference adoptions. A few pairs of models name
each other as base (cycles) and a few lines are malformed.
"""

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

START = datetime(2022, 9, 1, tzinfo=UTC)
END = datetime(2025, 8, 31, tzinfo=UTC)
MAX_DEPTH = 6
DERIVED_SHARE = 1 / 3
POOL_SIZE = 20_000  # earlier derivatives kept as possible parents: bounds memory whatever the size
RELATIONS = [("finetune", 42), ("quantized", 28), ("adapter", 20), ("merge", 10)]

# (repo, created, weight as a parent, its own base): the families' checkpoints under their hub prefixes,
# then popular repos of no catalogue family (their descendants' origin stays unknown).
ROOTS = [
    ("meta-llama/Llama-2-7b-hf", "2023-07-13", 8, None),
    ("meta-llama/Meta-Llama-3-8B", "2024-04-17", 10, None),
    ("meta-llama/Meta-Llama-3-8B-Instruct", "2024-04-18", 10, "meta-llama/Meta-Llama-3-8B"),
    ("meta-llama/Llama-3.1-8B", "2024-07-14", 12, None),
    ("meta-llama/Llama-3.1-8B-Instruct", "2024-07-18", 14, "meta-llama/Llama-3.1-8B"),
    ("meta-llama/Llama-3.2-1B", "2024-09-18", 8, None),
    ("meta-llama/Llama-3.2-3B-Instruct", "2024-09-18", 8, None),
    ("meta-llama/Llama-3.3-70B-Instruct", "2024-11-26", 5, None),
    ("Qwen/Qwen-7B", "2023-08-03", 3, None),
    ("Qwen/Qwen2-7B-Instruct", "2024-06-04", 6, None),
    ("Qwen/Qwen2.5-0.5B-Instruct", "2024-09-16", 12, None),
    ("Qwen/Qwen2.5-7B", "2024-09-15", 12, None),
    ("Qwen/Qwen2.5-7B-Instruct", "2024-09-16", 16, "Qwen/Qwen2.5-7B"),
    ("Qwen/Qwen2.5-Math-7B", "2024-09-19", 3, "Qwen/Qwen2.5-7B"),
    ("Qwen/Qwen2.5-72B-Instruct", "2024-09-16", 5, None),
    ("Qwen/Qwen3-8B", "2025-04-27", 12, None),
    ("Qwen/Qwen3-32B", "2025-04-27", 6, None),
    ("google/gemma-7b", "2024-02-08", 4, None),
    ("google/gemma-2-9b", "2024-06-24", 6, None),
    ("google/gemma-2-2b-it", "2024-07-16", 6, None),
    ("google/gemma-3-27b-it", "2025-03-01", 6, None),
    ("mistralai/Mistral-7B-v0.1", "2023-09-20", 12, None),
    ("mistralai/Mistral-7B-Instruct-v0.2", "2023-12-11", 8, "mistralai/Mistral-7B-v0.1"),
    ("mistralai/Mixtral-8x7B-v0.1", "2023-12-01", 4, None),
    ("mistralai/Mistral-Nemo-Instruct-2407", "2024-07-17", 5, None),
    ("mistralai/Mistral-Small-24B-Instruct-2501", "2025-01-28", 4, None),
    ("deepseek-ai/deepseek-coder-6.7b-base", "2023-10-23", 3, None),
    ("deepseek-ai/DeepSeek-V3", "2024-12-25", 3, None),
    ("deepseek-ai/DeepSeek-R1", "2025-01-20", 5, None),
    # A family's checkpoint built on another family's: its derivatives count in both.
    ("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "2025-01-20", 6, "Qwen/Qwen2.5-Math-7B"),
    ("swiss-ai/Apertus-8B-Instruct-2509", "2025-08-15", 2, None),
    ("nvidia/NVIDIA-Nemotron-Nano-9B-v2", "2025-08-12", 2, None),
    ("nvidia/Nemotron-Mini-4B-Instruct", "2024-08-21", 2, None),
    # Not a family: google/ outside the google/gemma prefix, nvidia/ outside Nemotron, and others.
    ("google/flan-t5-base", "2022-10-21", 4, None),
    ("nvidia/parakeet-tdt-0.6b-v2", "2025-04-15", 1, None),
    ("microsoft/phi-2", "2023-12-13", 4, None),
    ("microsoft/Phi-3-mini-4k-instruct", "2024-04-22", 4, None),
    ("tiiuae/falcon-7b", "2023-04-24", 3, None),
    ("openai-community/gpt2", "2022-09-01", 6, None),
    ("google-bert/bert-base-uncased", "2022-09-01", 6, None),
    ("EleutherAI/pythia-410m", "2023-02-13", 2, None),
]
# Hub handles of organizations in the reference adoptions (their huggingface.co links).
REFERENCE_HANDLES = ["aisingapore", "Jacaranda", "tokyotech-llm", "abeja", "rinna", "yentinglin", "uonlp",
                     "scb10x", "sarvamai", "openthaigpt", "elyza", "SeaLLMs", "GoToCompany", "inceptionai", "ilsp",
                     "issai", "tokyo-electron-device-ai", "Lugha-Llama", "amadeusai"]
QUANTIZERS = ["TheBloke", "bartowski", "mradermacher", "unsloth", "lmstudio-community", "mlx-community"]
USERS = 150_000
SUFFIXES = ["sft", "dpo", "orpo", "chat", "instruct", "it", "v2", "ft", "lora-merged", "uncensored", "math", "code",
            "medical", "legal", "ja", "ko", "vi", "th", "id", "sw", "ar", "de", "fr", "es"]
PIPELINES = [("text-generation", 70), ("text-classification", 8), ("feature-extraction", 6),
             ("image-text-to-text", 5), ("automatic-speech-recognition", 3), ("text-to-image", 3), (None, 5)]
LICENSES = ["apache-2.0", "mit", "llama3.1", "gemma", "other", "cc-by-nc-4.0"]


def _pick(rng: random.Random, weighted) -> object:
    return rng.choices([value for value, _ in weighted], weights=[weight for _, weight in weighted])[0]


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _root_date(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class _Parent:
    __slots__ = ("repo", "depth", "created")

    def __init__(self, repo: str, depth: int, created: datetime):
        self.repo, self.depth, self.created = repo, depth, created


def models(count: int, seed: int = 1) -> Iterator[dict | str]:
    """`count` models (dicts in the listing API's shape), with a few malformed raw lines (str) among them."""
    rng = random.Random(seed)
    malformed = _malformed_count(count)
    malformed_at = [count * (k + 1) // (malformed + 1) for k in range(malformed)]
    cycles = max(2, count // 100_000)
    cycle_at = [count * (2 * k + 1) // (2 * cycles) for k in range(cycles)]
    roots = sorted(((repo, _root_date(date), weight, base) for repo, date, weight, base in ROOTS),
                   key=lambda root: root[1])
    eligible: list[tuple[str, datetime]] = []  # the roots created by now, for picking parents
    weights: list[int] = []
    pool: list[_Parent] = []
    emitted = 0
    for repo, created, _weight, base in roots[:count]:
        yield _model(rng, repo, created, [(base, "finetune")] if base else [], downloads_scale=2_000_000)
        emitted += 1
    span = (END - START).total_seconds()
    index = 0
    while emitted < count:
        index += 1
        now = START + timedelta(seconds=span * emitted / count + rng.uniform(0, 3600))
        while len(eligible) < len(roots) and (roots[len(eligible)][1] <= now or not eligible):
            eligible.append(roots[len(eligible)][:2])
            weights.append(roots[len(weights)][2])
        if malformed_at and emitted >= malformed_at[0]:
            malformed_at.pop(0)
            yield _malformed(rng, index)
        if cycle_at and emitted >= cycle_at[0] and count - emitted >= 2:
            cycle_at.pop(0)
            author = _author(rng)
            first, second = f"{author}/loop-a-{index}", f"{author}/loop-b-{index}"
            yield _model(rng, first, now, [(second, "finetune")])
            yield _model(rng, second, now, [(first, "finetune")])
            pool.append(_Parent(first, 1, now))
            emitted += 2
            continue
        if rng.random() >= DERIVED_SHARE:
            author = _author(rng)
            yield _model(rng, f"{author}/model-{_base36(index)}", now, [])
        else:
            relation = _pick(rng, RELATIONS)
            parents = [_parent(rng, eligible, weights, pool) for _ in range(2 if relation == "merge" else 1)]
            if relation == "merge" and parents[0].repo == parents[1].repo:
                relation, parents = "finetune", parents[:1]
            depth = max(parent.depth for parent in parents) + 1
            created = max([now] + [parent.created + timedelta(hours=rng.uniform(1, 240)) for parent in parents])
            author = rng.choice(QUANTIZERS) if relation == "quantized" and rng.random() < 0.6 else _author(rng)
            repo = f"{author}/{_derived_name(rng, relation, parents)}-{_base36(index)}"
            yield _model(rng, repo, created, [(parent.repo, relation) for parent in parents])
            child = _Parent(repo, depth, created)
            if depth < MAX_DEPTH:
                if len(pool) < POOL_SIZE:
                    pool.append(child)
                else:
                    pool[rng.randrange(POOL_SIZE)] = child
        emitted += 1


def _malformed_count(count: int) -> int:
    return max(5, count // 200_000)


def _parent(rng: random.Random, eligible, weights, pool) -> _Parent:
    """A family or other root (weighted) a third of the time, else an earlier derivative below the depth cap."""
    if pool and rng.random() < 0.7:
        return rng.choice(pool)
    repo, created = rng.choices(eligible, weights=weights)[0]
    return _Parent(repo, 0, created)


def _author(rng: random.Random) -> str:
    draw = rng.random()
    if draw < 0.01:
        return rng.choice(REFERENCE_HANDLES)
    # A few prolific uploaders, a long tail of occasional ones.
    return f"user{int(USERS ** rng.random()) - 1}"


def _derived_name(rng: random.Random, relation: str, parents: list[_Parent]) -> str:
    stem = parents[0].repo.split("/", 1)[1][:40]
    if relation == "merge":
        return f"{stem}-{parents[1].repo.split('/', 1)[1][:20]}-{rng.choice(['slerp', 'ties', 'dare'])}"
    suffix = {"quantized": rng.choice(["GGUF", "AWQ", "GPTQ-4bit", "4bit-mlx"]), "adapter": "lora"}
    return f"{stem}-{suffix.get(relation) or rng.choice(SUFFIXES)}"


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


def _model(rng: random.Random, repo: str, created: datetime, bases: list[tuple[str, str]],
           downloads_scale: int = 0) -> dict:
    relation = bases[0][1] if bases else None
    if downloads_scale:
        downloads = int(downloads_scale * rng.paretovariate(1.0))
    elif rng.random() < 0.45:
        downloads = 0
    else:
        downloads = int(2 * rng.paretovariate(0.9))  # heavy tail: a handful reach millions
    library = {"adapter": "peft", "quantized": rng.choice(["gguf", "gguf", "transformers", "mlx"])}.get(
        relation, rng.choice(["transformers"] * 6 + ["sentence-transformers", "diffusers", None]))
    pipeline = _pick(rng, PIPELINES)
    tags = [tag for tag in (library, "safetensors" if library != "gguf" else None, pipeline) if tag]
    for base, kind in bases:
        tags += [f"base_model:{base}", f"base_model:{kind}:{base}"]
    tags += [f"license:{rng.choice(LICENSES)}", "region:us"]
    row = {
        "_id": f"{rng.getrandbits(96):024x}", "id": repo, "author": repo.split("/", 1)[0], "downloads": downloads,
        "downloadsAllTime": downloads + int(downloads * rng.random() * 20), "likes": int(rng.paretovariate(1.5)) - 1,
        "createdAt": _timestamp(created), "pipeline_tag": pipeline, "library_name": library, "tags": tags,
    }
    if bases and rng.random() < 0.9:  # a few declare their base in tags only
        declared = [base for base, _ in bases]
        row["cardData"] = {"base_model": declared if len(declared) > 1 else declared[0], "license": tags[-2][8:]}
    elif rng.random() < 0.5:
        row["cardData"] = {"license": tags[-2][8:]}
    return row


def _malformed(rng: random.Random, index: int) -> str:
    return rng.choice([
        f'{{"id": "user1/broken-{index}", "downloads": 1',  # truncated
        "[1, 2, 3]",
        f'{{"author": "user1", "downloads": {index}}}',  # no id
        f'{{"id": "not a repo id {index}", "downloads": 3}}',
        f'{{"id": "user1/strange-{index}", "downloads": "many"}}',
        "\x00not json",
    ])


def write_jsonl(path: Path, count: int, seed: int = 1) -> int:
    """Write the snapshot as JSON Lines; returns the number of lines."""
    lines = 0
    with open(path, "w", encoding="utf-8") as out:
        for row in models(count, seed):
            out.write((row if isinstance(row, str) else json.dumps(row, separators=(",", ":"))) + "\n")
            lines += 1
    return lines


def write_parquet(path: Path, count: int, seed: int = 1, row_group: int = 100_000) -> int:
    """Write the snapshot as Parquet in row groups (constant memory); `cardData` is a JSON string, as the Hub's
    own dataset dumps store it. Malformed lines that no Parquet column could hold are left out."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([("_id", pa.string()), ("id", pa.string()), ("author", pa.string()),
                        ("downloads", pa.int64()), ("downloadsAllTime", pa.int64()), ("likes", pa.int64()),
                        ("createdAt", pa.string()), ("pipeline_tag", pa.string()), ("library_name", pa.string()),
                        ("tags", pa.list_(pa.string())), ("cardData", pa.string())])
    rows = 0
    batch: list[dict] = []
    with pq.ParquetWriter(path, schema) as writer:
        for row in models(count, seed):
            if isinstance(row, str):
                try:
                    row = json.loads(row)
                except ValueError:
                    continue
                if not isinstance(row, dict) or not isinstance(row.get("downloads", 0), int):
                    continue
            batch.append({**row, "cardData": json.dumps(row["cardData"]) if "cardData" in row else None})
            if len(batch) == row_group:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                rows, batch = rows + len(batch), []
        if batch:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            rows += len(batch)
    return rows
