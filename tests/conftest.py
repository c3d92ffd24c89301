"""Shared fixtures: users in each role, the reference geography, and an eager Celery by default."""

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache

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
