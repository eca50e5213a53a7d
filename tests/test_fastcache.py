"""Rate-limit counters (privacyportal/fastcache.py) on both shared backends."""

from __future__ import annotations

import multiprocessing
import uuid

from privacyportal import fastcache
from tests.conftest import forget_cache_clients


def _attempt(barrier, results, identity: str, limit: int) -> None:
    forget_cache_clients()  # a fork must not share its parent's Redis socket
    barrier.wait()
    results.put(fastcache.hits("test", [("ip", identity, limit)]))


def test_concurrent_attempts_from_one_address_accept_exactly_the_limit(shared_cache):
    attempts, limit = 25, 10
    identity = f"203.0.113.9-{uuid.uuid4().hex}"
    # Processes, not threads: web workers are processes, and only they race
    # truly in parallel; the barrier releases them together.
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(attempts), ctx.Queue()
    procs = [
        ctx.Process(target=_attempt, args=(barrier, results, identity, limit))
        for _ in range(attempts)
    ]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=30) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    assert outcomes.count(True) == limit
    # The window still holds them all: a later attempt is refused as well.
    assert fastcache.hits("test", [("ip", identity, limit)]) is False
