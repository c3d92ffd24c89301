"""The synthetic Hub snapshot of `make bench-hub` has the properties the benchmark claims."""

import hashlib
import json
import re

import pytest

from tests.benchmarks import hub_snapshot

MODELS = 2_000
REPO_ID = re.compile(r"^[\w.-]+/[\w.-]+$")


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    path = tmp_path_factory.mktemp("hub") / "snapshot.jsonl"
    hub_snapshot.write_jsonl(path, MODELS, seed=7)
    rows, malformed = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            malformed += 1
            continue
        if isinstance(row, dict) and REPO_ID.match(str(row.get("id"))) and isinstance(row.get("downloads"), int):
            rows.append(row)
        else:
            malformed += 1
    return path, rows, malformed


def _bases(row) -> list[str]:
    return [tag.split(":", 1)[1] for tag in row["tags"] if tag.startswith("base_model:") and tag.count(":") == 1]


def test_size_share_and_shape(snapshot):
    _path, rows, malformed = snapshot
    assert len(rows) == MODELS
    assert 5 <= malformed <= 20
    derived = [row for row in rows if _bases(row)]
    assert 0.28 < len(derived) / len(rows) < 0.38
    assert len({row["id"] for row in rows}) == len(rows)
    for row in derived:
        relations = {tag.split(":")[1] for tag in row["tags"] if tag.count(":") == 2 and tag.startswith("base_model:")}
        assert len(relations) == 1 and relations <= {"finetune", "adapter", "quantized", "merge"}
        if "cardData" in row and "base_model" in row["cardData"]:
            declared = row["cardData"]["base_model"]
            assert (declared if isinstance(declared, list) else [declared]) == _bases(row)
        if relations == {"adapter"}:
            assert row["library_name"] == "peft"
    merges = [row for row in derived if "base_model:merge:" in " ".join(row["tags"])]
    assert merges and all(len(_bases(row)) == 2 and isinstance(row["cardData"]["base_model"], list)
                          for row in merges if "base_model" in row.get("cardData", {}))
    downloads = sorted(row["downloads"] for row in rows)
    assert downloads[len(downloads) // 2] < 10 and downloads[-1] > 1_000_000  # power law: most tiny, a few huge
    authors = {row["author"] for row in rows}
    assert {"Qwen", "meta-llama", "google", "mistralai", "deepseek-ai"} <= authors
    assert authors & set(hub_snapshot.REFERENCE_HANDLES)


def test_lineage_depth_cycles_and_dates(snapshot):
    _path, rows, _malformed = snapshot
    by_id = {row["id"]: row for row in rows}
    cycles = [row["id"] for row in rows
              if any(row["id"] in _bases(by_id.get(base, {"tags": []})) for base in _bases(row))]
    assert len(cycles) >= 4  # at least two pairs naming each other

    def depth(repo, seen=()):
        if repo not in by_id or repo in seen:
            return 0
        bases = _bases(by_id[repo])
        return max((1 + depth(base, (*seen, repo)) for base in bases), default=0)

    depths = [depth(row["id"]) for row in rows if row["id"] not in cycles]
    assert max(depths) <= hub_snapshot.MAX_DEPTH and max(depths) >= 4
    for row in rows:
        for base in _bases(row):
            if base in by_id and row["id"] not in cycles:
                assert by_id[base]["createdAt"] < row["createdAt"], (base, row["id"])
    family_roots = {repo for repo, *_ in hub_snapshot.ROOTS}
    assert family_roots <= set(by_id)


def test_deterministic_with_a_seed(snapshot, tmp_path):
    path, _rows, _malformed = snapshot
    again, other = tmp_path / "again.jsonl", tmp_path / "other.jsonl"
    hub_snapshot.write_jsonl(again, MODELS, seed=7)
    hub_snapshot.write_jsonl(other, MODELS, seed=8)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert hashlib.sha256(again.read_bytes()).hexdigest() == digest
    assert hashlib.sha256(other.read_bytes()).hexdigest() != digest


def test_parquet_holds_the_same_models(snapshot, tmp_path):
    import pyarrow.parquet as pq

    _path, rows, _malformed = snapshot
    target = tmp_path / "snapshot.parquet"
    hub_snapshot.write_parquet(target, MODELS, seed=7, row_group=500)
    table = pq.read_table(target)
    assert pq.ParquetFile(target).num_row_groups > 1
    ids = {repo for repo in table.column("id").to_pylist() if REPO_ID.match(str(repo))}
    assert ids == {row["id"] for row in rows}


@pytest.mark.django_db(transaction=True)
def test_bench_hub_smoke_run(tmp_path):
    """A tiny run of the whole benchmark: snapshot, baseline, import subprocess, serving, the table."""
    import io

    from django.core.management import call_command
    from django.db import connection

    from tests.benchmarks.bench_hub import Command

    if connection.vendor != "postgresql":
        pytest.skip("the benchmark needs PostgreSQL")
    test_database = connection.settings_dict["NAME"]
    out = io.StringIO()
    scratch = f"bench_hub_{test_database}"[:60]
    call_command(Command(), models="5k", repeat=2, workdir=str(tmp_path), database=scratch, drop_after=True,
                 stdout=out)
    report = out.getvalue()
    assert connection.settings_dict["NAME"] == test_database  # the run hands the test database back
    assert "| models imported | 5,000 |" in report
    for label in ("baseline: plain COPY, s", "import / baseline", "import peak memory (RSS), MB",
                  "GET families, median ms", "GET shares (base origin, downloads), median ms"):
        assert f"| {label} |" in report, label
    assert list(tmp_path.iterdir()) == []  # the snapshot is removed unless --keep

    # --keep leaves the file, and --reuse takes it up instead of writing it again.
    call_command(Command(), models="5k", repeat=1, workdir=str(tmp_path), database=scratch, drop_after=True,
                 keep=True, stdout=io.StringIO())
    assert [path.name for path in tmp_path.iterdir()] == ["hub-5000-1.jsonl"]
    out = io.StringIO()
    call_command(Command(), models="5k", repeat=1, workdir=str(tmp_path), database=scratch, drop_after=True,
                 reuse=True, stdout=out)
    assert "Reusing" in out.getvalue() and "| models imported | 5,000 |" in out.getvalue()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [scratch])  # its own, not another run's
        assert cursor.fetchall() == []
