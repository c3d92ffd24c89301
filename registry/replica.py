"""Reads from a streaming read replica (DATABASE_REPLICA_URL), never at the cost of a user's own write.

Installed only when DATABASE_REPLICA_URL is set (settings). ReplicaMiddleware marks the requests whose reads
the replica may serve: GET and HEAD outside the admin, the accounts pages and the moderation pages. Anything
else (other requests, Celery tasks, management commands) reads from the primary, as do, in any request:
- reads after a write in the same request, and inside a transaction;
- who the user is (sessions, users, tokens, log-in failures): a new account or token works at once;
- the map data version, the key maps are cached under.

A request's first replica read asks the replica once how far it has replayed the primary's WAL (and its map
data version). The replica serves the request only if it answers, if it has replayed the client's last write and,
for the map tables, if it shows the data version in hand: a map answer is cached under that version, so one
computed from a replica behind it would keep an old map for that whole version.

Read-your-writes: after a request that wrote, the primary's WAL insert position is kept in the shared cache
under the client's credentials, its API token and its session (DATABASE_REPLICA_PIN_SECONDS). Until the replica
has replayed that far, that client's reads go to the primary, however long it lags, whichever process serves
them.
"""

import contextvars
import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections

REPLICA = "replica"
PRIMARY = "default"
SAFE_METHODS = ("GET", "HEAD")
# Pages whose readers act on what they read (curators, account holders): always the primary.
PRIMARY_PATHS = ("/admin/", "/accounts/", "/moderation/", "/api/v1/auth/")
# Who the user is, and the map data version: always the primary.
PRIMARY_MODELS = {
    "sessions.session", "auth.user", "auth.group", "auth.permission", "authtoken.token", "authtoken.tokenproxy",
    "axes.accessattempt", "axes.accessfailurelog", "axes.accesslog", "adoption.registrydataversion",
}
# Tables the maps read and cache under the data version.
MAP_MODELS = {"adoption.mapsummary", "adoption.adopterpresence", "adoption.publicationspan", "adoption.mapdelta"}
# After the replica failed to answer, this process leaves it alone for this long (no connect attempt per request).
DOWN_SECONDS = 10.0
PIN_KEY = "registry:replica:pin:{}"

logger = logging.getLogger(__name__)
_request = contextvars.ContextVar("replica_request", default=None)
_down_until = 0.0


def pin_keys(*credentials: str | None) -> list[str]:
    """Cache keys of a client's credentials (API token header, session key), hashed: no secret in a key."""
    return [PIN_KEY.format(hashlib.sha256(value.encode()).hexdigest()) for value in credentials if value]


def lsn_value(lsn: str) -> int:
    """A WAL position ('16/B374D848') as a comparable number."""
    high, low = lsn.split("/")
    return (int(high, 16) << 32) | int(low, 16)


class _Reads:
    """What one request has done and learnt, for the router."""

    def __init__(self, request):
        self.request = request
        self.eligible = request.method in SAFE_METHODS and not request.path_info.startswith(PRIMARY_PATHS)
        self.wrote = False
        self._probe: tuple[int, str | None] | None | bool = False  # False: not asked yet; None: no answer
        self._pin: int | None | bool = False  # False: not looked up yet

    def replica_state(self) -> tuple[int, str | None] | None:
        """(replayed WAL position, map data version token) of the replica, asked once; None when it fails."""
        global _down_until
        if self._probe is False:
            self._probe = None
            if time.monotonic() >= _down_until:
                try:
                    with connections[REPLICA].cursor() as cursor:
                        cursor.execute("SELECT pg_last_wal_replay_lsn()::text, "
                                       "(SELECT token FROM adoption_registrydataversion WHERE id = 1)")
                        lsn, token = cursor.fetchone()
                    # A server that is not (or no longer) a standby has no replay position: not a replica.
                    self._probe = None if lsn is None else (lsn_value(lsn), token)
                except DatabaseError:
                    logger.warning("replica unavailable: reading from the primary", exc_info=True)
                    connections[REPLICA].close()
                    _down_until = time.monotonic() + DOWN_SECONDS
        return self._probe

    def pin(self) -> int | None:
        """The WAL position of the last write made with this request's credentials, while it is kept."""
        if self._pin is False:
            # From the request's own header and cookie: loading the session or the user here would make
            # a map answer vary by cookie.
            request = self.request
            keys = pin_keys(request.META.get("HTTP_AUTHORIZATION"), request.COOKIES.get(settings.SESSION_COOKIE_NAME))
            try:
                pins = cache.get_many(keys).values() if keys else ()
            except Exception:  # noqa: BLE001 (a cache outage: assume a recent write, read from the primary)
                pins = ["FFFFFFFF/FFFFFFFF"]
            self._pin = max((lsn_value(lsn) for lsn in pins), default=None)
        return self._pin

    def use_replica(self, label: str) -> bool:
        if not self.eligible or self.wrote or connections[PRIMARY].in_atomic_block:
            return False
        state = self.replica_state()
        if state is None:
            return False
        replayed, token = state
        pin = self.pin()
        if pin is not None and replayed < pin:
            return False
        if label in MAP_MODELS:
            from adoption.services.data_version import data_version

            return token == data_version()[0]
        return True


class ReplicaRouter:
    """Reads to the replica when the current request allows it (see the module docstring), all else to the primary."""

    def db_for_read(self, model, **hints):
        reads = _request.get()
        if reads is None or model._meta.label_lower in PRIMARY_MODELS:
            return PRIMARY
        return REPLICA if reads.use_replica(model._meta.label_lower) else PRIMARY

    def db_for_write(self, model, **hints):
        reads = _request.get()
        if reads is not None:
            reads.wrote = True
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, two servers

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY  # the replica follows the primary's schema by itself


def _streamed(reads: _Reads, chunks):
    _request.set(reads)
    try:
        yield from chunks
    finally:
        _request.set(None)


class ReplicaMiddleware:
    """Marks the request for the router; after a write, keeps its WAL position for the client (place it first)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        reads = _Reads(request)
        marker = _request.set(reads)
        try:
            response = self.get_response(request)
        finally:
            _request.reset(marker)
        if reads.wrote:
            self._pin(request)
        if response.streaming:  # an export reads as it streams, after this returns
            response.streaming_content = _streamed(reads, response.streaming_content)
        return response

    def _pin(self, request) -> None:
        session = getattr(request, "session", None)
        # The session as the response leaves it: a log-in has just given it a new key, a log-out none.
        keys = pin_keys(request.META.get("HTTP_AUTHORIZATION"), session.session_key if session is not None else None)
        if not keys:
            return
        try:
            with connections[PRIMARY].cursor() as cursor:
                # The insert position: past every record this request's commits wrote, flushed or not.
                cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
                lsn = cursor.fetchone()[0]
            cache.set_many(dict.fromkeys(keys, lsn), timeout=settings.DATABASE_REPLICA_PIN_SECONDS)
        except Exception:  # the write is done: its answer must not turn into an error
            logger.warning("replica: could not keep the WAL position of a write", exc_info=True)
