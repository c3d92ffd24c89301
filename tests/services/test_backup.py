"""The README's backup and restore drill, as written: pg_dump -Fc, pg_restore into a scratch database, and the
checks that say the copy is a working registry."""

import subprocess

from tests.lab import _pg_bin, manage

SETUP = """
from tests.factories import AdoptionFactory
AdoptionFactory(published=True)
AdoptionFactory(published=True)
AdoptionFactory()
"""


def test_a_dump_restores_into_a_registry_that_checks_out(lab_postgres, lab_dir):
    env = {"DATABASE_URL": lab_postgres.url()}
    manage(env, "migrate", "--no-input")
    manage(env, "shell", "-c", SETUP)
    dump = lab_dir / "registry.dump"
    subprocess.run([_pg_bin("pg_dump"), "-Fc", "--no-owner", "-d", lab_postgres.url(), "-f", str(dump)], check=True)

    drill = lab_postgres.create_database("registry_drill")
    subprocess.run([_pg_bin("pg_restore"), "--no-owner", "--exit-on-error", "-d", drill, str(dump)], check=True)
    env = {"DATABASE_URL": drill}
    manage(env, "migrate", "--check")  # fails (CalledProcessError) when a migration is missing
    assert "Map summary consistent" in manage(env, "check_map_summary").stdout
    counts = "SELECT status, count(*) FROM adoption_adoption GROUP BY status ORDER BY status"
    assert lab_postgres.sql(counts, dbname="registry_drill") == lab_postgres.sql(counts) == "draft|1\npublished|2"
