"""In development, e-mailed links point at the port the portal serves on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRINT_PORT = "print-port:\n\t@echo $$PORT"


def site_url(**env: str) -> str:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SITE_URL", "PORT", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    code = "import django; django.setup(); from django.conf import settings; "
    code += "print(settings.SITE_URL)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "privacyportal.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_site_url_names_the_port_in_development():
    assert site_url(DEBUG="1", PORT="9000") == "http://127.0.0.1:9000"
    assert site_url(DEBUG="1") == "http://127.0.0.1:8000"


def test_an_explicit_site_url_wins_over_the_port():
    url = site_url(DEBUG="1", PORT="9000", SITE_URL="https://privacy.example.com")
    assert url == "https://privacy.example.com"


@pytest.mark.parametrize(("args", "port"), [(["PORT=9000"], "9000"), ([], "8000")])
def test_make_passes_its_port_to_the_commands_it_runs(args, port):
    env = {k: v for k, v in os.environ.items() if k != "PORT"}
    result = subprocess.run(
        ["make", "-s", f"--eval={PRINT_PORT}", "print-port", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == port, result.stderr


def test_runportal_gives_its_port_to_web_worker_and_beat(monkeypatch):
    from privacyportal.management.commands import runportal

    seen = []

    def popen(cmd, *args, **kwargs):
        seen.append(os.environ.get("PORT"))
        raise RuntimeError("stop here")

    monkeypatch.setenv("PORT", "8000")
    monkeypatch.setattr(runportal.subprocess, "Popen", popen)
    command = runportal.Command()
    monkeypatch.setattr(command, "prepare_folders", lambda: None)
    with pytest.raises(RuntimeError):
        command.handle(port=9123, web_workers=1)
    assert seen == ["9123"]
