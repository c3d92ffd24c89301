"""The lab itself: a cluster of our own restarts, streams to a standby, and serves the registry."""

from tests.lab import Site, manage, wait_for


def test_a_standby_streams_the_primarys_writes(lab_postgres):
    standby = lab_postgres.standby()
    try:
        lab_postgres.sql("CREATE TABLE probe (n int); INSERT INTO probe VALUES (42)")
        assert standby.sql("SELECT pg_is_in_recovery()") == "t"
        wait_for(lambda: _rows(standby) == "42", what="the standby to replay the insert")
    finally:
        standby.stop("immediate")


def _rows(cluster) -> str:
    try:
        return cluster.sql("SELECT n FROM probe")
    except Exception:  # noqa: BLE001 (the table has not arrived yet)
        return ""


def test_the_registry_is_served_from_a_cluster_of_our_own(lab_postgres, lab_dir):
    env = {"DATABASE_URL": lab_postgres.url()}
    manage(env, "migrate", "--no-input")
    site = Site(env, lab_dir / "gunicorn.log").start()
    try:
        status, body = wait_for(lambda: _answer(site, "/api/v1/families/"), what="the site to answer")
        assert status == 200, body[:500]
        lab_postgres.restart()
        assert site.get("/api/v1/families/")[0] == 200
    finally:
        site.stop()


def _answer(site, path):
    try:
        return site.get(path, timeout=5)
    except OSError:
        return None
