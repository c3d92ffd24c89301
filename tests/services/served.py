"""What the tests of a served registry share: a database with the reference data and a contributor,
and a client that also POSTs JSON and keeps cookies."""

import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.lab import manage

# No API throttles in the way of a load; pages served without collectstatic's manifest.
SITE_ENV = {"API_THROTTLE_RATES": "anon=100000/min,user=100000/min,writes=100000/hour,submissions=100000/hour",
            "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}


@pytest.fixture
def registry_env(lab_postgres):
    """(env, contributor's password): the lab cluster migrated, with the reference data and demo users."""
    env = {"DATABASE_URL": lab_postgres.url(), **SITE_ENV}
    manage(env, "migrate", "--no-input")
    manage(env, "load_reference_data")
    password = re.search(r"contributor\s+password (\S+)", manage(env, "create_demo_users").stdout).group(1)
    return env, password


def call(site, path, *, body=None, form=None, token=None, headers=None, opener=None, timeout=30):
    """(status, headers, body) of a GET, or of a POST of `body` as JSON or of `form` encoded."""
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Token {token}"
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(site.url(path), data=data, headers=headers)  # noqa: S310 (loopback)
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def browser():
    """An opener that keeps cookies (a form's CSRF cookie), and its jar."""
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)), jar
