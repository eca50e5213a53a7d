"""Fixed-window counters in the cache (Redis in production, shared by workers)."""

from __future__ import annotations

import hashlib

from django.core.cache import cache

WINDOW = 3600


def hit(scope: str, identity: str, limit: int, window: int = WINDOW) -> bool:
    """Count one attempt; True while within ``limit`` per ``window`` seconds.

    Identities are hashed so the cache never holds e-mail addresses.
    """
    digest = hashlib.sha256(identity.strip().lower().encode()).hexdigest()[:32]
    key = f"rl:requests:{scope}:{digest}"
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        count = 1
    return count <= limit
