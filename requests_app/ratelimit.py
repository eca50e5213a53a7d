"""Fixed-window counters in the cache (Redis in production, shared by workers)."""

from __future__ import annotations

import hashlib
from functools import cache as memoize
from typing import Any

from django.conf import settings
from django.core.cache import cache

WINDOW = 3600
_REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"


def hit(scope: str, identity: str, limit: int, window: int = WINDOW) -> bool:
    """Count one attempt; True while within ``limit`` per ``window`` seconds.

    Identities are hashed so the cache never holds e-mail addresses.
    """
    digest = hashlib.sha256(identity.strip().lower().encode()).hexdigest()[:32]
    key = f"rl:requests:{scope}:{digest}"
    client = _redis()
    if client is None:
        return _count_portable(key, window) <= limit
    # One round trip: MULTI; SET key 0 EX window NX; INCR key; EXEC. Atomic, so
    # the counter cannot expire between the two and live on without a TTL.
    with client.pipeline(transaction=True) as pipe:
        pipe.set(cache.make_and_validate_key(key), 0, ex=window, nx=True)
        pipe.incr(cache.make_and_validate_key(key))
        count = pipe.execute()[1]
    return count <= limit


def _count_portable(key: str, window: int) -> int:
    cache.add(key, 0, window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        return 1


@memoize
def _redis() -> Any:
    """A Redis client on the cache's server, made once per process.

    Django's RedisCache builds a client object per call and needs three round
    trips for add + incr; this is the same server and keys, in one. Any other
    cache backend (tests, SQLite setups) uses the portable path.
    """
    config = settings.CACHES["default"]
    location = config.get("LOCATION")
    if config.get("BACKEND") != _REDIS_BACKEND or not isinstance(location, str):
        return None
    if "," in location:
        return None
    import redis

    return redis.Redis.from_url(location)
