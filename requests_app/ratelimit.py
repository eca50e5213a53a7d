"""Fixed-window counters in the cache (Redis in production, shared by workers)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from privacyportal import fastcache

WINDOW = 3600


def _key(scope: str, identity: str) -> str:
    # Identities are hashed so the cache never holds e-mail addresses.
    digest = hashlib.sha256(identity.strip().lower().encode()).hexdigest()[:32]
    return f"rl:requests:{scope}:{digest}"


def hits(checks: Sequence[tuple[str, str, int]], window: int = WINDOW) -> bool:
    """Count one attempt against each (scope, identity, limit); True if all allow.

    In order, in one round trip: once a check is over its limit the later
    ones are not counted (an address over its limit cannot use up the quota
    of the e-mail addresses it posts).
    """
    counts = fastcache.count(
        [(_key(scope, who), window, limit) for scope, who, limit in checks]
    )
    return len(counts) == len(checks) and all(
        n <= limit for n, (_, _, limit) in zip(counts, checks, strict=True)
    )


def hit(scope: str, identity: str, limit: int, window: int = WINDOW) -> bool:
    """Count one attempt; True while within ``limit`` per ``window`` seconds."""
    return hits([(scope, identity, limit)], window)
