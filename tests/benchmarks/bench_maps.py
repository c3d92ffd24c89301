"""Benchmark the map endpoints at 10k, 100k and 1M published adoptions (docs/performance.md).

Fills its own PostgreSQL database (default `bench_maps`, dropped and recreated; never the configured
one) with synthetic but realistic data in SQL (generate_series: Zipf-distributed countries and
families, ~50k organizations, start dates over 2019-2025, sectors and languages), then times each map
in-process through the full Django/DRF stack (server time, no network) and, in the same run, the
plain SQL GROUP BY over the base tables that the summary replaces. Last, the throughput of a cached
map against the same bytes as a static file, both served by one gunicorn on loopback (the project's
middleware stack; WhiteNoise serves the file) and loaded with wrk (skipped when wrk is missing).
Sizes grow in place (10k, then topped up to 100k, ...), so the whole run fills the largest size once.

Tooling, not part of the app: run from the project root (`make bench` does so).

    python -m tests.benchmarks.bench_maps                      # 10k,100k,1M
    python -m tests.benchmarks.bench_maps --sizes 2k --repeat 3 --skip-throughput    # a smoke run
"""

# SQL here is assembled from fixed fragments and integers only; Django is set up before its imports.
# ruff: noqa: S608, E402
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import django

if __name__ == "__main__":  # run as a script: the imports below need Django set up
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")
    django.setup()

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections
from django.test import Client, override_settings
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from adoption import geo
from adoption.maps.repair import rebuild, spans_from_history_sql
from tests.benchmarks.scratch import ScratchDatabaseMixin

ORGANIZATIONS = 50_000
POPULAR = ["US", "CN", "IN", "GB", "DE", "FR", "SG", "JP", "KR", "BR", "CA", "ID", "KE", "NG", "AE", "SA", "CH",
           "NL", "ES", "IT", "VN", "TH", "MY", "PH", "MX", "AR", "ZA", "EG", "TR", "PL", "SE", "IL", "AU", "TW"]
FAMILIES = [("llama", "US"), ("qwen", "CN"), ("mistral", "FR"), ("gemma", "US"), ("deepseek", "CN"), ("phi", "US"),
            ("falcon", "AE"), ("apertus", "CH"), ("olmo", "US"), ("yi", "CN"), ("command-r", "CA"), ("bloom", "FR"),
            ("glm", "CN"), ("internlm", "CN"), ("granite", "US"), ("exaone", "KR"), ("sea-lion", "SG"),
            ("jais", "AE"), ("aya", "CA"), ("stablelm", "GB"), ("baichuan", "CN"), ("minicpm", "CN"),
            ("nemotron", "US"), ("teuken", "DE"), ("eurollm", "PT"), ("sarvam", "IN"), ("swallow", "JP"),
            ("poro", "FI"), ("salamandra", "ES"), ("kimi", "CN")]
SECTORS = ["health", "education", "public_administration", "finance", "agriculture", "legal", "defence", "media",
           "telecom", "energy", "transport", "research"]
LANGUAGES = ["en", "zh", "es", "fr", "ar", "hi", "id", "sw", "de", "ja", "ko", "pt", "ru", "vi", "th", "ms", "tl",
             "yo", "ha", "am", "tr", "pl", "it", "nl", "sv", "fi", "he", "fa", "bn", "ta"]
RELATIONS = ["fine_tune"] * 5 + ["deployment"] * 3 + ["continued_pretraining", "distillation", "adapter", "adapter",
             "quantization", "merge", "api_integration", "policy_commitment"]
STAGES = ["production"] * 4 + ["pilot"] * 3 + ["announced"] * 2 + ["discontinued"]
KINDS = ["company"] * 4 + ["startup"] * 3 + ["university"] * 2 + ["government", "public_programme",
         "research_institute", "ngo", "consortium"]


class PingView(APIView):
    """A trivial DRF JSON endpoint: the reference cost of the framework itself."""

    permission_classes = []

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("bench/ping/", PingView.as_view()),
    path("api/v1/maps/", include("adoption.api.maps_urls")),
]


def _size(text: str) -> int:
    text = text.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * factor)


def _sql_array(values) -> str:
    return "ARRAY[" + ", ".join("'" + value.replace("'", "''") + "'" for value in values) + "]"


def _zipf(n: int) -> str:
    """A 1-based index in 1..n with P(k) ~ 1/k (log-uniform), from one random() per row."""
    return f"(floor(power({n + 1}, random()))::int)"


class Command(ScratchDatabaseMixin, BaseCommand):
    help = "Benchmark the map endpoints on synthetic data in a separate PostgreSQL database."

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="10k,100k,1M", help="Published adoptions per step, e.g. 10k,100k,1M.")
        parser.add_argument("--database", default="bench_maps", help="Database to (re)create; must start with bench.")
        parser.add_argument("--repeat", type=int, default=20, help="Timed requests per measurement (at most).")
        parser.add_argument("--budget", type=float, default=20.0, help="Seconds per measurement before stopping early.")
        parser.add_argument("--skip-throughput", action="store_true", help="Skip the cached-map vs static-file test.")
        parser.add_argument("--throughput-seconds", type=int, default=10, help="wrk run length per URL.")
        parser.add_argument("--throughput-workers", type=int, default=2 * (os.cpu_count() or 1) + 1,
                            help="gunicorn sync workers for both (default: gunicorn's advice, 2 x cores + 1).")
        parser.add_argument("--skip-approvals", action="store_true", help="Skip timing approvals.")
        parser.add_argument("--drop-after", action="store_true", help="Drop the benchmark database at the end.")

    # --- set-up ---

    def handle(self, *args, sizes, database, repeat, budget, skip_throughput, skip_approvals, drop_after,
               throughput_seconds, throughput_workers, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_maps needs PostgreSQL: set DATABASE_URL to a PostgreSQL server.")
        if not database.startswith("bench"):
            raise CommandError("The benchmark database name must start with 'bench' (it is dropped and recreated).")
        if not skip_throughput and "locmem" in settings.CACHES["default"]["BACKEND"].lower():
            # Several gunicorn workers must share one cache, or each computes its own answer.
            raise CommandError("The throughput run needs a shared cache: set CACHE_URL (e.g. redis://127.0.0.1:6379/1) "
                               "or pass --skip-throughput.")
        steps = sorted(_size(part) for part in sizes.split(",") if part.strip())
        self.repeat, self.budget = repeat, budget
        original = connections["default"].settings_dict["NAME"]
        self._recreate(database, database)
        started = time.perf_counter()
        try:
            self.say(f"Migrating {database} ...")
            call_command("migrate", verbosity=0)
            self._geography()
            self._families()
            rows = []
            for size in steps:
                self._fill(size)
                rows.append((size, self._measure(size, skip_approvals)))
            self._print(rows)
            if not skip_throughput:
                self._throughput(database, throughput_seconds, throughput_workers)
        finally:
            connection.close()
            connections["default"].settings_dict["NAME"] = settings.DATABASES["default"]["NAME"] = original
            if drop_after:
                self._recreate(database, original, create=False)
        self.say(f"Done in {time.perf_counter() - started:.0f} s.")

    def _execute(self, sql: str, params=None) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params or [])

    def _scalar(self, sql: str, params=None):
        with connection.cursor() as cursor:
            cursor.execute(sql, params or [])
            return cursor.fetchone()[0]

    def _insert_defaults(self, table: str, given: dict[str, str]) -> tuple[str, str]:
        """(columns, expressions) for INSERT ... SELECT: the given expressions plus a neutral value
        for every other NOT NULL column without a default (so other issues' new columns do not break this)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
                "AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'", [table])
            required = cursor.fetchall()
        neutral = {"jsonb": "'[]'::jsonb", "boolean": "false", "integer": "1", "bigint": "1", "smallint": "1",
                   "timestamp with time zone": "now()", "date": "current_date", "double precision": "0"}
        values = dict(given)
        for column, kind in required:
            values.setdefault(column, neutral.get(kind, "''"))
        return ", ".join(values), ", ".join(values.values())

    def _geography(self) -> None:
        from django_countries import countries

        from adoption.models import Country, Region

        regions = {}
        for code, name in geo.m49_region_names().items():
            level = "world" if code == geo.WORLD else "region"
            regions[code] = Region(code=code, name=name, level=level)
        for row in geo.m49_countries().values():
            for level in ("subregion", "intermediate"):
                if row[level]:
                    regions[row[level]].level = "subregion" if level == "subregion" else "intermediate"
        Region.objects.bulk_create(regions.values(), ignore_conflicts=True)
        Country.objects.bulk_create([
            Country(iso2=iso2, iso3=row["iso3"], numeric=row["numeric"], name=countries.name(iso2) or iso2,
                    region_id=row["region"] or None, subregion_id=row["subregion"] or None,
                    intermediate_region_id=row["intermediate"] or None)
            for iso2, row in geo.m49_countries().items()
        ], ignore_conflicts=True)
        rest = sorted(set(geo.m49_countries()) - set(POPULAR))
        self.country_order = [code for code in POPULAR if code in geo.m49_countries()] + rest

    def _families(self) -> None:
        from adoption.models import ModelFamily

        ModelFamily.objects.bulk_create([
            ModelFamily(slug=slug, name=slug.replace("-", " ").title(), origin_country_id=origin)
            for slug, origin in FAMILIES
        ])
        self.family_ids = list(ModelFamily.objects.order_by("id").values_list("id", flat=True))

    def _fill(self, size: int) -> None:
        have = self._scalar("SELECT COUNT(*) FROM adoption_adoption WHERE status = 'published'")
        orgs = self._scalar("SELECT COUNT(*) FROM adoption_organization")
        want_orgs = min(ORGANIZATIONS, max(size, 1))
        t0 = time.perf_counter()
        if orgs < want_orgs:
            self.say(f"  organizations {orgs} -> {want_orgs} ...")
            cols, exprs = self._insert_defaults("adoption_organization", {
                "name": "'Bench organization ' || g", "slug": "'bench-org-' || g",
                "kind": f"({_sql_array(KINDS)})[1 + floor(random() * {len(KINDS)})::int]",
                "country_id": f"CASE WHEN random() < 0.04 THEN NULL ELSE ({_sql_array(self.country_order)})"
                              f"[{_zipf(len(self.country_order))}] END",
                "city": f"CASE WHEN random() < 0.1 THEN '' ELSE 'City ' || {_zipf(25)} END",
                "is_published": "true", "aliases": "'[]'::jsonb",
            })
            self._execute(f"INSERT INTO adoption_organization ({cols}) SELECT {exprs} "
                          f"FROM generate_series({orgs + 1}, {want_orgs}) g")
        org_min, org_max = (self._scalar("SELECT MIN(id) FROM adoption_organization"),
                            self._scalar("SELECT MAX(id) FROM adoption_organization"))
        missing = size - have
        if missing > 0:
            self.say(f"  adoptions {have} -> {size} (+5% unpublished) ...")
            before = self._scalar("SELECT COALESCE(MAX(id), 0) FROM adoption_adoption")
            chunk = 200_000
            for start in range(0, int(missing * 1.05), chunk):
                count = min(chunk, int(missing * 1.05) - start)
                self._insert_adoptions(count, org_min, org_max)
                self.say(f"    +{start + count} rows")
            self._history(before)
            # The publication spans, as migration 0006 derives them from the history.
            self._execute("DELETE FROM adoption_publicationspan")
            self._execute(spans_from_history_sql())
        t1 = time.perf_counter()

        cells = rebuild()
        t2 = time.perf_counter()
        # What autovacuum does in production: statistics, and the visibility map index-only scans need.
        self._execute("VACUUM ANALYZE")
        self.say(f"  filled in {t1 - t0:.1f} s; summary rebuilt ({cells} cells) in {t2 - t1:.1f} s")

    def _insert_adoptions(self, count: int, org_min: int, org_max: int) -> None:
        family_array = "ARRAY[" + ", ".join(str(pk) for pk in self.family_ids) + "]::bigint[]"
        sectors, languages = _sql_array(SECTORS), _sql_array(LANGUAGES)
        cols, exprs = self._insert_defaults("adoption_adoption", {
            "adopter_id": f"{org_min} + floor(x.r_org * {org_max - org_min + 1})::bigint",
            "family_id": f"({family_array})[{_zipf(len(self.family_ids))}]",
            "relation": f"({_sql_array(RELATIONS)})[1 + floor(random() * {len(RELATIONS)})::int]",
            "stage": f"({_sql_array(STAGES)})[1 + floor(random() * {len(STAGES)})::int]",
            "started_on": "CASE WHEN x.r_date < 0.06 THEN NULL WHEN x.r_date < 0.2 THEN date_trunc('year', x.d)::date "
                          "WHEN x.r_date < 0.8 THEN date_trunc('month', x.d)::date ELSE x.d END",
            "started_precision": "CASE WHEN x.r_date < 0.06 THEN '' WHEN x.r_date < 0.2 THEN 'year' "
                                 "WHEN x.r_date < 0.8 THEN 'month' ELSE 'day' END",
            "sectors": f"CASE WHEN x.r_tag < 0.3 THEN '[]'::jsonb WHEN x.r_tag < 0.8 THEN "
                       f"jsonb_build_array(({sectors})[1 + floor(random() * {len(SECTORS)})::int]) ELSE "
                       f"jsonb_build_array(({sectors})[1 + floor(random() * {len(SECTORS)})::int], "
                       f"({sectors})[1 + floor(random() * {len(SECTORS)})::int]) END",
            "languages": f"CASE WHEN x.r_tag < 0.1 THEN '[]'::jsonb ELSE jsonb_build_array('en', "
                         f"({languages})[{_zipf(len(LANGUAGES))}]) END",
            # 1 in 21 rows not published (the +5%), by row number: every step has records to approve.
            "status": "CASE mod(x.g, 42) WHEN 0 THEN 'retracted' WHEN 1 THEN 'in_review' ELSE 'published' END",
            "published_at": "x.d::timestamptz + interval '30 days'",
            "created_at": "x.d::timestamptz", "updated_at": "x.d::timestamptz + interval '30 days'",
            "product_name": "'Bench product ' || x.g", "confidence": "'high'", "import_flags": "'[]'::jsonb",
        })
        self._execute(
            f"INSERT INTO adoption_adoption ({cols}) SELECT {exprs} FROM ("
            f"SELECT g, random() AS r_org, random() AS r_date, random() AS r_tag, "
            f"(date '2019-01-01' + floor(random() * 2370)::int) AS d FROM generate_series(1, {count}) g) x"
        )

    def _history(self, after_id: int) -> None:
        """One history row per new record at its publication (retracted ones: published, then retracted)."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'adoption_adoption'")
            record_cols = {row[0] for row in cursor.fetchall()}
            cursor.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'adoption_historicaladoption'")
            history_cols = {row[0] for row in cursor.fetchall()}
        shared = sorted((record_cols & history_cols) - {"status"})
        cols = ", ".join(shared)
        src = ", ".join(f"a.{col}" for col in shared)
        base = (f"INSERT INTO adoption_historicaladoption ({cols}, status, history_date, history_type) "
                f"SELECT {src}, %s, {{date}}, %s FROM adoption_adoption a WHERE a.id > %s {{where}}")
        self._execute(base.format(date="a.published_at", where="AND a.status IN ('published', 'retracted')"),
                      ["published", "+", after_id])
        self._execute(base.format(date="a.published_at + interval '90 days'", where="AND a.status = 'retracted'"),
                      ["retracted", "~", after_id])
        self._execute(base.format(date="a.created_at", where="AND a.status = 'in_review'"),
                      ["in_review", "+", after_id])

    # --- measurements ---

    def _time(self, call) -> list[float]:
        call()  # warm-up (connection, caches of the plan)
        samples, deadline = [], time.perf_counter() + self.budget
        for _ in range(self.repeat):
            start = time.perf_counter()
            call()
            samples.append((time.perf_counter() - start) * 1000)
            if time.perf_counter() > deadline and len(samples) >= 3:
                break
        return samples

    def _measure(self, size: int, skip_approvals: bool) -> list[tuple]:
        from adoption.api import maps as api_maps

        self.say(f"Measuring at {size:,} published adoptions ...")
        client = Client()
        top_family = FAMILIES[0][0]
        mid = self._scalar("SELECT published_at FROM adoption_adoption WHERE status = 'published' "
                           "ORDER BY published_at OFFSET (SELECT COUNT(*) / 2 FROM adoption_adoption) LIMIT 1")
        baseline_sql = (
            "SELECT COALESCE(o.country_id, 'unknown'), COALESCE(f.origin_country_id, 'unknown'), COUNT(*) "
            "FROM adoption_adoption a JOIN adoption_organization o ON o.id = a.adopter_id "
            "JOIN adoption_modelfamily f ON f.id = a.family_id WHERE a.status = 'published' GROUP BY 1, 2"
        )

        def baseline():
            with connection.cursor() as cursor:
                cursor.execute(baseline_sql)
                cursor.fetchall()

        def get(url, query=None, **headers):
            def call():
                response = client.get(url, query or {}, **headers)
                assert response.status_code in (200, 304), (url, query, response.status_code, response.content[:300])
            return call

        m = "/api/v1/maps/adoption/"
        computed = [
            ("default map", get(m)),
            ("filter family", get(m, {"family": top_family})),
            ("filter region=142", get(m, {"region": "142"})),
            ("filter sector=health", get(m, {"sector": "health"})),
            ("filter since=2023", get(m, {"since": "2023"})),
            ("filter until=2022-06", get(m, {"until": "2022-06"})),
            ("filter relation=fine_tune", get(m, {"relation": "fine_tune"})),
            ("filter stage=pilot", get(m, {"stage": "pilot"})),
            ("filter adopter_kind=startup", get(m, {"adopter_kind": "startup"})),
            ("filter language=sw", get(m, {"language": "sw"})),
            ("filter country=IN", get(m, {"country": "IN"})),
            ("filter origin_country=CN", get(m, {"origin_country": "CN"})),
            ("split=stage, group_by=city", get(m, {"split": "stage", "group_by": "city"})),
            ("3 filters (SQL fallback)", get(m, {"relation": "fine_tune", "stage": "production", "language": "en"})),
            ("unit=adopters", get(m, {"unit": "adopters"})),
            ("as_of (spans)", get(m, {"as_of": mid.isoformat()})),
            ("timeseries (quarter)", get("/api/v1/maps/timeseries/")),
        ]
        # Approvals first: they leave unfolded deltas behind, as a live registry has between two folds,
        # and every summary map below adds them.
        approvals = [] if skip_approvals else self._approvals()
        backlog = self._scalar("SELECT COUNT(*) FROM adoption_mapdelta")
        self.say(f"  (maps timed with {backlog} unfolded deltas)")
        results = [("baseline: plain SQL GROUP BY", self._time(baseline), "sql")]
        rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "100000000/min", "user": "100000000/min"}
        with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"],
                               REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}):
            # Computed answers: the response cache is bypassed so the computation itself is timed.
            original = api_maps._body_get
            api_maps._body_get = lambda digest, fill: None
            try:
                for label, call in computed:
                    results.append((label, self._time(call), "computed"))
            finally:
                api_maps._body_get = original
            results.append(("default map, cached", self._time(get(m)), "cached"))
            etag = client.get(m)["ETag"]
            results.append(("304 revalidation", self._time(get(m, HTTP_IF_NONE_MATCH=etag)), "304"))
            results.append(("trivial DRF endpoint", self._time(get("/bench/ping/")), "ref"))
        results += approvals
        if backlog:
            from adoption.maps.fold import fold

            start = time.perf_counter()
            fold()
            results.append((f"fold of the {backlog} deltas", [(time.perf_counter() - start) * 1000], "fold"))
        return results

    def _approvals(self, count: int = 30) -> list[tuple]:
        """Time real approvals with and without the summary maintenance (in turn)."""
        try:
            from adoption.maps import upkeep
            from adoption.services import moderation
            from adoption.services.data_version import data_version_bump
        except ImportError:
            return []
        from django.contrib.auth.models import Group, User

        from adoption.models import Adoption, Evidence

        curator, _ = User.objects.get_or_create(username="bench-curator")
        curator.groups.add(Group.objects.get_or_create(name="curator")[0])
        author, _ = User.objects.get_or_create(username="bench-author")
        # Timed in turn (3 x count), then a backlog of untimed ones (see below).
        pending = list(Adoption.objects.filter(status="in_review")[: count * 3 + upkeep.FOLD_EVERY - 4])
        for record in pending:
            Adoption.objects.filter(pk=record.pk).update(created_by=author)
            Evidence.objects.get_or_create(adoption=record, url=f"https://example.org/bench/{record.pk}")
        records, backlog = pending[: count * 3], pending[count * 3:]
        from adoption import tasks

        # Three kinds of approval in turn: the full upkeep (summary, adopter presence, span, data version);
        # only the data version bump, which the ETags need with or without the map upkeep; nothing.
        samples: dict[str, list[float]] = {"upkeep": [], "bump": [], "none": []}
        real = (upkeep.record_published, upkeep.record_unpublished)
        variants = {"upkeep": real, "bump": (lambda adoption: data_version_bump(),) * 2,
                    "none": (lambda adoption: None,) * 2}
        # In production the decision email is queued to the broker; here Celery is eager, so keep it out.
        queue = tasks.send_moderation_email.delay
        tasks.send_moderation_email.delay = lambda *args, **kwargs: None
        fold_every = upkeep.FOLD_EVERY
        try:
            for index, record in enumerate(records):
                kind = ("upkeep", "bump", "none")[index % 3]
                upkeep.record_published, upkeep.record_unpublished = variants[kind]
                try:
                    start = time.perf_counter()
                    moderation.adoption_approve(adoption=record, user=curator)
                    samples[kind].append((time.perf_counter() - start) * 1000)
                finally:
                    upkeep.record_published, upkeep.record_unpublished = real
            if not all(samples.values()):
                return []
            rebuild()  # (the bump-only and bare approvals left the summary behind)
            # What autovacuum does after such a rewrite; else the maps below would read the dead rows too.
            self._execute("VACUUM ANALYZE adoption_mapsummary, adoption_adopterpresence")
            # The backlog, approved with the upkeep, untimed and with no fold: the deltas it leaves (about the
            # most a fold every FOLD_EVERY deltas lets pile up) are what the maps then add.
            upkeep.FOLD_EVERY = 10**12
            for record in backlog:
                moderation.adoption_approve(adoption=record, user=curator)
        finally:
            tasks.send_moderation_email.delay = queue
            upkeep.FOLD_EVERY = fold_every
        return [("approval with summary upkeep", samples["upkeep"], "approval"),
                ("approval with the data version bump only", samples["bump"], "approval"),
                ("approval without summary upkeep", samples["none"], "approval-ref")]

    # --- report ---

    def _print(self, rows) -> None:
        def med(samples):
            return statistics.median(samples)

        def p95(samples):
            ordered = sorted(samples)
            return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

        self.say("")
        header = "| size | measurement | median ms | p95 ms | n | ratio |"
        self.say(header)
        self.say("|---:|---|---:|---:|---:|---|")
        defaults = {}
        for size, results in rows:
            baseline = med(results[0][1])
            trivial = next((med(s) for label, s, kind in results if kind == "ref"), None)
            approval_ref = next((med(s) for label, s, kind in results if kind == "approval-ref"), None)
            for label, samples, kind in results:
                if kind in ("computed", "cached"):
                    ratio = f"{med(samples) / baseline:.3f} x baseline"
                elif kind == "304" and trivial:
                    ratio = f"{med(samples) / trivial:.2f} x trivial endpoint"
                elif kind == "approval" and approval_ref:
                    ratio = f"{med(samples) / approval_ref:.2f} x approval without upkeep"
                elif kind == "fold":
                    count = int(re.search(r"\d+", label).group())
                    ratio = f"{med(samples) / count:.3f} ms per approval, off its request"
                else:
                    ratio = ""
                if label == "default map":
                    defaults[size] = med(samples)
                self.say(f"| {size:,} | {label} | {med(samples):.2f} | {p95(samples):.2f} | {len(samples)} | {ratio} |")
        # The growth targets: at most 3x from 10k to 1M, and 1.3x from 1M to 10M.
        pairs = [(small, large, target) for small, large, target in ((10_000, 1_000_000, "3x"),
                                                                     (1_000_000, 10_000_000, "1.3x"))
                 if small in defaults and large in defaults]
        if not pairs and len(defaults) > 1:
            pairs = [(min(defaults), max(defaults), None)]
        for small, large, target in pairs:
            growth = defaults[large] / defaults[small]
            self.say(f"\nDefault map growth {small:,} -> {large:,}: {growth:.2f}x"
                     + (f" (target at most {target})." if target else "."))

    def _throughput(self, database: str, seconds: int, workers: int) -> None:
        """Requests per second over loopback: the cached default map vs the same bytes as a static file
        (WhiteNoise, as the project serves static files), one gunicorn (same workers) and wrk for both."""
        wrk = shutil.which("wrk")
        if not wrk:
            self.say("\nThroughput: skipped (wrk is not installed: apt-get install -y wrk).")
            return
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp, "root")
            root.mkdir()
            Path(tmp, "bench_settings.py").write_text(
                "from registry.settings import *  # noqa: F403\n"
                f"WHITENOISE_ROOT = {str(root)!r}\n"
                "ALLOWED_HOSTS = ['127.0.0.1']\n"
                f"DATABASES['default']['NAME'] = {database!r}  # noqa: F405\n"
            )
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            base = f"http://127.0.0.1:{port}"
            env = {**os.environ, "PYTHONPATH": os.pathsep.join([tmp, str(settings.BASE_DIR)]),
                   "DJANGO_SETTINGS_MODULE": "bench_settings"}
            server = subprocess.Popen(  # noqa: S603 (fixed arguments)
                [sys.executable, "-m", "gunicorn", "registry.wsgi:application", "--bind", f"127.0.0.1:{port}",
                 "--workers", str(workers), "--log-level", "warning", "--timeout", "120"],
                env=env, cwd=settings.BASE_DIR, start_new_session=True)
            try:
                body = self._fetch_when_up(f"{base}/api/v1/maps/adoption/", server)
                (root / "map.json").write_bytes(body)
                # Restart, so WhiteNoise (which scans its root at start) knows the file.
                self._stop(server)
                server = subprocess.Popen(  # noqa: S603
                    [sys.executable, "-m", "gunicorn", "registry.wsgi:application", "--bind", f"127.0.0.1:{port}",
                     "--workers", str(workers), "--log-level", "warning", "--timeout", "120"],
                    env=env, cwd=settings.BASE_DIR, start_new_session=True)
                static = self._fetch_when_up(f"{base}/map.json", server)
                for _ in range(4 * workers):  # warm every worker's copy of the cached answer
                    cached = self._fetch_when_up(f"{base}/api/v1/maps/adoption/", server)
                if not (static == cached == body):
                    raise CommandError("Throughput: the static copy and the cached map differ.")
                results = {}
                for label, url in (("cached map (middleware, from the cache)", "/api/v1/maps/adoption/"),
                                   ("same bytes, static file (WhiteNoise)", "/map.json")):
                    run = subprocess.run(  # noqa: S603
                        [wrk, "-t2", "-c16", f"-d{seconds}s", base + url], capture_output=True, text=True,
                        timeout=seconds + 60, check=True)
                    match = re.search(r"Requests/sec:\s+([\d.]+)", run.stdout)
                    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", run.stdout)
                    if not match or errors:
                        raise CommandError(f"Throughput: wrk failed on {url}:\n{run.stdout}{run.stderr}")
                    results[label] = float(match.group(1))
            finally:
                self._stop(server)
        self.say(f"\nThroughput over loopback (gunicorn, {workers} sync workers; wrk -t2 -c16 -d{seconds}s), "
                 f"{len(body):,} bytes:")
        self.say("| served | req/s |\n|---|---:|")
        for label, rate in results.items():
            self.say(f"| {label} | {rate:,.0f} |")
        values = list(results.values())
        self.say(f"\nRatio cached map / static file: {values[0] / values[1]:.2f} (target at least 0.8).")

    @staticmethod
    def _fetch_when_up(url: str, server: subprocess.Popen, wait: float = 60.0) -> bytes:
        deadline = time.monotonic() + wait
        while True:
            try:
                with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (loopback)
                    return response.read()
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise CommandError(f"Throughput: the benchmark server did not answer {url}.") from None
                time.sleep(0.3)

    @staticmethod
    def _stop(server: subprocess.Popen) -> None:
        """Stop the gunicorn this command started (its master, by pid; the workers follow)."""
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)


if __name__ == "__main__":
    Command().run_from_argv([sys.argv[0], "bench_maps", *sys.argv[1:]])
