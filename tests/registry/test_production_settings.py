"""Production is safe by default: with DEBUG off the settings are the secure ones; a local HTTP run and the
demo opt out explicitly, and no start-up without SECRET_KEY (each in a fresh `manage.py` process)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Whatever the test run itself uses, these must not leak into the production-like processes below.
_CLEARED = ("DEBUG", "LOCAL_HTTP", "SECRET_KEY", "ALLOWED_HOSTS", "EMAIL_URL", "SECURE_SSL_REDIRECT",
            "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "BEHIND_PROXY", "TRUSTED_PROXIES",
            # Set by the browser tests' conftest for Playwright's thread; the deploy check refuses it.
            "DJANGO_ALLOW_ASYNC_UNSAFE")
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "registry.example.org",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.org:587",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    environment.update(DJANGO_SETTINGS_MODULE="registry.settings", DATABASE_URL="sqlite://:memory:", CACHE_URL="",
                       CELERY_BROKER_URL="", **env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True,  # noqa: S603
                          text=True, timeout=120)


def security_settings(**env: str) -> dict:
    """The HTTPS-related settings (and the mail backend, the key) as a process started with `env` has them."""
    code = ("import json; from django.conf import settings as s; print(json.dumps({n: getattr(s, n) for n in ("
            "'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', "
            "'SECRET_KEY')} | {'MAILER': s.MAILERS['default']['BACKEND']}))")
    result = manage("shell", "--no-imports", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_deploy_check_is_clean_with_only_the_production_variables():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_are_the_secure_ones():
    production = security_settings(**PRODUCTION)
    assert production["SECURE_SSL_REDIRECT"] and production["SESSION_COOKIE_SECURE"]
    assert production["CSRF_COOKIE_SECURE"] and production["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert "smtp" in production["MAILER"]


def test_no_secret_key_stops_start_up_with_a_message_naming_it():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "demo-only" not in result.stdout + result.stderr


def test_a_deploy_check_without_the_production_variables_fails():
    # The console mailer (no EMAIL_URL) is flagged: the check is not clean by accident.
    env = {k: v for k, v in PRODUCTION.items() if k != "EMAIL_URL"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode != 0
    assert "mail.E001" in result.stdout + result.stderr


def test_local_http_opts_out_of_https_only():
    env = {**PRODUCTION, "LOCAL_HTTP": "true"}
    local = security_settings(**env)
    assert not local["SECURE_SSL_REDIRECT"] and not local["SESSION_COOKIE_SECURE"]
    assert not local["CSRF_COOKIE_SECURE"] and local["SECURE_HSTS_SECONDS"] == 0
    # ...but it is not a way to run without a key.
    no_key = {k: v for k, v in env.items() if k != "SECRET_KEY"}
    assert "SECRET_KEY is not set" in manage("check", **no_key).stderr


def test_the_demo_runs_on_its_key_over_http():
    demo = security_settings(DEBUG="true")
    assert not demo["SECURE_SSL_REDIRECT"] and "demo-only" in demo["SECRET_KEY"]


def test_the_test_run_itself_serves_plain_http(client, db):
    # The suite runs production's settings with LOCAL_HTTP: pages answer, no redirect to https.
    assert client.get("/accounts/login/").status_code == 200
