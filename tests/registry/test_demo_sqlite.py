"""`make demo` runs on SQLite: the map upkeep's SQLite statements, end to end, in a subprocess on a
scratch database (the rest of the suite runs on PostgreSQL, where those statements never run)."""

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
from adoption.aggregates import MapParams, adoption_map
from adoption.models import Adoption, MapDelta
from adoption.services import catalogue, maps, moderation

def totals():
    return [adoption_map(MapParams.from_query(q))["total"] for q in ({}, {"unit": "adopters"}, {"group_by": "city"})]

out = {"loaded": totals(), "deltas": MapDelta.objects.count(), "drift": [maps.summary_check()["drifted"]]}
curator = User.objects.create_superuser("demo-check", "demo-check@example.org", "x")
record = Adoption.objects.filter(status="published").select_related("adopter").first()
moderation.adoption_retract(adoption=record, user=curator, comment="Checking the demo.")
out["retracted"] = totals()
out["drift"].append(maps.summary_check()["drifted"])
other = Adoption.objects.filter(status="published").select_related("adopter").first().adopter
catalogue.organization_update(organization=other, user=curator, data={"city": "Elsewhere"})
out["drift"].append(maps.summary_check()["drifted"])
out["folded"] = maps.summary_fold()
out["after_fold"] = totals()
out["drift"].append(maps.summary_check()["drifted"])
out["published"] = Adoption.objects.filter(status="published").count()
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
