"""Consent reads over HTTP: gunicorn with production settings, 1,000,000 x 6.

The population is consent_allows's (subjects and six purposes' states made in
SQL with generate_series). gunicorn runs as deployed (gunicorn.conf.py,
DEBUG=0) with the bench's URLs (bench/apiserver), which add a trivial DRF view.
Load comes from separate client processes, each on one keep-alive connection.

Goals, measured in the same server in the same run:
- ``GET /api/v1/consent?email=&purpose=`` (a key with consent:read, random
  subjects and purposes) >= 0.3x the requests/s of the trivial DRF view;
- ``POST /api/v1/consent/batch-read`` with 100 subjects (one purpose) answers
  >= 20x the subjects/s of single reads.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import random
import time
import uuid
from collections.abc import Callable
from urllib.parse import urlencode

from bench.common import (
    GUNICORN_WORKERS,
    PRODUCTION_ENV,
    Result,
    free_port,
    require_postgres,
    start_gunicorn,
)
from bench.consent_allows import DOMAIN, PURPOSES, SUBJECTS, ensure_population, migrate

CLIENTS = int(os.environ.get("BENCH_API_CLIENTS", "4"))
SECONDS = float(os.environ.get("BENCH_API_SECONDS", "5"))
# Alternating windows, best of each (as form_post): neighbours' noise hits one
# window, not the comparison.
ROUNDS = int(os.environ.get("BENCH_API_ROUNDS", "5"))
BATCH = 100
TRIVIAL = "/api/bench/trivial"

Request = tuple[str, str, bytes | None, dict[str, str]]


def _server_env(queue: str) -> dict[str, str]:
    return {
        **os.environ,
        **PRODUCTION_ENV,
        "DJANGO_SETTINGS_MODULE": "bench.apiserver.settings",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CELERY_BROKER_URL": os.environ.get("REDIS_URL") or "memory://",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "LOG_LEVEL": "WARNING",
    }


# --- the clients (separate processes) ----------------------------------------


def _email(rng: random.Random, last: int) -> str:
    return f"person{rng.randint(1, last)}@{DOMAIN}"


def trivial(rng: random.Random, key: str, last: int) -> Request:
    return "GET", TRIVIAL, None, {}


def single(rng: random.Random, key: str, last: int) -> Request:
    query = urlencode({"email": _email(rng, last), "purpose": rng.choice(PURPOSES)})
    return "GET", f"/api/v1/consent?{query}", None, {"Authorization": f"Bearer {key}"}


def batch(rng: random.Random, key: str, last: int) -> Request:
    emails = [_email(rng, last) for _ in range(BATCH)]
    body = json.dumps({"emails": emails, "purposes": [rng.choice(PURPOSES)]})
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return "POST", "/api/v1/consent/batch-read", body.encode(), headers


def _client(args: tuple) -> tuple[int, int]:
    """(answered, errors) of one keep-alive connection until the deadline."""
    port, make, key, last, stop, seed = args
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    done = errors = 0
    while time.time() < stop:
        method, path, body, headers = make(rng, key, last)
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status == 200:
            done += 1
        else:
            errors += 1
    return done, errors


def _load(
    pool: multiprocessing.pool.Pool, port: int, make: Callable, key: str, last: int
) -> tuple[float, int]:
    """Calls per second from CLIENTS processes over SECONDS, and errors."""
    start = time.time() + 0.3  # every client starts at once
    stop = start + SECONDS
    seeds = [i * 7919 + int(start) for i in range(CLIENTS)]
    results = pool.map(_client, [(port, make, key, last, stop, s) for s in seeds])
    done, errors = (sum(column) for column in zip(*results, strict=True))
    return done / (time.time() - start), errors


# --- the run -------------------------------------------------------------------


def _rss_mb(proc) -> float:
    """Resident memory of gunicorn's workers, MB (the largest one)."""
    import psutil

    workers = psutil.Process(proc.pid).children()
    return max(w.memory_info().rss for w in workers) / 2**20


def _measure(port: int, key: str, last: int) -> dict[str, list[tuple[float, int]]]:
    kinds = {"trivial": trivial, "single": single, "batch": batch}
    rounds: dict[str, list[tuple[float, int]]] = {name: [] for name in kinds}
    with multiprocessing.get_context("fork").Pool(CLIENTS) as pool:
        for make in kinds.values():  # warm every path in every worker
            pool.map(_client, [(port, make, key, last, time.time() + 1, 0)] * CLIENTS)
        for _ in range(ROUNDS):
            for name, make in kinds.items():
                rounds[name].append(_load(pool, port, make, key, last))
    return rounds


def run() -> Result:
    require_postgres()
    migrate()
    from privacyportal.api.keys import api_key_create, api_key_revoke
    from privacyportal.audit.services import Actor

    first, last = ensure_population()
    subjects = last - first + 1
    actor = Actor.system()
    key, raw = api_key_create(
        actor=actor,
        name=f"bench api_consent {uuid.uuid4().hex[:8]}",
        scopes=["consent:read"],
        rate_per_minute=10**9,
    )
    port = free_port()
    proc = start_gunicorn(port, _server_env(f"bench-api-{uuid.uuid4().hex[:6]}"))
    try:
        rss_before = _rss_mb(proc)
        rounds = _measure(port, raw, SUBJECTS)
        rss_after = _rss_mb(proc)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        api_key_revoke(actor=actor, key=key)
    best = {name: max(r for r, _ in runs) for name, runs in rounds.items()}
    errors = {name: sum(e for _, e in runs) for name, runs in rounds.items()}
    single_ratio = best["single"] / best["trivial"]
    batch_ratio = best["batch"] * BATCH / best["single"]
    return Result(
        name="api_consent",
        params={
            "subjects": subjects,
            "purposes": len(PURPOSES),
            "clients": CLIENTS,
            "seconds": SECONDS,
            "rounds": ROUNDS,
            "batch_size": BATCH,
            "gunicorn_workers": GUNICORN_WORKERS,
            "gunicorn_config": "gunicorn.conf.py",
            "debug": False,
        },
        figures={
            "trivial_rps": best["trivial"],
            "single_rps": best["single"],
            "batch_calls_per_s": best["batch"],
            "batch_subjects_per_s": best["batch"] * BATCH,
            "single_vs_trivial": single_ratio,
            "batch_vs_single_subjects": batch_ratio,
            **{f"{name}_errors": count for name, count in errors.items()},
            **{
                f"{name}_rounds": [round(r) for r, _ in runs]
                for name, runs in rounds.items()
            },
            "worker_rss_mb_before": round(rss_before, 1),
            "worker_rss_mb_after": round(rss_after, 1),
        },
        ratio=single_ratio,
        goal=">= 0.3 single read / trivial DRF view; >= 20 batch / single subjects/s",
        met=single_ratio >= 0.3 and batch_ratio >= 20 and not any(errors.values()),
    )
