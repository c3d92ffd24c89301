"""The map data version seen by other processes: each keeps a copy, dropped when a bump is announced.
Without Redis (the demo's local-memory cache) it lives in that cache and no copy is kept."""

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

from adoption.services import data_version

needs_redis = pytest.mark.skipif(
    not isinstance(caches["default"], RedisCache), reason="the announcements go through Redis (set CACHE_URL)"
)


def _other_process():
    """A second process's view: its own copy and subscription, over the same Redis and database."""
    watch = data_version._Watch()
    client = data_version.redis_client()
    reads = []

    def entry():
        def read():
            reads.append(1)
            return data_version._read_entry()

        return watch.get(client, read), len(reads)

    return watch, entry


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_a_bump_reaches_the_other_processes_copy_at_once():
    watch, entry = _other_process()
    try:
        first, reads = entry()
        assert entry() == (first, reads)  # the copy answers: no second read of the cache
        data_version.data_version_bump()  # outside a transaction: committed and announced at once
        second, reads_after = entry()
        assert second[0] != first[0] and reads_after == reads + 1
        assert data_version.data_version_entry()[0] == second[0]  # this process agrees
    finally:
        watch.forget()


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_bump_is_never_announced():
    from django.db import transaction

    watch, entry = _other_process()
    try:
        first, reads = entry()
        with transaction.atomic():
            data_version.data_version_bump()
            transaction.set_rollback(True)
        assert entry() == (first, reads)  # the copy still answers
        assert data_version.data_version_entry()[0] == first[0]
    finally:
        watch.forget()


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_without_redis_announcements_every_request_reads_the_cache(monkeypatch):
    watch, entry = _other_process()

    def refuse(*args, **kwargs):
        raise ConnectionError("Redis pub/sub unavailable")

    monkeypatch.setattr(data_version.redis_client(), "pubsub", refuse)
    first, reads = entry()
    second, reads_after = entry()
    assert second == first and reads_after == reads + 1  # no copy kept: read each time
    data_version.data_version_bump()
    assert entry()[0][0] != first[0]


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_a_late_refill_cannot_put_an_older_version_back():
    """A reader read the version row, then a bump committed and was announced, then the reader stored
    what it read: the cache keeps the newer version, so no process is served the old one."""
    from adoption.models import RegistryDataVersion

    data_version.data_version_entry()
    old = RegistryDataVersion.objects.values_list("version", "token", "changed_at").get(pk=1)
    data_version.data_version_bump()
    new_token = RegistryDataVersion.objects.values_list("token", flat=True).get(pk=1)
    assert data_version._store(*old)[0] == new_token
    data_version.forget_local_copy()
    assert data_version.data_version()[0] == new_token


@needs_redis
def test_the_client_talks_to_the_django_caches_redis():
    client = data_version.redis_client()
    assert client is data_version.redis_client()  # one per process
    cache.set("probe", 1)
    assert client.exists(cache.make_key("probe"))  # same server and database, same key names


@pytest.mark.both_databases
@pytest.mark.django_db
def test_without_redis_the_version_lives_in_the_local_cache(local_memory_cache, django_capture_on_commit_callbacks):
    assert data_version.redis_client() is None
    token, changed_at = data_version.data_version()
    assert data_version.data_version() == (token, changed_at)
    with django_capture_on_commit_callbacks(execute=True):
        data_version.data_version_bump()
    assert data_version.data_version()[0] != token
