"""Per-key rate limit: API_RATE_PER_MINUTE calls a minute, or the key's own.

Counted in fixed windows aligned to the clock minute, so ``Retry-After`` is
exact: the seconds until the next minute starts. The count goes through
``privacyportal.fastcache`` (one atomic Redis round trip; the file cache under
a lock in the embedded install; per-process counters while the cache is down).
"""

from __future__ import annotations

import math
import time
from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from privacyportal import fastcache

WINDOW = 60


class KeyRateThrottle(BaseThrottle):
    retry_after = 0

    def allow_request(self, request: Request, view: Any) -> bool:
        key = getattr(request.user, "key", None)
        if key is None:
            return True  # no key: authentication has refused the call already
        limit = key.rate_per_minute or settings.API_RATE_PER_MINUTE
        now = time.time()
        minute = int(now // WINDOW)
        # The key outlives its minute by a second, so a late INCR never
        # starts a fresh count for a minute that has ended.
        [count, *_] = fastcache.count(
            [(f"rl:api:{key.pk}:{minute}", WINDOW + 1, limit)]
        )
        self.retry_after = max(1, math.ceil((minute + 1) * WINDOW - now))
        return count <= limit

    def wait(self) -> float:
        return self.retry_after
