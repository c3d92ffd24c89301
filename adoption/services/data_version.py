"""The registry's map data version: the source of the map endpoints' ETag and Last-Modified.

One database row (RegistryDataVersion) moves in every transaction that changes what the maps show.
Readers get it from the cache (no query on a revalidation), and with Redis from a copy kept in each
process, which is dropped the moment a bump is announced on a Redis channel: a cached map then costs
no network round trip at all, yet the next request after an approval, on any process, sees it.

    data_version() -> (token, changed_at)
    data_version_entry() -> (token, changed_at, fill)   # fill: new whenever the copy was refilled
    data_version_bump()                                  # in the changing transaction
"""

import contextlib
import logging
import threading
import time
import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from adoption.models import RegistryDataVersion

logger = logging.getLogger(__name__)

CACHE_KEY = "adoption:maps:data-version"
CHANNEL = "adoption:maps:data-version-bumped"
# A process's copy is re-read at least this often, in case the version moved without an announcement
# (a database restored by hand); every bump made through the services is announced.
LOCAL_MAX_AGE = 60.0


def data_version() -> tuple[str, object]:
    """(token, changed_at) of the registry's map data."""
    token, changed_at, _ = data_version_entry()
    return token, changed_at


def _redis_backend():
    """The default cache and a Redis client kept for this process when it is Django's RedisCache, else
    (cache, None). Django builds a new redis.Redis per call, which costs more than the round trip itself
    (its command table is rebuilt each time): the maps read the data version on every request, so they
    keep one client (thread-safe, on the cache's own connection pool)."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return backend, None
    client = backend._cache.__dict__.get("_maps_client")
    if client is None:
        client = backend._cache.__dict__["_maps_client"] = backend._cache.get_client(write=True)
    return backend, client


def cache_read(key: str):
    """cache.get(key) through the kept Redis client (see _redis_backend); exceptions pass through."""
    backend, client = _redis_backend()
    if client is None:
        return backend.get(key)
    value = client.get(backend.make_and_validate_key(key))
    return None if value is None else backend._cache._serializer.loads(value)


class _Watch:
    """This process's copy of the version entry, valid while its subscription to CHANNEL holds and no
    announcement has arrived. Pending announcements are read (without waiting) before each use: a bump
    is announced before the bumping request answers, so a later request finds it waiting."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pubsub = None
        self.entry = None
        self.read_at = 0.0

    def forget(self) -> None:
        with self.lock:
            self._drop()

    def _drop(self) -> None:
        if self.pubsub is not None:
            with contextlib.suppress(Exception):
                self.pubsub.close()
        self.pubsub, self.entry = None, None

    def get(self, client, read):
        """The entry, from the copy when it is still good, else from `read()` (then kept)."""
        with self.lock:
            try:
                if self.pubsub is None:
                    self.pubsub = client.pubsub(ignore_subscribe_messages=False)
                    self.pubsub.subscribe(CHANNEL)
                    # Subscribed before reading: no announcement can fall between the two.
                    if self.pubsub.get_message(timeout=2.0) is None:
                        raise ConnectionError("no subscription confirmation")
                while (message := self.pubsub.get_message(timeout=0.0)) is not None:
                    if message["type"] == "message":
                        self.entry = None
            except Exception:  # no subscription: read every time, as without the copy
                logger.warning("maps: data version announcements unavailable", exc_info=True)
                self._drop()
                return read()
            if self.entry is None or time.monotonic() - self.read_at > LOCAL_MAX_AGE:
                self.entry, self.read_at = read(), time.monotonic()
            return self.entry


_watch = _Watch()


def forget_local_copy() -> None:
    """Drop this process's copy (tests, after clearing the cache under a rolled-back database)."""
    _watch.forget()


def _read_entry() -> tuple[str, object, str]:
    try:
        cached = cache_read(CACHE_KEY)
    except Exception:  # a cache outage must not take the maps down
        logger.warning("maps: cache unavailable for the data version", exc_info=True)
        cached = None
    if cached and len(cached) == 3:
        return tuple(cached)
    row = RegistryDataVersion.objects.filter(pk=1).values_list("token", "changed_at").first()
    if row is None:
        obj, _ = RegistryDataVersion.objects.get_or_create(pk=1, defaults={"changed_at": timezone.now()})
        row = (obj.token, obj.changed_at)
    entry = (row[0], row[1], uuid.uuid4().hex)
    with contextlib.suppress(Exception):
        cache.set(CACHE_KEY, entry, timeout=3600)
    return entry


def data_version_entry() -> tuple[str, object, str]:
    """(token, changed_at, fill): `fill` is new each time the cached copy is (re)filled, e.g. after the
    cache was cleared or restored, so a per-process copy of a response keyed by it is never trusted
    beyond the cache it came with."""
    _, client = _redis_backend()
    if client is None or transaction.get_connection().in_atomic_block:
        # Inside a transaction the caller may have bumped the version itself: read it, not the copy.
        return _read_entry()
    return _watch.get(client, _read_entry)


def _announce() -> None:
    """Drop the cached entry and tell every process to drop its copy: one round trip."""
    backend, client = _redis_backend()
    try:
        if client is None:
            backend.delete(CACHE_KEY)
            return
        pipe = client.pipeline(transaction=False)
        pipe.delete(backend.make_and_validate_key(CACHE_KEY))
        pipe.publish(CHANNEL, b"bumped")
        pipe.execute()
    except Exception:
        logger.warning("maps: could not announce a new data version", exc_info=True)


def data_version_bump() -> None:
    """Mark the map data as changed (in the caller's transaction); the cached copies are dropped when
    the transaction commits (at once outside one), before the caller's response goes out: the next
    request reads the new version (read-your-writes)."""
    now = timezone.now()
    token = uuid.uuid4().hex
    updated = RegistryDataVersion.objects.filter(pk=1).update(version=F("version") + 1, token=token, changed_at=now)
    version_bumped(token, now, updated)


def version_bumped(token: str, now, updated: int) -> None:
    """After the row was updated (`updated` rows) by the caller's own statement: create it if missing,
    and announce the change on commit."""
    if not updated:
        RegistryDataVersion.objects.update_or_create(pk=1, defaults={"token": token, "changed_at": now})
    # Once, on commit: announcing before as well would not help (a reader may refill from the old row
    # until the commit) and costs the approval another round trip.
    transaction.on_commit(_announce)
