"""The load run of issue 14 as a benchmark: the same load as tests/services/test_load.py, on a PostgreSQL
cluster and a Redis server of its own (tests/lab.py), removed afterwards; prints the figures table.

    python -m tests.benchmarks.bench_load                       # 16 readers, 30 s (make bench-load)
    LOAD_CLIENTS=8 LOAD_SECONDS=10 python -m tests.benchmarks.bench_load
"""

import os
import shutil
import tempfile
from pathlib import Path

from tests.benchmarks import load
from tests.lab import PostgresCluster, RedisServer


def main() -> None:
    lab_dir = Path(tempfile.mkdtemp(prefix="registry-load-"))
    if os.geteuid() == 0:
        shutil.chown(lab_dir, "postgres")  # PostgreSQL runs as postgres (tests/lab.py)
    postgres = redis = None
    try:
        postgres = PostgresCluster.create(lab_dir).start()
        redis = RedisServer(lab_dir).start()
        env = load.site_env(postgres.create_database(), redis.url())
        print(f"Seeding {load.RECORDS} records ...", flush=True)
        plan = load.prepare(env)
        with load.serving(env, lab_dir / "gunicorn.log") as site:
            print(f"Loading for {load.SECONDS:.0f} s ...", flush=True)
            results = load.run(site, plan)
            after = load.afterwards(site, env, plan, results)
        print(load.table(results))
        for sample in results.errors[:20]:
            print(f"error: {sample.kind} {sample.path}: {sample.error[:200]}")
        print(f"\nAfterwards: {after['check']} Published: {after['listed']} listed, {after['mapped']} on the map, "
              f"{after['expected']} expected.")
    finally:
        if redis is not None:
            redis.stop()
        if postgres is not None and postgres.running:
            postgres.stop("immediate")
        shutil.rmtree(lab_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
