"""One shared Redis client for the hot paths of public views.

Django's RedisCache builds a client object per call (a dictionary of some 170
response callbacks each time) and needs several round trips for an add and an
increment. The public form pays that on every POST, so the few operations it
needs go through one client made once per process, on the same server and with
the same keys (prefix and version) as ``django.core.cache.cache``. Any other
cache backend (the file cache of a laptop install, tests without Redis) takes
the portable path through the cache API under a lock, with the same meaning.

A cache that does not answer must not take the public pages down with it:
counting falls back to counters kept in each web process (see ``count``).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import math
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache as memoize
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import BaseCache, cache
from django.core.cache.backends.locmem import LocMemCache
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

_REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"
_FILE_BACKEND = "django.core.cache.backends.filebased.FileBasedCache"

# What an unreachable or failing cache raises: Redis errors, and OSError for
# the file cache (disk full, directory gone) and for sockets.
CACHE_ERRORS: tuple[type[Exception], ...] = (RedisError, OSError)


class CacheUnavailable(ConnectionError):
    """The shared cache is down (reported once by this module, not per call)."""


# Django's own pool options (class paths) are not redis-py keyword arguments.
_DJANGO_ONLY_OPTIONS = {"parser_class", "pool_class", "serializer"}


@memoize
def redis_client() -> Any:
    """A Redis client on the cache's server, or None if the cache is not Redis."""
    config = settings.CACHES["default"]
    location = config.get("LOCATION")
    if config.get("BACKEND") != _REDIS_BACKEND or not isinstance(location, str):
        return None
    if "," in location:  # several servers: Django shards keys; so must we not
        return None
    import redis

    # The cache's OPTIONS (TLS settings, timeouts from the URL's query) apply
    # to this client too, as Django passes them to its connection pool.
    options = {
        k: v
        for k, v in config.get("OPTIONS", {}).items()
        if k not in _DJANGO_ONLY_OPTIONS
    }
    return redis.Redis.from_url(location, **options)


# Count each (key, window, limit) in order and stop at the first one over its
# limit: a later counter must not move for an attempt an earlier one refused
# (else one address could use up other people's e-mail quotas). One round
# trip, atomic. SET NX EX then INCR: a counter never lives without a TTL.
_COUNT_SCRIPT = """
local counts = {}
for i, key in ipairs(KEYS) do
  redis.call('SET', key, 0, 'EX', ARGV[2 * i - 1], 'NX')
  local n = redis.call('INCR', key)
  counts[i] = n
  if n > tonumber(ARGV[2 * i]) then break end
end
return counts
"""


@memoize
def _count_script() -> Any:
    return redis_client().register_script(_COUNT_SCRIPT)


def count(checks: Sequence[tuple[str, int, int]]) -> list[int]:
    """Count one attempt against each (key, window seconds, limit), in order.

    Returns the new values of the counters that moved; counting stops after
    the first counter over its limit, so the list may be shorter than
    ``checks``. Never raises for a cache outage: see ``_fallback_count``.
    """
    if not outage.ongoing():
        try:
            counts = _count_shared(checks)
        except CACHE_ERRORS as exc:
            outage.begin(exc)
        else:
            outage.end()
            return counts
    return _fallback_count(checks)


def _count_shared(checks: Sequence[tuple[str, int, int]]) -> list[int]:
    client = redis_client()
    if client is None:
        with _shared_lock():
            return _count_portable(checks, cache)
    keys = [cache.make_and_validate_key(key) for key, _, _ in checks]
    argv = [arg for _, window, limit in checks for arg in (window, limit)]
    return [int(n) for n in _count_script()(keys=keys, args=argv)]


def _count_portable(
    checks: Sequence[tuple[str, int, int]], store: BaseCache = cache
) -> list[int]:
    """The same through the cache API; atomic only under the caller's lock.

    The window's end is stored with the count: the cache API's incr keeps the
    backend's default timeout, which would turn an hour into five minutes.
    """
    counts = []
    for key, window, limit in checks:
        now = time.time()
        entry = store.get(key)
        if entry is None or entry[1] <= now:
            entry = (0, now + window)
        entry = (entry[0] + 1, entry[1])
        store.set(key, entry, max(1, math.ceil(entry[1] - now)))
        counts.append(entry[0])
        if entry[0] > limit:
            break
    return counts


# Why a file lock, not a counter table: the file cache's get + set is a
# read-modify-write that concurrent web processes interleave (25 posts against
# a limit of 10 were all accepted). An flock(2) on one file next to the cache
# serialises it across every process and thread on the machine, needs no
# migration and no sweep of old rows, and the kernel drops the lock of a
# holder that dies. Measured on a 2-core laptop-class machine: 0.42 ms a count
# against 0.37 unlocked, and 1,300 counts/s from 4 contending processes, far
# above what the embedded install serves. An SQLite UPSERT measured 1.4-2.0 ms
# a count and would take the database write lock that every submission waits
# for. Other non-Redis backends (locmem in tests) live in one process, where a
# thread lock is enough; a cross-host cache other than Redis is not supported
# for limits.
_THREAD_LOCK = threading.Lock()


@contextmanager
def _shared_lock() -> Iterator[None]:
    config = settings.CACHES["default"]
    if config.get("BACKEND") != _FILE_BACKEND:
        with _THREAD_LOCK:
            yield
        return
    path = Path(config["LOCATION"]) / "ratelimit.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    # A fresh descriptor per call: flock locks belong to the open file, so
    # threads of one process exclude each other as processes do.
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- when the cache is down -----------------------------------------------------

# Why per-process counters rather than accepting everything, or refusing: a
# refusal loses the person's request (the outage is ours, not theirs); no
# limit at all opens the form to floods exactly when we are weakest. Counted
# in each web process, the same limits still hold per process, so one address
# gets at most (limit x web processes) per window while the cache is down.
_FALLBACK = LocMemCache("fastcache-fallback", {"OPTIONS": {"MAX_ENTRIES": 10_000}})
_FALLBACK_LOCK = threading.Lock()


def _fallback_count(checks: Sequence[tuple[str, int, int]]) -> list[int]:
    with _FALLBACK_LOCK:
        return _count_portable(checks, _FALLBACK)


class Outage:
    """Whether the shared cache is skipped for now, and reporting it once.

    After a failure the cache is not asked again for ``RETRY_AFTER`` seconds,
    so a cache that hangs costs one request a timeout, not every request; the
    error is logged once per ``REPORT_EVERY`` seconds however many requests
    arrive, and the recovery is logged once.
    """

    RETRY_AFTER = 5.0
    REPORT_EVERY = 60.0

    def __init__(self) -> None:
        self.until = 0.0
        self.next_report = 0.0

    def ongoing(self) -> bool:
        return time.monotonic() < self.until

    def begin(self, exc: BaseException) -> None:
        now = time.monotonic()
        self.until = now + self.RETRY_AFTER
        if now >= self.next_report:
            self.next_report = now + self.REPORT_EVERY
            log.error(
                "cache unavailable (%s: %s): rate limits are counted per web "
                "process until it answers again",
                type(exc).__name__,
                exc,
            )

    def end(self) -> None:
        if self.until:
            self.until = self.next_report = 0.0
            log.warning("cache answers again: rate limits are shared again")


outage = Outage()


def add(key: str, ttl: int) -> bool:
    """Set ``key`` for ``ttl`` seconds if absent; True if this call set it.

    Raises CacheUnavailable when the cache is down: the caller decides what
    an unknown answer means.
    """
    if outage.ongoing():
        raise CacheUnavailable("cache is down")
    try:
        client = redis_client()
        if client is None:
            return cache.add(key, 1, ttl)
        return bool(client.set(cache.make_and_validate_key(key), 1, ex=ttl, nx=True))
    except CACHE_ERRORS as exc:
        outage.begin(exc)
        raise CacheUnavailable(str(exc)) from exc


def delete(key: str) -> None:
    """Delete ``key``; best effort while the cache is down (nobody can read it)."""
    if outage.ongoing():
        return
    try:
        client = redis_client()
        if client is None:
            cache.delete(key)
        else:
            client.delete(cache.make_and_validate_key(key))
    except CACHE_ERRORS as exc:
        outage.begin(exc)


def hits(
    namespace: str, checks: Sequence[tuple[str, str, int]], window: int = 3600
) -> bool:
    """Count one attempt against each (scope, identity, limit); True if all allow.

    Fixed windows, in order, in one round trip: once a check is over its limit
    the later ones are not counted (an address over its limit cannot use up the
    quota of the e-mail addresses it posts). Identities are hashed, so the
    cache never holds an e-mail or IP address.
    """
    keys = [
        (f"rl:{namespace}:{scope}:{_digest(identity)}", window, limit)
        for scope, identity, limit in checks
    ]
    counts = count(keys)
    return len(counts) == len(checks) and all(
        n <= limit for n, (_, _, limit) in zip(counts, checks, strict=True)
    )


def _digest(identity: str) -> str:
    return hashlib.sha256(identity.strip().lower().encode()).hexdigest()[:32]
