"""Shared fixtures: users in each role, the reference geography, and an eager Celery by default."""

from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection

from adoption.roles import CONTRIBUTOR, CURATOR

from .factories import UserFactory


@pytest.fixture(autouse=True)
def _empty_cache():
    """The cache outlives each test's rolled-back database (map data versions, throttle and rate-limit
    counters): start every test from an empty one so no test sees another's figures, and drop this
    process's copy of the map data version with it."""
    from adoption.services.data_version import forget_local_copy

    cache.clear()
    forget_local_copy()
    yield
    cache.clear()
    forget_local_copy()


@pytest.fixture
def local_memory_cache(settings):
    """The demo's cache (local memory, no Redis) whatever CACHE_URL says."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    yield
    cache.clear()


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
