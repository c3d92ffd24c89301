"""manage.py import_hub_snapshot: lineage, roots and figures of a hand-written snapshot (tests/adoption/hub/
snapshot.py, where the models are numbered), malformed lines, re-imports, and Parquet against JSON Lines."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection

from adoption.models import HubFigure, HubSnapshot

from .snapshot import MALFORMED, jsonl, parquet, registry

pytestmark = pytest.mark.django_db
DATE = "2025-08-31"


def run(path, date=DATE) -> str:
    out = io.StringIO()
    call_command("import_hub_snapshot", str(path), "--date", date, stdout=out)
    return out.getvalue()


def figures(date=DATE) -> dict:
    return {f.kind: f.payload for f in HubFigure.objects.filter(snapshot__date=date)}


def rows(sql, *params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@pytest.fixture
def imported(tmp_path):
    registry()
    summary = run(jsonl(tmp_path / "models.jsonl"))
    return summary


def test_the_snapshot_counts_models_bases_malformed_lines_and_cycles(imported):
    snapshot = HubSnapshot.objects.get()
    assert (snapshot.date, snapshot.models, snapshot.edges) == (datetime.date(2025, 8, 31), 14, 14)
    assert (snapshot.cycles, snapshot.roots_unknown) == (2, 3)  # cyc/a and cyc/b; cyc/c below them
    # Lines 1-14 are the models, 15 is blank, the malformed ones follow from 16, in order.
    assert snapshot.malformed == len(MALFORMED) == 6
    assert snapshot.malformed_lines == [{"line": 16 + i, "reason": reason} for i, (_, reason) in enumerate(MALFORMED)]
    assert "14 models, 14 declared bases, 6 malformed lines, 2 models in cycles" in imported
    assert "line 16: not JSON" in imported and "In cycles: cyc/a, cyc/b" in imported


def test_relations_come_from_the_tags_then_the_card(imported):
    relations = dict(rows("SELECT repo_id, relation FROM hub_model WHERE snapshot_date = %s", DATE))
    assert relations == {
        "Qwen/Qwen2.5-7B": None, "Qwen/Qwen2.5-7B-Instruct": "finetune", "aisingapore/sea-lion-qwen": "finetune",
        "someone/sea-lion-lora": "adapter", "someone/qwen-gguf": "quantized", "someone/llama-ft": "finetune",
        "someone/merge": "merge", "someone/merge-card": "merge", "cyc/a": "finetune", "cyc/b": "adapter",
        "cyc/c": "quantized", "orphan/base": None, "someone/peft-adapter": "adapter", "someone/m1": "merge",
    }
    parents = rows("SELECT parent FROM hub_edge WHERE child = 'someone/merge-card' ORDER BY parent")
    assert parents == [("Qwen/Qwen2.5-7B",), ("mistralai/Mistral-7B-v0.1",)]


def test_roots_are_found_through_merges_and_unknown_in_and_below_a_cycle(imported):
    found = {repo: (roots, in_cycle, unknown) for repo, roots, in_cycle, unknown in rows(
        "SELECT repo_id, roots, in_cycle, roots_unknown FROM hub_model")}
    assert found["someone/sea-lion-lora"] == (["Qwen/Qwen2.5-7B"], False, False)
    assert found["someone/merge"] == (["meta-llama/Llama-3.1-8B", "Qwen/Qwen2.5-7B"], False, False)
    assert found["Qwen/Qwen2.5-7B"] == (["Qwen/Qwen2.5-7B"], False, False)
    assert found["cyc/a"] == (None, True, True)
    assert found["cyc/c"] == (None, False, True)


def test_derivatives_per_family(imported):
    families = figures()["families"]
    assert [f["family"] for f in families] == ["qwen", "llama", "mistral"]
    qwen, llama, mistral = families
    # qwen's own: 1 and 2. Direct: 3 (on 2), 5, 8, 13 (on 1). All: those and 4, 7 (via 3) and 14 (via 5).
    assert qwen == {"family": "qwen", "origin_country": "CN", "derivatives": {
        "direct": 4, "all": 7, "by_relation": {"finetune": 1, "adapter": 2, "quantized": 1, "merge": 3}},
        "downloads": 1000 + 500 + 100 + 10 + 40 + 30 + 5 + 8 + 0}
    # llama's checkpoint is not in the snapshot: 6 on it, 7 via 6.
    assert llama == {"family": "llama", "origin_country": "US", "derivatives": {
        "direct": 1, "all": 2, "by_relation": {"finetune": 1, "adapter": 0, "quantized": 0, "merge": 1}},
        "downloads": 20 + 30}
    assert mistral["derivatives"]["direct"] == mistral["derivatives"]["all"] == 1
    assert mistral["downloads"] == 5


def test_shares_by_the_origin_of_the_roots(imported):
    total_downloads = 1726
    by_models = figures()["shares:base_origin:models"]
    # CN: 1, 2, 3, 4, 5, 13, 14; US: 6; unknown: 7 and 8 (two origins), 9-11 (cycle), 12 (no family).
    assert by_models == {"attribution": "base_origin", "measure": "models", "total": 14,
                         "shares": {"CN": round(7 / 14, 4), "US": round(1 / 14, 4)}, "unknown": round(6 / 14, 4)}
    by_downloads = figures()["shares:base_origin:downloads"]
    assert by_downloads["total"] == total_downloads
    assert by_downloads["shares"] == {"CN": round(1658 / total_downloads, 4), "US": round(20 / total_downloads, 4)}
    assert by_downloads["unknown"] == round(48 / total_downloads, 4)


def test_shares_by_the_uploaders_country(imported):
    by_downloads = figures()["shares:uploader:downloads"]
    # Qwen (CN) uploaded 1 and 2, AI Singapore 3; every other author is unknown to the registry.
    assert by_downloads["shares"] == {"CN": round(1500 / 1726, 4), "SG": round(100 / 1726, 4)}
    assert by_downloads["unknown"] == round(126 / 1726, 4)
    assert figures()["shares:uploader:models"]["shares"] == {"CN": round(2 / 14, 4), "SG": round(1 / 14, 4)}


def test_new_derivatives_by_month(imported):
    series = figures()["new-derivatives"]
    assert series["undated"] == 1  # 14
    assert series["periods"] == [
        {"period": "2024-09", "total": 1, "families": {}, "shares": {}},  # 2, a Qwen checkpoint itself
        {"period": "2025-01", "total": 4, "families": {"qwen": 3, "llama": 1},
         "shares": {"qwen": 0.75, "llama": 0.25}},
        {"period": "2025-02", "total": 3, "families": {"qwen": 3, "llama": 1, "mistral": 1},
         "shares": {"qwen": 1.0, "llama": round(1 / 3, 4), "mistral": round(1 / 3, 4)}},
        {"period": "2025-03", "total": 3, "families": {}, "shares": {}},  # the cycle
    ]


def test_a_reimport_of_the_same_snapshot_changes_nothing(imported, tmp_path):
    before = (figures(), sorted(rows("SELECT * FROM hub_model")), sorted(rows("SELECT * FROM hub_edge")))
    run(jsonl(tmp_path / "again.jsonl"))
    assert HubSnapshot.objects.count() == 1
    assert (figures(), sorted(rows("SELECT * FROM hub_model")), sorted(rows("SELECT * FROM hub_edge"))) == before


def test_parquet_and_json_lines_give_the_same_figures(imported, tmp_path):
    run(parquet(tmp_path / "models.parquet"), date="2025-09-07")
    assert figures("2025-09-07") == figures()
    snapshot = HubSnapshot.objects.get(date="2025-09-07")
    assert (snapshot.models, snapshot.edges, snapshot.malformed) == (14, 14, 0)


def test_parsing_in_worker_processes_imports_the_same(imported, tmp_path, monkeypatch):
    from adoption.services.hub import parse
    from adoption.services.hub.snapshots import hub_snapshot_import

    def everything():
        snapshot = HubSnapshot.objects.values("models", "edges", "malformed", "malformed_lines", "cycles").get()
        return snapshot, figures(), sorted(rows("SELECT * FROM hub_model")), sorted(rows("SELECT * FROM hub_edge"))

    before = everything()
    monkeypatch.setattr(parse, "CHUNK_BYTES", 300)  # many chunks: the repeated repo id is in a later one
    hub_snapshot_import(path=jsonl(tmp_path / "again.jsonl"), date=datetime.date.fromisoformat(DATE), workers=2)
    assert everything() == before


def test_each_snapshot_is_its_own_partition(imported, tmp_path):
    run(jsonl(tmp_path / "later.jsonl", malformed=[]), date="2025-09-07")
    partitions = rows("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                      "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'hub_model' ORDER BY 1")
    assert partitions == [("hub_model_20250831",), ("hub_model_20250907",)]


def test_the_admin_shows_a_snapshot_and_its_malformed_lines(imported, client, superuser):
    client.force_login(superuser)
    snapshot = HubSnapshot.objects.get()
    page = client.get(f"/admin/adoption/hubsnapshot/{snapshot.pk}/change/").content.decode()
    assert "createdAt is not an ISO 8601 date" in page and "repeats the repo id qwen/qwen2.5-7b" in page
    assert client.get("/admin/adoption/hubsnapshot/").status_code == 200


def test_a_file_unreadable_part_way_imports_nothing(imported, tmp_path):
    import pyarrow.parquet as pq
    from django.core.management import CommandError

    before = (figures(), sorted(rows("SELECT * FROM hub_model")))
    path = parquet(tmp_path / "damaged.parquet")  # row groups of 4 models
    damaged = bytearray(path.read_bytes())
    column = pq.ParquetFile(path).metadata.row_group(2).column(0)
    damaged[column.data_page_offset:column.data_page_offset + column.total_compressed_size] = (
        b"\xab" * column.total_compressed_size)
    path.write_bytes(bytes(damaged))
    with pytest.raises(CommandError, match="Nothing was imported"):
        run(path)  # the same date: its snapshot must stay whole
    assert (figures(), sorted(rows("SELECT * FROM hub_model"))) == before
    assert HubSnapshot.objects.get().malformed == 6
