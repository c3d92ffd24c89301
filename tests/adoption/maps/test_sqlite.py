"""The maps on SQLite (`make demo`): every group_by, split and unit, with filters and as_of, against a
plain-Python count of the reference records (the rest of the suite runs the maps on PostgreSQL)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = """
import json
from django.utils import timezone
from adoption.maps.answers import adoption_timeseries
from adoption.maps.params import GROUP_BYS, SPLITS, UNITS, MapParams
from tests.adoption.maps.registry import answer, expected_map

mismatches, checked = [], 0
now = timezone.now().isoformat()
for flt in ({}, {"region": "142"}, {"relation": "fine_tune"}, {"since": "2024", "until": "9999"},
            {"until": "9999-12-31"}, {"since": "0001-01-01"}):
    for group_by in GROUP_BYS:
        for split in SPLITS:
            for unit in UNITS:
                expected = expected_map(group_by, split, unit, flt)
                for extra in ({}, {"as_of": now}):
                    checked += 1
                    if answer(group_by, split, unit, {**flt, **extra}) != expected:
                        mismatches.append([group_by, split, unit, flt, extra])
series = [adoption_timeseries(MapParams.from_query({"unit": unit, "until": "9999"}, timeseries=True))["undated"]
          for unit in UNITS]
print("RESULT " + json.dumps({"checked": checked, "mismatches": mismatches[:5], "series": series}))
"""


def test_every_map_on_sqlite_equals_an_independent_count(tmp_path):
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
    assert result["checked"] == 6 * 4 * 6 * 2 * 2 and result["mismatches"] == []
    assert result["series"][0] == result["series"][1]  # undated counts records in both units
