"""The registry's map data version: the source of the map endpoints' ETag and Last-Modified.

One database row (RegistryDataVersion) moves in every transaction that changes what the maps show.
Readers get it from the cache (no query on a revalidation), and with Redis from a copy kept in each
process, which is dropped the moment a bump is announced on a Redis channel: a cached map then costs
no network round trip at all, yet the next request after an approval, on any process, sees it.
With Redis the module talks to it through its own redis-py client (`redis_client`); with the demo's
local-memory cache it goes through Django's cache API and keeps no copy (one process, nothing to announce).

    data_version() -> (token, changed_at)
    data_version_entry() -> (token, changed_at, fill)   # fill: new whenever the copy was refilled
    data_version_bump()                                  # in the changing transaction
"""

import contextlib
import datetime
import functools
import logging
import re
import threading
import uuid

import redis
from cachetools import TTLCache
from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.db import connection, transaction
from django.dispatch import receiver
from django.utils import timezone

from adoption.models import RegistryDataVersion

logger = logging.getLogger(__name__)

CACHE_KEY = "adoption:maps:data-version"
CHANNEL = "adoption:maps:data-version-bumped"
# A process's copy is re-read at least this often, in case the version moved without an announcement
# (a database restored by hand); every bump made through the services is announced.
LOCAL_MAX_AGE = 60.0


def _warn(what: str, exc: Exception) -> None:
    """One line for Redis being unreachable (each map request says so while it is down); a traceback for
    anything unexpected."""
    if isinstance(exc, redis.RedisError):
        logger.warning("%s: %s", what, exc)
    else:
        logger.warning(what, exc_info=exc)


def data_version() -> tuple[str, object]:
    """(token, changed_at) of the registry's map data."""
    token, changed_at, _ = data_version_entry()
    return token, changed_at


# Options of Django's RedisCache that are its own, not redis-py's connection options.
_DJANGO_ONLY_OPTIONS = {"serializer", "pool_class", "parser_class"}


@functools.cache
def redis_client() -> redis.Redis | None:
    """This process's client for the default cache's Redis server (its first, the one Django writes to),
    or None when the default cache is not Redis (the demo's local memory: use Django's cache API then).
    Made once per process: the maps read the data version on every request, and building a client per
    call (as Django's cache does) costs more than the round trip itself. Thread-safe, with its own pool."""
    config = settings.CACHES["default"]
    if config["BACKEND"] != "django.core.cache.backends.redis.RedisCache":
        return None
    location = config["LOCATION"]
    url = re.split("[;,]", location)[0] if isinstance(location, str) else location[0]
    options = {name: value for name, value in config.get("OPTIONS", {}).items() if name not in _DJANGO_ONLY_OPTIONS}
    return redis.Redis.from_url(url, **options)


@receiver(setting_changed)
def _cache_setting_changed(*, setting, **kwargs) -> None:
    """A test that overrides CACHES gets a client for the cache it set (as Django's caches do)."""
    if setting == "CACHES":
        _watch.forget()
        redis_client.cache_clear()
        _store_script.cache_clear()


class _Watch:
    """This process's copy of the version entry, valid while its subscription to CHANNEL holds, no
    announcement has arrived and it is younger than LOCAL_MAX_AGE. Pending announcements are read
    (without waiting) before each use: a bump is announced before the bumping request answers, so a later
    request finds it waiting."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pubsub = None
        self.copy = TTLCache(maxsize=1, ttl=LOCAL_MAX_AGE)

    def forget(self) -> None:
        with self.lock:
            self._drop()

    def _drop(self) -> None:
        if self.pubsub is not None:
            with contextlib.suppress(Exception):
                self.pubsub.close()
        self.pubsub = None
        self.copy.clear()

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
                        self.copy.clear()
            except Exception as exc:  # no subscription: read every time, as without the copy
                _warn("maps: data version announcements unavailable", exc)
                self._drop()
                return read()
            entry = self.copy.get(CACHE_KEY)
            if entry is None:
                entry = self.copy[CACHE_KEY] = read()
            return entry


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
    client = redis_client()
    raw = _encode(version, token, changed_at, uuid.uuid4().hex)
    if client is None:  # a local-memory cache: one process, no race to guard against
        current = cache.get(CACHE_KEY)
        if current is None or int(current.split("|")[0]) < version:
            cache.set(CACHE_KEY, raw, timeout=ENTRY_SECONDS)
            current = raw
        return _decode(current)
    stored = _store_script()(keys=[cache.make_key(CACHE_KEY)], args=[version, raw, ENTRY_SECONDS],
                             client=pipe or client)
    return None if pipe is not None else _decode(stored)


@functools.cache
def _store_script():
    """_STORE_IF_NEWER, registered once per process (run by its SHA, loaded on first use)."""
    return redis_client().register_script(_STORE_IF_NEWER)


def _read_entry() -> tuple[str, object, str]:
    client = redis_client()
    try:
        raw = cache.get(CACHE_KEY) if client is None else client.get(cache.make_key(CACHE_KEY))
    except Exception as exc:  # a cache outage must not take the maps down
        _warn("maps: cache unavailable for the data version", exc)
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
    except Exception as exc:
        _warn("maps: could not cache the data version", exc)
        return row[1], row[2], uuid.uuid4().hex


def data_version_entry() -> tuple[str, object, str]:
    """(token, changed_at, fill): `fill` is new each time the cached entry is (re)written, so a
    per-process copy of a response keyed by it is never trusted beyond the entry it came with."""
    client = redis_client()
    if client is None or transaction.get_connection().in_atomic_block:
        # Inside a transaction the caller may have bumped the version itself: read it, not the copy.
        return _read_entry()
    return _watch.get(client, _read_entry)


def _announce(version: int, token: str, changed_at) -> None:
    """Write the new version's entry and tell every process to drop its copy: one round trip."""
    client = redis_client()
    try:
        if client is None:
            _store(version, token, changed_at)
            return
        pipe = client.pipeline(transaction=False)
        _store(version, token, changed_at, pipe=pipe)
        pipe.publish(CHANNEL, b"bumped")
        pipe.execute()
    except Exception as exc:
        _warn("maps: could not announce a new data version", exc)


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
