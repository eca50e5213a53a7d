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

import hashlib
import math
import time
from collections.abc import Sequence
from functools import cache as memoize
from typing import Any

from django.conf import settings
from django.core.cache import cache

_REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"


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
    ``checks``.
    """
    client = redis_client()
    if client is None:
        return _count_portable(checks)
    keys = [cache.make_and_validate_key(key) for key, _, _ in checks]
    argv = [arg for _, window, limit in checks for arg in (window, limit)]
    return [int(n) for n in _count_script()(keys=keys, args=argv)]


def _count_portable(checks: Sequence[tuple[str, int, int]]) -> list[int]:
    """The same through the cache API (file cache, tests): not atomic.

    The window's end is stored with the count: the cache API's incr keeps the
    backend's default timeout, which would turn an hour into five minutes.
    """
    counts = []
    for key, window, limit in checks:
        now = time.time()
        entry = cache.get(key)
        if entry is None or entry[1] <= now:
            entry = (0, now + window)
        entry = (entry[0] + 1, entry[1])
        cache.set(key, entry, max(1, math.ceil(entry[1] - now)))
        counts.append(entry[0])
        if entry[0] > limit:
            break
    return counts


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
