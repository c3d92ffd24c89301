"""`make demo` runs on SQLite: the map upkeep's SQLite statements and the list filters, end to end, in a
subprocess on a scratch database loaded with the reference data (the rest of the suite runs on PostgreSQL,
apart from the tests marked both_databases that the Makefile runs again on SQLite)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Approve nothing new (the reference data is published as it loads), retract one record, move an adopter,
# fold: the maps must follow each step and agree with a recount from the records.
SCRIPT = """
import json
from django.contrib.auth.models import User
from adoption.maps import fold, repair
from adoption.maps.answers import adoption_map
from adoption.maps.params import MapParams
from adoption.models import Adoption, MapDelta
from adoption.services import catalogue, moderation

def totals():
    return [adoption_map(MapParams.from_query(q))["total"] for q in ({}, {"unit": "adopters"}, {"group_by": "city"})]

out = {"loaded": totals(), "deltas": MapDelta.objects.count(), "drift": [repair.check()["drifted"]]}
curator = User.objects.create_superuser("demo-check", "demo-check@example.org", "x")
record = Adoption.objects.filter(status="published").select_related("adopter").first()
moderation.adoption_retract(adoption=record, user=curator, comment="Checking the demo.")
out["retracted"] = totals()
out["drift"].append(repair.check()["drifted"])
other = Adoption.objects.filter(status="published").select_related("adopter").first().adopter
catalogue.organization_update(organization=other, user=curator, data={"city": "Elsewhere"})
out["drift"].append(repair.check()["drifted"])
out["folded"] = fold.fold()
out["after_fold"] = totals()
out["drift"].append(repair.check()["drifted"])
out["published"] = Adoption.objects.filter(status="published").count()
# The list filters on JSON lists, as a visitor of the demo uses them (the reference data has no sectors or
# languages: give three records some, after the map checks, which these do not concern).
from django.test import Client
client = Client(SERVER_NAME="localhost")
given = [(["health", "education"], ["sw", "en"]), (["public_health"], ["eng"]), (["health"], ["en"])]
for (sectors, languages), pk in zip(given, Adoption.objects.filter(status="published").values_list("pk", flat=True)):
    Adoption.objects.filter(pk=pk).update(sectors=sectors, languages=languages)
published = list(Adoption.objects.filter(status="published"))
out["filters"] = []
for name, value in (("sector", "health"), ("sector", "education"), ("sector", "public_health"), ("language", "en"),
                    ("language", "eng"), ("language", "sw"), ("sector", "heal")):
    api = client.get("/api/v1/adoptions/", {name: value, "page_size": 1000})
    page = client.get("/adoptions/", {name: value})
    expected = sum(value in getattr(a, name + "s") for a in published)
    out["filters"].append([name, value, api.status_code, api.json().get("count"), expected, page.status_code])
out["odd"] = [client.get(path).status_code for path in (
    "/api/v1/checkpoints/?derived_from=%C2%B3", "/api/v1/adoptions/?page_size=%C2%B3", "/api/v1/adoptions/1%0A/",
    "/api/v1/")]
print("RESULT " + json.dumps(out))
"""


def test_the_demo_database_keeps_its_maps_in_step(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}", "CELERY_BROKER_URL": "",
           "CACHE_URL": "", "DEBUG": "true"}

    def manage(*args):
        run = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,  # noqa: S603
                             text=True, timeout=600)
        assert run.returncode == 0, run.stderr[-2000:]
        return run.stdout

    manage("migrate", "--no-input", "-v0")
    manage("load_reference_data")
    out = manage("shell", "-c", SCRIPT)
    result = json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[7:])
    published = result["published"]
    assert result["loaded"][0] == published + 1 and result["deltas"] > 0  # counted from the delta log
    assert result["retracted"][0] == published
    assert result["after_fold"] == result["retracted"] and result["folded"] > 0
    assert result["drift"] == [0, 0, 0, 0]
    for name, value, api, count, expected, page in result["filters"]:
        assert (api, count, page) == (200, expected, 200), (name, value)
    assert [row[3] for row in result["filters"]] == [2, 1, 1, 2, 1, 1, 0]  # whole elements, never substrings
    assert result["odd"] == [400, 400, 404, 200]
