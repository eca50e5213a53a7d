"""The request app's rate limits: fixed windows in the cache (see fastcache.hits)."""

from __future__ import annotations

from collections.abc import Sequence

from privacyportal import fastcache

WINDOW = 3600


def hits(checks: Sequence[tuple[str, str, int]], window: int = WINDOW) -> bool:
    """Count one attempt against each (scope, identity, limit); True if all allow."""
    return fastcache.hits("requests", checks, window)


def hit(scope: str, identity: str, limit: int, window: int = WINDOW) -> bool:
    """Count one attempt; True while within ``limit`` per ``window`` seconds."""
    return hits([(scope, identity, limit)], window)
