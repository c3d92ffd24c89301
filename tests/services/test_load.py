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
            f"{sample.kind} {sample.path}: {sample.error}" for sample in results.errors[:30])
        assert results.approvals and results.retractions, "the curators made no progress"

        assert "Map summary consistent" in load.fold_and_check(env)
        published = load.api_json(site, "/api/v1/adoptions/?page_size=1")["count"]
        assert published == plan["published"] + results.approvals - results.retractions
        assert load.api_json(site, "/api/v1/maps/adoption/?split=none")["total"] == published
        family = plan["families"][0]
        assert (load.api_json(site, f"/api/v1/maps/adoption/?family={family}&group_by=region")["total"]
                == load.api_json(site, f"/api/v1/adoptions/?family={family}&page_size=1")["count"])
