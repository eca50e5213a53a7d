"""Fixtures for the portal-wide tests in this directory."""

from __future__ import annotations

import os

import pytest

from privacyportal import fastcache

FILE_CACHE = "django.core.cache.backends.filebased.FileBasedCache"
REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"


def forget_cache_clients() -> None:
    """Drop fastcache's memoised Redis client (settings or process changed)."""
    fastcache.redis_client.cache_clear()
    fastcache._count_script.cache_clear()


@pytest.fixture(params=["file", pytest.param("redis", marks=pytest.mark.services)])
def shared_cache(request, settings, tmp_path):
    """The cache the web processes share: the embedded file cache, or Redis.

    Tests use fresh keys rather than clearing it: on Redis the same database
    holds this run's Celery queue.
    """
    if request.param == "file":
        config = {"BACKEND": FILE_CACHE, "LOCATION": str(tmp_path / "cache")}
    else:
        config = {"BACKEND": REDIS_CACHE, "LOCATION": os.environ["REDIS_URL"]}
    settings.CACHES = {"default": config}
    forget_cache_clients()
    fastcache.outage.end()
    yield request.param
    forget_cache_clients()
    fastcache.outage.end()
