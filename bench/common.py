"""What every benchmark shares: Django setup, timing, and the result file."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# What DEBUG=0 requires, for servers and commands a bench starts in a child
# process: throwaway values (no real secret). DEBUG=1 would measure something
# production never runs (every SQL statement timed, formatted and kept).
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback
    "SITE_URL": "http://bench.invalid",
    "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
    "AUDIT_HMAC_KEY": "bench-only-audit-key-" + "y" * 40,
    "RETENTION_MASTER_KEY": "YmVuY2gtb25seS1yZXRlbnRpb24tbWFzdGVyLWtleSE=",
}


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacyportal.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()


@dataclass
class Result:
    name: str
    params: dict[str, Any]
    figures: dict[str, Any]
    ratio: float
    goal: str
    met: bool
    notes: list[str] = field(default_factory=list)

    def save(self) -> Path:
        out = ROOT / "var" / "bench" / f"{self.name}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(asdict(self), indent=2))
        return out


def timed(fn: Callable[[], Any], repeat: int = 1) -> float:
    """Best wall-clock seconds of ``repeat`` runs (best-of damps machine noise)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def require_postgres() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("benchmarks need PostgreSQL: set DATABASE_URL=postgres://...")


# --- a production server on loopback (form_post, api_consent) ------------------

GUNICORN_WORKERS = 3  # as gunicorn.conf.py runs it by default


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(port: int, env: dict[str, str]) -> subprocess.Popen:
    """gunicorn with gunicorn.conf.py (worker class, threads, timeouts), as deployed.

    Returns once ``/`` answers 200.
    """
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "-b",
        f"127.0.0.1:{port}",
        "-w",
        str(GUNICORN_WORKERS),
        "--log-level",
        "warning",
    ]
    (ROOT / "var" / "static").mkdir(parents=True, exist_ok=True)  # STATIC_ROOT
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not start")
