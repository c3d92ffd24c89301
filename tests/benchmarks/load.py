"""The load run of issue 14: concurrent readers of maps, lists and pages while two curators approve and
retract records, against the registry served by gunicorn on loopback (tests/lab.py), with a trivial
endpoint (the API root) measured in the same run as the baseline.

One module for the test (tests/services/test_load.py) and the benchmark command
(`python -m tests.benchmarks.bench_load`, `make bench-load`), so both run the same load. LOAD_SECONDS,
LOAD_CLIENTS and LOAD_RECORDS change its size (defaults 30 s, 16 clients, 300 seeded records).

The site runs production's settings over plain HTTP: a private Redis as its cache, tasks eager (no
broker: the fold of map deltas runs in the request that logs every FOLD_EVERY-th delta), throttles
raised so that the load measures the registry rather than its rate limits, static files without the
manifest (no collectstatic, as in the rest of the suite).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.lab import Site, manage, wait_for

SECONDS = float(os.environ.get("LOAD_SECONDS", "30"))
CLIENTS = int(os.environ.get("LOAD_CLIENTS", "16"))
RECORDS = int(os.environ.get("LOAD_RECORDS", "300"))
# gunicorn on 2 cores: 3 processes (the GIL), 4 threads each to overlap database waits.
WORKERS, THREADS = 3, 4
# Every scope far above what the run sends (the defaults would answer 429 within seconds).
THROTTLES = "anon=1000000/min,user=1000000/min,writes=1000000/min"
CURATOR_PAUSE = 0.2  # seconds between two curator actions: people, not a script, decide
KINDS = ("maps", "lists", "pages", "trivial", "curator writes")
PROGRESS_MARK = "LOAD-SEED "


# --- seeding (runs inside `manage.py shell` against the lab's database) ---

def seed(records: int = RECORDS) -> dict:
    """Users, tokens and `records` adoptions made through the services: 40 % published, 40 % submitted
    (for the curators to claim and approve), the rest drafts, rejected or retracted. Returns what the
    load needs: the curators' tokens, each curator's records to approve and to retract, stable ids."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from adoption.choices import EvidenceKind, Relation, Stage, Status
    from adoption.models import Adoption, Country, ModelFamily, Organization
    from adoption.roles import CONTRIBUTOR, CURATOR
    from adoption.services import catalogue, moderation
    from adoption.services import records as record_services
    from adoption.services.roles import role_grant

    rng = random.Random(14)  # noqa: S311 (test data, not secrets)
    User = get_user_model()

    def user(name, *roles):
        account = User.objects.create_user(username=name, email=f"{name}@example.org")
        for role in roles:
            role_grant(user=account, role=role)
        return account

    contributor = user("load-contributor", CONTRIBUTOR)
    seeder = user("load-seeder", CURATOR, CONTRIBUTOR)
    curators = [user(f"load-curator-{n}", CURATOR, CONTRIBUTOR) for n in (1, 2)]
    countries = list(Country.objects.filter(iso2__in=["KE", "NG", "BR", "IN", "ID", "DE", "JP", "MX", "EG",
                                                      "VN", "PL", "ZA", "AR", "TH", "SE", "CA"]))
    adopters = list(Organization.objects.filter(is_published=True, country__isnull=False))
    adopters += [catalogue.organization_create(name=f"Load adopter {n}", kind=kind, country=country,
                                               city=f"City {n % 5}")
                 for n, (country, kind) in enumerate(zip(countries * 2, ["company", "startup", "university",
                                                                        "government", "ngo"] * 7, strict=False))]
    families = list(ModelFamily.objects.all())
    made = {"published": [], "submitted": [], "other": 0}
    for n in range(records):
        data = {"adopter": rng.choice(adopters), "family": rng.choice(families),
                "relation": rng.choice([Relation.FINE_TUNE, Relation.DEPLOYMENT, Relation.ADAPTER]),
                "stage": rng.choice([Stage.PRODUCTION, Stage.PILOT, Stage.ANNOUNCED]),
                "product_name": f"Load product {n}", "started_on": f"{rng.randint(2021, 2025)}-{rng.randint(1, 12):02}",
                "sectors": [rng.choice(["health", "education", "finance"])]}
        evidence = [{"url": f"https://example.org/load-{n}", "kind": EvidenceKind.PRESS, "title": "Launch"}]
        record = record_services.adoption_create(user=contributor, data=data, evidence=evidence, submit=n % 10 != 8)
        if n % 10 < 4 or n % 10 == 9:
            record = moderation.adoption_claim(adoption=record, user=seeder)
            record = moderation.adoption_approve(adoption=record, user=seeder)
            if n % 20 == 9:
                moderation.adoption_retract(adoption=record, user=seeder, comment="Seeded retraction.")
            elif n % 10 < 4:
                made["published"].append(record.pk)
        elif n % 10 < 8:
            made["submitted"].append(record.pk)
        else:
            made["other"] += 1
        if n % 20 == 19:
            rejected = record_services.adoption_create(user=contributor, data=data, evidence=evidence, submit=True)
            moderation.adoption_reject(adoption=moderation.adoption_claim(adoption=rejected, user=seeder),
                                       user=seeder, comment="Seeded rejection.")
    # Half the published records are the curators' to retract; the rest (and the reference ones) stay.
    to_retract = made["published"][: len(made["published"]) // 2]
    stable = made["published"][len(made["published"]) // 2:]
    return {
        "curators": [{"name": account.username, "token": Token.objects.create(user=account).key,
                      "approve": made["submitted"][index::2], "retract": to_retract[index::2]}
                     for index, account in enumerate(curators)],
        "stable": stable,
        "families": sorted({family.slug for family in families}),
        "countries": sorted({org.country_id for org in adopters}),
        "published": Adoption.objects.filter(status=Status.PUBLISHED).count(),
    }


def seed_command(records: int) -> str:
    """The Python `manage.py shell -c` runs to seed: the plan as one marked JSON line."""
    return (f"import json; from tests.benchmarks.load import seed; "
            f"print({PROGRESS_MARK!r} + json.dumps(seed({records})))")


def prepare(env: dict, records: int = RECORDS) -> dict:
    """Migrate, load the reference data and seed the lab's database; the seed's plan."""
    manage(env, "migrate", "--no-input")
    manage(env, "load_reference_data", "--verbosity", "0")
    try:
        out = manage(env, "shell", "-c", seed_command(records)).stdout
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"seeding failed:\n{exc.stderr[-3000:]}") from exc
    return json.loads(next(line for line in out.splitlines() if line.startswith(PROGRESS_MARK))[len(PROGRESS_MARK):])


def site_env(database_url: str, cache_url: str) -> dict:
    # Static files unhashed, as in the rest of the suite: no collectstatic into the checkout.
    return {"DATABASE_URL": database_url, "CACHE_URL": cache_url, "API_THROTTLE_RATES": THROTTLES,
            "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}


@contextlib.contextmanager
def serving(env: dict, log: Path):
    """The registry served by gunicorn (WORKERS x THREADS) until the block ends."""
    site = Site(env, log, workers=WORKERS, threads=THREADS).start()
    try:
        wait_for(lambda: _reachable(site), what="the site to answer")
        yield site
    finally:
        site.stop()


def _reachable(site: Site) -> bool:
    try:
        return site.get("/api/v1/", timeout=5)[0] == 200
    except OSError:
        return False


# --- the load ---

@dataclass
class Sample:
    kind: str
    path: str
    seconds: float
    status: int  # 0: no answer (a connection error)
    error: str = ""


@dataclass
class Results:
    samples: list[Sample] = field(default_factory=list)
    elapsed: float = 0.0
    approvals: int = 0
    retractions: int = 0

    @property
    def errors(self) -> list[Sample]:
        return [sample for sample in self.samples if sample.error]


def reads(plan: dict) -> dict[str, list[str]]:
    """The readers' menu: paths by kind (the trivial baseline, maps, lists, pages). A client draws a kind,
    then one of its paths, so every kind gets the same share of the requests."""
    families, countries, stable = plan["families"], plan["countries"], plan["stable"]
    maps = [f"/api/v1/maps/adoption/?group_by={group_by}&split={split}&unit={unit}"
            for group_by, split, unit in (("country", "origin_country", "adoptions"), ("region", "family", "adopters"),
                                          ("subregion", "relation", "adoptions"), ("city", "none", "adoptions"),
                                          ("intermediate_region", "stage", "adopters"),
                                          ("country", "adopter_kind", "adoptions"))]
    maps += [f"/api/v1/maps/adoption/?family={families[0]}&since=2023", "/api/v1/maps/adoption/?format=geojson",
             f"/api/v1/maps/timeseries/?interval=year&country={countries[0]}"]
    return {
        "trivial": ["/api/v1/"],
        "maps": maps,
        "lists": ["/api/v1/adoptions/", f"/api/v1/adoptions/?family={families[1]}",
                  "/api/v1/adoptions/?ordering=-started_on",
                  f"/api/v1/adoptions/?country={countries[1]}&stage=production",
                  "/api/v1/adoptions/?q=load&page_size=10", "/api/v1/adoptions/?page=2"],
        "pages": ["/", "/map/", "/adoptions/", "/map/?group_by=region&split=family", f"/adoptions/{stable[0]}/",
                  f"/adoptions/?family={families[2]}"],
    }


def request(port: int, kind: str, path: str, *, method: str = "GET", token: str = "", body: dict | None = None,
            expect: int = 200) -> Sample:
    """One request on a connection of its own; any status but `expect` (or no answer) is an error."""
    headers = {"Accept": "*/*"}
    if token:
        headers["Authorization"] = f"Token {token}"
    payload = None
    if body is not None:
        payload, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        content = response.read()
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        return Sample(kind, path, time.perf_counter() - started, 0, f"no answer: {exc!r}")
    finally:
        conn.close()
    seconds = time.perf_counter() - started
    error = "" if status == expect else f"{status}: {content[:300].decode(errors='replace')}"
    return Sample(kind, path, seconds, status, error)


def run(site: Site, plan: dict, *, seconds: float = SECONDS, clients: int = CLIENTS) -> Results:
    """`clients` readers and the two curators for `seconds`; every request's timing and status."""
    results, lock = Results(), threading.Lock()
    menu = reads(plan)
    kinds = sorted(menu)
    stop = threading.Event()

    def keep(sample: Sample) -> Sample:
        with lock:
            results.samples.append(sample)
        return sample

    def reader(seed: int):
        rng = random.Random(seed)  # noqa: S311 (a request mix)
        while not stop.is_set():
            kind = rng.choice(kinds)
            keep(request(site.port, kind, rng.choice(menu[kind])))

    def curator(plan_of_one: dict):
        token, to_approve, to_retract = plan_of_one["token"], list(plan_of_one["approve"]), list(plan_of_one["retract"])
        while not stop.is_set() and (to_approve or to_retract):
            if to_approve:
                pk = to_approve.pop(0)
                if not keep(request(site.port, "curator writes", f"/api/v1/submissions/{pk}/claim/", method="POST",
                                    token=token, body={})).error and \
                        not keep(request(site.port, "curator writes", f"/api/v1/submissions/{pk}/approve/",
                                         method="POST", token=token, body={})).error:
                    with lock:
                        results.approvals += 1
                    to_retract.append(pk)  # what a curator approved may be retracted later in the run
            stop.wait(CURATOR_PAUSE)
            if to_retract and not stop.is_set():
                pk = to_retract.pop(0)
                if not keep(request(site.port, "curator writes", f"/api/v1/adoptions/{pk}/retract/", method="POST",
                                    token=token, body={"comment": "Retracted by the load run."})).error:
                    with lock:
                        results.retractions += 1
            stop.wait(CURATOR_PAUSE)

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(clients)]
    threads += [threading.Thread(target=curator, args=(one,)) for one in plan["curators"]]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join(120)
    results.elapsed = time.perf_counter() - started
    return results


def table(results: Results, *, clients: int = CLIENTS) -> str:
    """Requests, errors, p50/p99 latency and throughput per kind, as a Markdown table."""
    lines = [f"Load run: {clients} readers + 2 curators for {results.elapsed:.1f} s, gunicorn {WORKERS} workers x "
             f"{THREADS} threads; {results.approvals} approvals, {results.retractions} retractions.",
             "", "| kind | requests | errors | p50 ms | p99 ms | requests/s |", "|---|---:|---:|---:|---:|---:|"]
    for kind in KINDS:
        timings = sorted(sample.seconds for sample in results.samples if sample.kind == kind)
        if not timings:
            continue
        errors = sum(1 for sample in results.samples if sample.kind == kind and sample.error)
        lines.append(f"| {kind} | {len(timings)} | {errors} | {_percentile(timings, 50):.1f} | "
                     f"{_percentile(timings, 99):.1f} | {len(timings) / results.elapsed:.1f} |")
    lines.append(f"| all | {len(results.samples)} | {len(results.errors)} | | | "
                 f"{len(results.samples) / results.elapsed:.1f} |")
    return "\n".join(lines)


def _percentile(sorted_seconds: list[float], percent: int) -> float:
    """In milliseconds."""
    if len(sorted_seconds) < 2:
        return sorted_seconds[0] * 1000
    return statistics.quantiles(sorted_seconds, n=100, method="inclusive")[percent - 1] * 1000


# --- afterwards ---

def afterwards(site: Site, env: dict, plan: dict, results: Results) -> dict:
    """Fold the map deltas left, compare every map cell with a plain recount (check_map_summary), and
    read the counts the maps and the lists give now, with what the seed and the curators imply."""
    manage(env, "shell", "-c", "from adoption.maps.fold import fold; fold()")
    family = plan["families"][0]
    return {
        "check": manage(env, "check_map_summary").stdout.strip(),
        "expected": plan["published"] + results.approvals - results.retractions,
        "listed": _json(site, "/api/v1/adoptions/?page_size=1")["count"],
        "mapped": _json(site, "/api/v1/maps/adoption/?split=none")["total"],
        "family listed": _json(site, f"/api/v1/adoptions/?family={family}&page_size=1")["count"],
        "family mapped": _json(site, f"/api/v1/maps/adoption/?family={family}&group_by=region")["total"],
    }


def _json(site: Site, path: str) -> dict:
    status, body = site.get(path)
    if status != 200:
        raise AssertionError(f"{path}: {status} {body[:300]!r}")
    return json.loads(body)
