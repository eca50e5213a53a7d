"""`make run`'s process tree on the embedded defaults: starts, serves, stops."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


@pytest.fixture
def embedded_env(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "CELERY_BROKER_URL",
            "CACHE_URL",
            "CELERY_TASK_DEFAULT_QUEUE",
            "CELERY_RESULT_BACKEND",
        }
    }
    env.update(
        {
            "VAR_DIR": str(tmp_path / "var"),
            "DEBUG": "1",
            "DJANGO_SUPERUSER_PASSWORD": "a-test-password-123",
        }
    )
    return env


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_setup_creates_admin_once_and_never_prints_a_password_again(embedded_env):
    embedded_env.pop("DJANGO_SUPERUSER_PASSWORD")
    assert manage(embedded_env, "migrate", "--no-input").returncode == 0
    first = manage(embedded_env, "setup_portal")
    second = manage(embedded_env, "setup_portal")
    assert "with password:" in first.stdout
    assert "admin" not in second.stdout and "password" not in second.stdout


def test_setup_with_debug_off_collects_the_static_files_the_pages_need(
    embedded_env,
):
    """Without them the admin loses its styles and the form shows its honeypot."""
    embedded_env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": "s" * 50,
            "AUDIT_HMAC_KEY": "a" * 32,
            "RETENTION_MASTER_KEY": base64.urlsafe_b64encode(b"k" * 32).decode(),
            "SITE_URL": "http://127.0.0.1:8000",
            "ALLOWED_HOSTS": "testserver",
            "SECURE_SSL_REDIRECT": "0",
        }
    )
    assert manage(embedded_env, "migrate", "--no-input").returncode == 0
    setup = manage(embedded_env, "setup_portal", "--no-superuser")
    assert setup.returncode == 0, setup.stderr
    probe = manage(
        embedded_env,
        "shell",
        "-c",
        "from django.test import Client; c = Client(); print(*(c.get(u).status_code"
        " for u in ('/static/portal/public.css', '/static/admin/css/base.css')))",
    )
    assert probe.stdout.splitlines()[-1].split() == ["200", "200"], probe.stderr


def test_runportal_serves_health_and_admin_then_stops_on_sigterm(embedded_env):
    assert manage(embedded_env, "migrate", "--no-input").returncode == 0
    assert manage(embedded_env, "setup_portal").returncode == 0
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "runportal", "--port", str(port)],
        cwd=ROOT,
        env=embedded_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline, status, body = time.monotonic() + 120, None, b""
        while time.monotonic() < deadline:
            try:
                status, body = get(f"http://127.0.0.1:{port}/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        assert status == 200, body
        assert json.loads(body)["checks"]["broker"] == "ok"
        login_status, login = get(f"http://127.0.0.1:{port}/admin/login/")
        assert login_status == 200 and b"Privacy Portal" in login
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=40)[0].decode()
        assert proc.returncode == 0, output
        assert "stopped" in output
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    # No orphan is left serving the port.
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
