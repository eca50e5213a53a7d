"""No link token reaches gunicorn's logs or a Celery worker's, run for real.

gunicorn starts from the repository's gunicorn.conf.py, as `make run` (DEBUG=1)
and production (DEBUG=0) start it, with the database unreachable: token URLs
that need it answer 500, others 404, 405 or 403 without it.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "SeCrEt0123456789abcdefghijklmnopqrstuvwxyz"
SERVER_ENV = {
    "SECRET_KEY": "logs-test-only-secret-key-" + "x" * 40,
    "AUDIT_HMAC_KEY": "logs-test-only-audit-key-" + "y" * 40,
    "RETENTION_MASTER_KEY": "bG9ncy10ZXN0LW9ubHktcmV0ZW50aW9uLWtleS0hISE=",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SITE_URL": "http://127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback
    "CELERY_BROKER_URL": "memory://",
}
# (method, path, status) with the database down.
TOKEN_REQUESTS = [
    ("GET", f"/privacy/request/verify/{TOKEN}/", 500),
    ("GET", f"/privacy/request/status/{TOKEN}/", 500),
    ("GET", f"/privacy/export/{TOKEN}/", 500),
    ("GET", f"/privacy/preferences/{TOKEN}/", 500),
    ("POST", f"/privacy/unsubscribe/{TOKEN}/", 500),  # RFC 8058 one-click
    ("GET", f"/privacy/request/status/{TOKEN}/no-such-page/", 404),
    ("GET", f"/privacy/request/status/{TOKEN}/withdraw/", 405),
    ("POST", f"/privacy/request/status/{TOKEN}/withdraw/", 403),  # no CSRF cookie
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "REDIS_", "CACHE_", "CELERY_"))
    }
    closed = _free_port()  # nothing listens there: the database is down
    return {
        **env,
        **SERVER_ENV,
        "VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"postgres://portal@127.0.0.1:{closed}/portal",
        "DJANGO_SETTINGS_MODULE": "privacyportal.settings",
        **extra,
    }


@contextmanager
def _gunicorn(tmp_path: Path, env: dict[str, str]) -> Iterator[int]:
    port = _free_port()
    cmd = [
        *(sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"),
        *("--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2"),
        *("--access-logfile", "-", "--graceful-timeout", "2"),
        "--no-control-socket",  # its default path is shared by every gunicorn
    ]
    with (
        open(tmp_path / "out.log", "w") as out,
        open(tmp_path / "err.log", "w") as err,
    ):
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=err)
        try:
            _wait_until_serving(port, proc)
            yield port
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_until_serving(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/privacy/policy/nothing-here/")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not start")


def _send_token_requests(port: int) -> None:
    for method, path, status in TOKEN_REQUESTS:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        # A page reached from a status page names it in the Referer.
        referer = f"http://127.0.0.1/privacy/request/status/{TOKEN}/"
        conn.request(method, path, headers={"Referer": referer})
        response = conn.getresponse()
        response.read()
        assert response.status == status, (method, path)
    # A request line gunicorn cannot parse (no version): it answers 400 and
    # logs the line.
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"GET /privacy/export/{TOKEN}/\r\n\r\n".encode())
        assert b" 400 " in sock.recv(1024)


def _logs(tmp_path: Path) -> tuple[str, str]:
    return (tmp_path / "out.log").read_text(), (tmp_path / "err.log").read_text()


def _assert_no_token(text: str) -> None:
    assert TOKEN[:20] not in text, text
    assert "[token]" in text


@pytest.mark.parametrize("debug", ["1", "0"], ids=["DEBUG=1", "DEBUG=0"])
def test_gunicorn_and_django_logs_carry_no_token(tmp_path, debug):
    with _gunicorn(tmp_path, _server_env(tmp_path, DEBUG=debug)) as port:
        _send_token_requests(port)
    access, errors = _logs(tmp_path)
    _assert_no_token(access + errors)
    assert access.count('"GET /privacy/request/status/[token]/') == 3, access
    assert "Internal Server Error: /privacy/unsubscribe/[token]/" in errors
    assert "Not Found: /privacy/request/status/[token]/no-such-page/" in errors
    assert "Forbidden (CSRF cookie not set.): /privacy/request/status/[token]/" in (
        errors
    )
    assert "Invalid HTTP request line: 'GET /privacy/export/[token]/'" in errors


def test_gunicorn_error_log_carries_no_token(tmp_path):
    # Exceptions passed on to gunicorn: it logs the request and the traceback.
    env = _server_env(
        tmp_path, DEBUG="0", DJANGO_SETTINGS_MODULE="tests.settings_propagate"
    )
    with _gunicorn(tmp_path, env) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("POST", f"/privacy/unsubscribe/{TOKEN}/")
        assert conn.getresponse().status == 500
    access, errors = _logs(tmp_path)
    _assert_no_token(access + errors)
    assert "Error handling request POST /privacy/unsubscribe/[token]/" in errors
    assert "OperationalError" in errors


CELERY_SCRIPT = """
import logging, sys
import django
from celery.utils.log import get_task_logger
from privacyportal.celery import app

django.setup()
# What `celery worker` and `celery beat` run: Celery's own handlers on the
# root and task loggers, print() redirected to a logger.
app.log.setup("INFO", redirect_stdouts=True)
token = sys.argv[1]
logging.getLogger("requests_app.tasks").warning("/privacy/request/status/%s/", token)
get_task_logger("requests_app.tasks").warning("/privacy/export/%s/", token)
print(f"/privacy/unsubscribe/{token}/")
try:
    raise ValueError(f"/privacy/preferences/{token}/")
except ValueError:
    logging.getLogger("celery.worker").exception("task failed")
"""


def test_celery_worker_logs_carry_no_token(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", CELERY_SCRIPT, TOKEN],
        cwd=ROOT,
        env=_server_env(tmp_path, DEBUG="0"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    logs = result.stdout + result.stderr
    _assert_no_token(logs)
    for path in ("request/status", "export", "unsubscribe", "preferences"):
        assert f"/privacy/{path}/[token]/" in logs
