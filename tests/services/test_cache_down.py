"""The cache (Redis) down: pages, lists and maps answer from the database; the API throttles and the
adopter search let requests through uncounted (fail open); sign-up and password reset, whose limits guard
the email they send, answer 503 with Retry-After (fail closed); nothing answers 500. Redis back: the
throttles count again."""

import json

from tests.lab import Site
from tests.services.served import browser, call

PAGES = ["/", "/map/", "/adoptions/", "/api/v1/adoptions/", "/api/v1/families/", "/api/v1/maps/adoption/",
         "/api/v1/maps/adoption/?split=family", "/api/v1/maps/timeseries/"]
ANON_RATE = 40  # a minute: more than the requests below make, until the test exhausts it on purpose


def test_with_the_cache_down_the_registry_answers_from_the_database(lab_redis, lab_dir, registry_env):
    env, _ = registry_env
    site = Site({**env, "CACHE_URL": lab_redis.url(), "API_THROTTLE_RATES": f"anon={ANON_RATE}/min"},
                lab_dir / "gunicorn.log", workers=1, threads=4).start()
    try:
        warm = {path: call(site, path) for path in PAGES}
        assert {path: answer[0] for path, answer in warm.items()} == dict.fromkeys(PAGES, 200)

        lab_redis.stop()
        down = {path: call(site, path) for path in PAGES}
        assert {path: answer[0] for path, answer in down.items()} == dict.fromkeys(PAGES, 200)
        for path in ("/api/v1/maps/adoption/?split=family", "/api/v1/families/"):
            assert same_data(down[path][2], warm[path][2])  # the same answer, from the database
        # The API throttle cannot count: it lets every request through rather than refuse them.
        assert {call(site, "/api/v1/families/")[0] for _ in range(ANON_RATE + 5)} == {200}
        # Sign-up and password reset send email: without their limits they refuse, for now.
        signup = {"username": "newcomer", "email": "new@example.org", "password1": "a-long-pass-phrase",
                  "password2": "a-long-pass-phrase"}
        for path, form in (("/accounts/signup/", signup),
                           ("/accounts/password_reset/", {"email": "contributor@example.org"})):
            opener, jar = browser()
            assert call(site, path, opener=opener)[0] == 200
            csrf = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
            status, headers, body = call(site, path, form={**form, "csrfmiddlewaretoken": csrf}, opener=opener)
            assert (status, headers["Retry-After"]) == (503, "60"), body[:500]
            assert b"cannot be checked just now" in body

        lab_redis.start()
        assert [call(site, path)[0] for path in PAGES] == [200] * len(PAGES)
        # Counting again: the anonymous rate runs out within a minute's worth of requests.
        assert 429 in {call(site, "/api/v1/families/")[0] for _ in range(ANON_RATE + 5)}
    finally:
        site.stop()
    log = site.output()
    assert '" 500 ' not in log  # the access log's status field
    assert "Traceback" not in log  # an outage is said in one line per request, not a traceback
    assert "cache unavailable: API throttle 'anon' not counted" in log


def same_data(one: bytes, other: bytes) -> bool:
    """The same JSON but for when it was computed."""
    one, other = json.loads(one), json.loads(other)
    for data in (one, other):
        if isinstance(data, dict):
            data.pop("generated_at", None)
    return one == other
