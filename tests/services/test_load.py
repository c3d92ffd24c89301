"""Issue 14's load run: readers of maps, lists and pages beside two curators approving and retracting,
against gunicorn on a private PostgreSQL and Redis; no request fails, and afterwards every map is a
plain recount of the records. The figures are printed (tests/benchmarks/load.py; make bench-load)."""

from tests.benchmarks import load


def test_readers_and_curators_at_once_see_no_errors_and_leave_maps_equal_to_a_recount(lab_postgres, lab_redis,
                                                                                      lab_dir, capsys):
    env = load.site_env(lab_postgres.url(), lab_redis.url())
    plan = load.prepare(env)
    with load.serving(env, lab_dir / "gunicorn.log") as site:
        results = load.run(site, plan)
        with capsys.disabled():
            print("\n" + load.table(results))
        assert not results.errors, "\n".join(
            [f"{sample.kind} {sample.path}: {sample.error[:200]}" for sample in results.errors[:30]]
            + ["gunicorn's log ends:", site.output()[-4000:]])
        assert results.approvals and results.retractions, "the curators made no progress"

        after = load.afterwards(site, env, plan, results)
    assert after["check"].startswith("Map summary consistent"), after["check"]
    assert after["listed"] == after["expected"] == after["mapped"], after
    assert after["family listed"] == after["family mapped"], after
