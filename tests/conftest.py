"""Shared fixtures: users in each role, clients signed in as them, the reference geography, one empty
cache per test and an eager Celery by default."""

from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from adoption.roles import CONTRIBUTOR, CURATOR

from .factories import UserFactory


@pytest.fixture(autouse=True)
def _empty_cache():
    """The one place the cache is emptied. It outlives each test's rolled-back database (map data versions,
    cached map answers, API throttle and page rate-limit counters): every test starts from an empty one so
    no test sees another's figures or is throttled by another's requests, and this process's copy of the
    map data version is dropped with it."""
    from adoption.services.data_version import forget_local_copy

    cache.clear()
    forget_local_copy()
    yield
    cache.clear()
    forget_local_copy()


@pytest.fixture
def local_memory_cache(settings):
    """The demo's cache (local memory, no Redis) whatever CACHE_URL says (overriding CACHES also drops the
    process's copy of the map data version)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A page asked for in another language leaves that language active in the thread (LocaleMiddleware
    activates each request's own, so production never reads it): a later test calling a service directly
    would get its messages in French. Every test ends in the default language."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Tests do not run collectstatic, so serve static files without the production manifest."""
    settings.STORAGES = {
        **settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Users are made by the dozen in tests; a slow hasher would dominate the suite's time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    """Tasks run in-process unless a test asks for the real broker (see tests that start a worker)."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from registry.celery import app

    app.conf.task_always_eager = True
    yield


@pytest.fixture
def contributor(db):
    user = UserFactory(username="carla")
    user.groups.add(Group.objects.get_or_create(name=CONTRIBUTOR)[0])
    return user


@pytest.fixture
def other_contributor(db):
    user = UserFactory(username="omar")
    user.groups.add(Group.objects.get_or_create(name=CONTRIBUTOR)[0])
    return user


@pytest.fixture
def curator(db):
    user = UserFactory(username="cura")
    user.groups.add(Group.objects.get_or_create(name=CURATOR)[0], Group.objects.get_or_create(name=CONTRIBUTOR)[0])
    return user


@pytest.fixture
def second_curator(db):
    user = UserFactory(username="cura2")
    user.groups.add(Group.objects.get_or_create(name=CURATOR)[0], Group.objects.get_or_create(name=CONTRIBUTOR)[0])
    return user


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def api_client(user=None) -> APIClient:
    """A DRF client for the API, authenticated as `user` with a token as API users are (anonymous without)."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api_client_for(db):
    """`api_client_for(user)`: an API client authenticated as `user` (`api_client_for()`: anonymous)."""
    return api_client


@pytest.fixture
def signed_in(db):
    """`signed_in(user)`: a Django test client with `user` signed in to the pages (and the admin). Each
    call is a new client with its own session, so two people can act side by side in one test."""

    def sign_in(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return sign_in


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "both_databases: also run against the SQLite demo configuration (the Makefile's second run)"
    )


@pytest.fixture(scope="module")
def reference_data(django_db_setup, django_db_blocker) -> str:
    """The reference data (`load_reference_data`, its output returned), loaded once for the module that asks
    (it is the slow part) and committed; afterwards every table of the app is emptied again, history and
    map summary included, so later tests start from the state the migrations left."""
    with django_db_blocker.unblock():
        out = StringIO()
        call_command("load_reference_data", stdout=out)
        yield out.getvalue()
        models = apps.get_app_config("adoption").get_models(include_auto_created=True)
        tables = [m._meta.db_table for m in models if m._meta.db_table != "adoption_registrydataversion"]
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
