"""A Redis outage (cache and broker): the public pages answer, nothing is lost.

Each test starts its own redis-server and kills it; the run's shared Redis is
never touched. In-process tests point the cache at it; the drill at the end
runs gunicorn and a Celery worker with it as cache and broker.
"""

from __future__ import annotations

import logging
import time

import pytest
from django.test import Client

from privacyportal import fastcache
from requests_app.models import RequestSubmission
from requests_app.tasks import submissions_drain_task
from tests.conftest import REDIS_CACHE, forget_cache_clients

FORM = "/privacy/request/"


def form(i: int) -> dict[str, str]:
    return {
        "type": "access",
        "name": "Outage Test",
        "email": f"outage-{i}@example.org",
        "country": "DE",
        "relationship": "customer",
    }


@pytest.fixture
def redis_cache(own_redis, settings, monkeypatch):
    """The cache on this test's own Redis, with the timeouts settings.py sets."""
    options = {"socket_connect_timeout": 1, "socket_timeout": 1}
    settings.CACHES = {
        "default": {
            "BACKEND": REDIS_CACHE,
            "LOCATION": own_redis.url,
            "OPTIONS": options,
        }
    }
    forget_cache_clients()
    monkeypatch.setattr(fastcache, "outage", fastcache.Outage())
    fastcache._FALLBACK.clear()  # per-process counters of earlier tests
    yield own_redis
    forget_cache_clients()


@pytest.fixture
def drains(monkeypatch) -> list:
    published: list = []
    monkeypatch.setattr(
        submissions_drain_task, "apply_async", lambda *a, **k: published.append(a)
    )
    return published


def _errors(caplog) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "privacyportal.fastcache" and r.levelno >= logging.ERROR
    ]


@pytest.mark.django_db
def test_form_posts_are_stored_and_still_limited_while_the_cache_is_down(
    redis_cache, settings, drains, caplog, django_capture_on_commit_callbacks
):
    settings.REQUEST_RATE_PER_IP = 5
    client = Client(REMOTE_ADDR="198.51.100.20")
    redis_cache.kill()
    with django_capture_on_commit_callbacks(execute=True):
        codes = [client.post(FORM, form(i)).status_code for i in range(8)]
    # Counted in this process while Redis is away: the limit still holds here.
    assert codes == [200] * 5 + [429] * 3
    assert RequestSubmission.objects.count() == 5
    # The drain is not woken (its broker is down); the re-dispatch job files them.
    assert drains == []
    # One error for the whole outage, not one line per request.
    assert len(_errors(caplog)) == 1
    ours = [r for r in caplog.records if r.name != "django.request"]
    assert [r.levelno for r in ours if r.levelno >= logging.WARNING] == [logging.ERROR]


@pytest.mark.django_db
def test_counting_returns_to_redis_when_it_is_back(redis_cache, monkeypatch, caplog):
    monkeypatch.setattr(fastcache.Outage, "RETRY_AFTER", 0.0)
    checks = [("ip", "198.51.100.21", 100)]
    assert fastcache.hits("t", checks)
    redis_cache.kill()
    assert fastcache.hits("t", checks)  # counted locally
    assert fastcache.outage.ongoing() is False  # RETRY_AFTER 0: asks again
    redis_cache.start()  # same port, empty, as after a crash
    forget_cache_clients()
    with caplog.at_level(logging.WARNING, logger="privacyportal.fastcache"):
        assert fastcache.count([("rl:t:back", 60, 5)]) == [1]
    assert (
        fastcache.redis_client().get(fastcache.cache.make_and_validate_key("rl:t:back"))
        == b"1"
    )
    assert "answers again" in caplog.text


@pytest.mark.django_db
def test_a_cache_that_hangs_costs_one_request_a_timeout_not_every_request(
    redis_cache, settings, drains
):
    import socket

    # Accepts connections, never answers: a firewall or a frozen server.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(100)
    host, port = silent.getsockname()
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": f"redis://{host}:{port}/0",
        }
    }
    forget_cache_clients()
    client = Client(REMOTE_ADDR="198.51.100.22")
    started = time.monotonic()
    codes = [client.post(FORM, form(i)).status_code for i in range(10)]
    elapsed = time.monotonic() - started
    silent.close()
    assert codes == [200] * 10
    assert elapsed < 4  # one socket timeout (1 s), then straight to local counts


@pytest.mark.django_db
def test_every_public_page_that_counts_answers_while_the_cache_is_down(
    redis_cache, client
):
    redis_cache.kill()
    pages = [
        (
            "/privacy/request/lost-link/",
            {"email": "a@example.org", "reference": "PR-2026-000001"},
        ),
        ("/privacy/preferences/", {"email": "a@example.org"}),
        ("/privacy/request/verify/not-a-token/new-link/", {}),
        (FORM, {**form(0), "website": "http://bot.example"}),  # the honeypot
    ]
    codes = {path: client.post(path, data).status_code for path, data in pages}
    assert all(code < 500 for code in codes.values()), codes


@pytest.mark.django_db
def test_healthz_reports_the_cache_down_with_503(redis_cache, client):
    redis_cache.kill()
    started = time.monotonic()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "cache" in response.json()["failing"]
    assert response.json()["checks"]["cache"].startswith("error")
    assert time.monotonic() - started < 5


def test_configured_redis_cache_gives_up_on_a_silent_server_within_seconds():
    """settings.py bounds the cache's socket waits (the OS default is minutes)."""
    import os
    import socket
    import subprocess
    import sys

    from tests.conftest import ROOT

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(10)
    port = silent.getsockname()[1]
    env = {**os.environ, "REDIS_URL": f"redis://127.0.0.1:{port}/0", "DEBUG": "1"}
    code = (
        "import django, time; django.setup()\n"
        "from django.core.cache import cache\n"
        "t = time.monotonic()\n"
        "try:\n    cache.get('x')\n"
        "except Exception as e:\n    print(type(e).__name__)\n"
        "print(round(time.monotonic() - t, 1))\n"
    )
    try:
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": "privacyportal.settings"},
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        silent.close()
    error, seconds = result.stdout.split()[-2:]
    assert error == "TimeoutError", result.stderr
    assert float(seconds) < 3  # redis-py's default: 5 s
