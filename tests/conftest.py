"""Fixtures for the portal-wide tests in this directory."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis

from privacyportal import fastcache

ROOT = Path(__file__).resolve().parent.parent
FILE_CACHE = "django.core.cache.backends.filebased.FileBasedCache"
REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"


def forget_cache_clients() -> None:
    """Drop fastcache's memoised Redis client (settings or process changed)."""
    fastcache.redis_client.cache_clear()
    fastcache._count_script.cache_clear()


@pytest.fixture(params=["file", pytest.param("redis", marks=pytest.mark.services)])
def shared_cache(request, settings, tmp_path, monkeypatch):
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
    monkeypatch.setattr(fastcache, "outage", fastcache.Outage())
    yield request.param
    forget_cache_clients()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisProcess:
    """A throw-away redis-server on its own port, for outage drills.

    Never the shared Redis of the test run: this one is killed on purpose.
    Nothing is persisted, so a restart comes back empty, as after a crash.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> RedisProcess:
        cmd = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        cmd += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def own_redis():
    """A running redis-server of this test's own; killed at the end whatever."""
    if shutil.which("redis-server") is None:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("REQUIRE_SERVICES=1 but redis-server is not installed")
        pytest.skip("redis-server is not installed")
    server = RedisProcess().start()
    yield server
    server.kill()
