"""One shared Redis client for the hot paths of public views.

Django's RedisCache builds a client object per call (a dictionary of some 170
response callbacks each time) and needs several round trips for an add and an
increment. The public form pays that on every POST, so the few operations it
needs go through one client made once per process, on the same server and with
the same keys (prefix and version) as ``django.core.cache.cache``. Any other
cache backend (the file cache of a laptop install, tests without Redis) takes
the portable path through the cache API, with the same meaning.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache as memoize
from typing import Any

from django.conf import settings
from django.core.cache import cache

_REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"


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

    return redis.Redis.from_url(location)


def count(keys: Sequence[tuple[str, int]]) -> list[int]:
    """Add one to each (key, window seconds) counter; their new values.

    On Redis all counters move in one round trip: MULTI; for each, SET key 0
    EX window NX; INCR key; EXEC. Atomic, so a counter cannot expire between
    the two and live on without a TTL.
    """
    client = redis_client()
    if client is None:
        return [_count_portable(key, window) for key, window in keys]
    with client.pipeline(transaction=True) as pipe:
        for key, window in keys:
            full = cache.make_and_validate_key(key)
            pipe.set(full, 0, ex=window, nx=True)
            pipe.incr(full)
        results = pipe.execute()
    return results[1::2]


def _count_portable(key: str, window: int) -> int:
    cache.add(key, 0, window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        return 1


def add(key: str, ttl: int) -> bool:
    """Set ``key`` for ``ttl`` seconds if absent; True if this call set it."""
    client = redis_client()
    if client is None:
        return cache.add(key, 1, ttl)
    return bool(client.set(cache.make_and_validate_key(key), 1, ex=ttl, nx=True))


def delete(key: str) -> None:
    client = redis_client()
    if client is None:
        cache.delete(key)
    else:
        client.delete(cache.make_and_validate_key(key))
