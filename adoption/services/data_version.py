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
import datetime
import logging
import threading
import time
import uuid

from django.db import connection, transaction
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


# The entry in Redis, "version|token|changed_at|fill", is only ever replaced by a newer version (compared
# in Redis itself): a reader that read the database just before a bump committed cannot put the old
# version back after the bump's announcement wrote the new one.
_STORE_IF_NEWER = """
local current = redis.call('GET', KEYS[1])
if current then
  local stored = tonumber(string.match(current, '^(%d+)|'))
  if stored and stored >= tonumber(ARGV[1]) then return current end
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[3]))
return ARGV[2]
"""
ENTRY_SECONDS = 3600
BUMP_SQL = ("UPDATE adoption_registrydataversion SET version = version + 1, token = %s, changed_at = %s "
            "WHERE id = 1 RETURNING version")


def _encode(version: int, token: str, changed_at, fill: str) -> str:
    return f"{version}|{token}|{changed_at.isoformat()}|{fill}"


def _decode(raw) -> tuple[str, object, str]:
    _, token, changed_at, fill = (raw.decode() if isinstance(raw, bytes) else raw).split("|")
    return token, datetime.datetime.fromisoformat(changed_at), fill


def _store(version: int, token: str, changed_at, *, pipe=None):
    """Store this version's entry unless a newer one is there; returns the entry now stored (through a
    pipeline: queued, returns None)."""
    backend, client = _redis_backend()
    raw = _encode(version, token, changed_at, uuid.uuid4().hex)
    if client is None:  # a local-memory cache: one process, no race to guard against
        current = backend.get(CACHE_KEY)
        if current is None or int(current.split("|")[0]) < version:
            backend.set(CACHE_KEY, raw, timeout=ENTRY_SECONDS)
            current = raw
        return _decode(current)
    script = backend._cache.__dict__.get("_maps_store_script")
    if script is None:
        script = backend._cache.__dict__["_maps_store_script"] = client.register_script(_STORE_IF_NEWER)
    stored = script(keys=[backend.make_and_validate_key(CACHE_KEY)], args=[version, raw, ENTRY_SECONDS],
                    client=pipe or client)
    return None if pipe is not None else _decode(stored)


def _read_entry() -> tuple[str, object, str]:
    backend, client = _redis_backend()
    try:
        raw = backend.get(CACHE_KEY) if client is None else client.get(backend.make_and_validate_key(CACHE_KEY))
    except Exception:  # a cache outage must not take the maps down
        logger.warning("maps: cache unavailable for the data version", exc_info=True)
        raw = None
    if raw:
        with contextlib.suppress(ValueError):  # else an entry of an older format: replaced below
            return _decode(raw)
    row = RegistryDataVersion.objects.filter(pk=1).values_list("version", "token", "changed_at").first()
    if row is None:
        obj, _ = RegistryDataVersion.objects.get_or_create(pk=1, defaults={"changed_at": timezone.now()})
        row = (obj.version, obj.token, obj.changed_at)
    try:
        return _store(*row)
    except Exception:
        logger.warning("maps: could not cache the data version", exc_info=True)
        return row[1], row[2], uuid.uuid4().hex


def data_version_entry() -> tuple[str, object, str]:
    """(token, changed_at, fill): `fill` is new each time the cached entry is (re)written, so a
    per-process copy of a response keyed by it is never trusted beyond the entry it came with."""
    _, client = _redis_backend()
    if client is None or transaction.get_connection().in_atomic_block:
        # Inside a transaction the caller may have bumped the version itself: read it, not the copy.
        return _read_entry()
    return _watch.get(client, _read_entry)


def _announce(version: int, token: str, changed_at) -> None:
    """Write the new version's entry and tell every process to drop its copy: one round trip."""
    _, client = _redis_backend()
    try:
        if client is None:
            _store(version, token, changed_at)
            return
        pipe = client.pipeline(transaction=False)
        _store(version, token, changed_at, pipe=pipe)
        pipe.publish(CHANNEL, b"bumped")
        pipe.execute()
    except Exception:
        logger.warning("maps: could not announce a new data version", exc_info=True)


def data_version_bump() -> None:
    """Mark the map data as changed (in the caller's transaction); the cached entry and the copies are
    replaced when the transaction commits (at once outside one), before the caller's response goes
    out: the next request reads the new version (read-your-writes)."""
    now = timezone.now()
    token = uuid.uuid4().hex
    with connection.cursor() as cursor:
        cursor.execute(BUMP_SQL, [token, now])
        row = cursor.fetchone()
    version_bumped(token, now, row[0] if row else None)


def version_bumped(token: str, now, version: int | None) -> None:
    """After the caller's own statement moved the row to `version` (None: there was no row): create it
    if missing, and announce the change on commit."""
    if version is None:
        obj, _ = RegistryDataVersion.objects.update_or_create(pk=1, defaults={"token": token, "changed_at": now})
        version = obj.version
    # Once, on commit: announcing before would let a reader fill its copy from the old row again.
    transaction.on_commit(lambda: _announce(version, token, now))
