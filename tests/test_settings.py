"""Start-up refuses bad configuration, naming the variable; production is hardened."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROD = {
    "DEBUG": "0",
    "SECRET_KEY": "x" * 20 + "production-secret-key-with-enough-entropy-1234567890",
    "AUDIT_HMAC_KEY": "a-long-audit-hmac-key-for-production-0123456789",
    "RETENTION_MASTER_KEY": "cHJvZHVjdGlvbi1tYXN0ZXIta2V5LTMyLWJ5dGVzISE=",
    "ALLOWED_HOSTS": "privacy.example.com",
    "SITE_URL": "https://privacy.example.com",
}


def run_django(
    env_overrides: dict[str, str], *args: str
) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "AUDIT_HMAC_KEY", "RETENTION_MASTER_KEY"}
        and k not in {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update({"VAR_DIR": str(ROOT / "var" / "settings-test")})
    env.update(env_overrides)
    cmd = [sys.executable, "manage.py", *(args or ("check",))]
    return subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "mysql://root@localhost/portal"),
        ("DATABASE_URL", "not a url"),
        ("CELERY_BROKER_URL", "carrier-pigeon://loft"),
        ("TIME_ZONE", "Mars/Olympus_Mons"),
        ("SITE_URL", "privacy.example.com"),
        ("CONN_MAX_AGE", "forever"),
        ("SECRET_KEY", "short"),
        ("AUDIT_HMAC_KEY", "short"),
        ("REDIS_URL", "http://127.0.0.1:6379"),
    ],
)
def test_malformed_value_stops_startup_naming_the_variable(variable, value):
    result = run_django({**PROD, variable: value})
    assert result.returncode != 0
    assert f"Environment variable {variable}" in result.stderr


@pytest.mark.parametrize(
    "variable", ["SECRET_KEY", "AUDIT_HMAC_KEY", "RETENTION_MASTER_KEY", "SITE_URL"]
)
def test_missing_secret_with_debug_off_stops_startup(variable):
    env = {k: v for k, v in PROD.items() if k != variable}
    result = run_django(env)
    assert result.returncode != 0
    assert f"Environment variable {variable}: is required" in result.stderr


def test_production_settings_pass_deploy_checks_without_warnings():
    result = run_django(PROD, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_debug_mode_starts_without_secrets():
    result = run_django({"DEBUG": "1"})
    assert result.returncode == 0, result.stderr
