"""PostgreSQL stops or restarts under load: requests in flight answer a clean 503 with Retry-After (JSON
under /api/), never a 500 or a traceback; the next requests succeed, with per-request connections, kept
ones (CONN_MAX_AGE) and the pool alike; nothing an answer acknowledged is missing or half-written."""

import json
import threading
import time

import pytest

from tests.lab import Site, manage, wait_for
from tests.services.served import call

READS = ["/", "/adoptions/", "/map/", "/api/v1/adoptions/", "/api/v1/families/", "/api/v1/maps/adoption/",
         "/api/v1/maps/adoption/?split=family"]
SUBMISSION = {"adopter": "sunbird-ai", "family": "qwen", "relation": "fine_tune", "stage": "pilot",
              "started_on": "2025-10", "evidence": [{"url": "https://example.org/announcement",
                                                     "kind": "official_announcement"}]}
SETUPS = {
    "a connection per request": {"CONN_MAX_AGE": "0"},
    "kept connections": {"CONN_MAX_AGE": "300"},
    "a connection pool": {"DATABASE_POOL": "true"},
}


def token_for(site, password):
    status, _, body = call(site, "/api/v1/auth/token/", body={"username": "contributor", "password": password})
    assert status == 200, body
    return json.loads(body)["token"]


def test_a_stopped_database_answers_503_with_retry_after(lab_postgres, lab_dir, registry_env):
    env, _ = registry_env
    site = Site(env, lab_dir / "gunicorn.log", workers=1, threads=2).start()
    try:
        assert call(site, "/api/v1/families/")[0] == 200
        assert call(site, "/api/v1/maps/adoption/")[0] == 200
        lab_postgres.stop()
        # A map already rendered for the current data version is served from the cache all the same.
        assert call(site, "/api/v1/maps/adoption/")[0] == 200
        for path in ("/", "/adoptions/", "/api/v1/families/", "/api/v1/maps/adoption/?split=family"):
            status, headers, body = call(site, path)
            assert (status, headers["Retry-After"]) == (503, "5"), (path, body[:300])
            if path.startswith("/api/"):
                assert headers["Content-Type"] == "application/json"
                assert json.loads(body)["code"] == "service_unavailable"
            else:
                assert b"Back in a moment" in body
        lab_postgres.start()
        assert call(site, "/api/v1/families/")[0] == 200
    finally:
        site.stop()
    log = site.output()
    assert "database unavailable: GET /api/v1/families/ answered 503" in log
    assert "Traceback" not in log


class Load:
    """Client threads reading pages, lists and maps and posting submissions until stopped."""

    def __init__(self, site, token, readers=4, writers=2):
        self.site, self.token, self.stop = site, token, threading.Event()
        self.answers, self.acknowledged, self.lock = [], [], threading.Lock()
        self.threads = [threading.Thread(target=self._read, args=(n,)) for n in range(readers)]
        self.threads += [threading.Thread(target=self._write) for _ in range(writers)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(60)

    def _record(self, path, status, headers, body):
        with self.lock:
            self.answers.append((path, status, headers.get("Retry-After"), body[:300]))

    def _read(self, n):
        i = n
        while not self.stop.is_set():
            path = READS[i % len(READS)]
            self._record(path, *call(self.site, path))
            i += 1

    def _write(self):
        while not self.stop.is_set():
            status, headers, body = call(self.site, "/api/v1/submissions/", body=SUBMISSION, token=self.token)
            self._record("POST /api/v1/submissions/", status, headers, body)
            if status == 201:
                with self.lock:
                    self.acknowledged.append(json.loads(body)["id"])


def concurrently(site, clients):
    """The statuses of every READS path fetched by `clients` threads at once."""
    statuses = []
    threads = [threading.Thread(target=lambda: statuses.extend(call(site, path)[0] for path in READS))
               for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return statuses


@pytest.mark.parametrize("setup", SETUPS, ids=list(SETUPS))
def test_a_restart_under_load_fails_cleanly_and_loses_nothing(lab_postgres, lab_dir, registry_env, setup):
    env, password = registry_env
    site = Site({**env, **SETUPS[setup]}, lab_dir / "gunicorn.log", workers=2, threads=4).start()
    try:
        token = token_for(site, password)
        with Load(site, token) as load:
            wait_for(lambda: len(load.answers) > 40, what="the load to get going")
            lab_postgres.restart()
            time.sleep(1.0)
        bad = [answer for answer in load.answers
               if not (answer[1] in (200, 201) or (answer[1] == 503 and answer[2]))]
        assert bad == []
        # A restart between requests: the next ones succeed, whichever worker, thread and kept connection
        # serves them (each thread's connection, if kept, is first used after the restart here).
        assert concurrently(site, 8) == [200] * (8 * len(READS))
        lab_postgres.restart()
        assert concurrently(site, 8) == [200] * (8 * len(READS))
        assert call(site, "/api/v1/submissions/", body=SUBMISSION, token=token)[0] == 201
    finally:
        site.stop()
    assert "Traceback" not in site.output()
    # Every acknowledged submission is there, each record with its evidence and its history.
    assert load.acknowledged
    ids = ",".join(str(int(pk)) for pk in load.acknowledged)
    found = lab_postgres.sql(f"SELECT count(*) FROM adoption_adoption WHERE id IN ({ids})")  # noqa: S608 (ints)
    assert found == str(len(load.acknowledged))
    assert lab_postgres.sql(
        "SELECT count(*) FROM adoption_adoption a WHERE a.created_by_id IS NOT NULL AND ("
        " NOT EXISTS (SELECT 1 FROM adoption_evidence e WHERE e.adoption_id = a.id)"
        " OR NOT EXISTS (SELECT 1 FROM adoption_historicaladoption h WHERE h.id = a.id))"
    ) == "0"
    assert "Map summary consistent" in manage(env, "check_map_summary").stdout
