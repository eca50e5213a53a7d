"""Root test configuration: service detection and a real Celery worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent


def services_missing() -> str | None:
    """Why PostgreSQL + Redis tests cannot run here, or None when they can."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return "DATABASE_URL does not point at PostgreSQL"
    if not os.environ.get("REDIS_URL"):
        return "REDIS_URL is not set"
    return None


def pytest_configure(config: pytest.Config) -> None:
    # Pages and e-mails are tested in five languages: a fresh clone has only
    # the .po catalogues (compiled .mo files are not committed).
    from privacyportal import catalogues

    catalogues.compile_all()


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("services") is None:
        return
    reason = services_missing()
    if reason is None:
        return
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(f"needs PostgreSQL and Redis: {reason}")


@pytest.fixture(scope="session", autouse=True)
def _no_stray_test_db_sessions(django_db_setup, django_db_blocker):
    """Close what live-server threads left on the test database before it goes.

    Chromium holds keep-alive connections to the live server; a request thread
    cut off with its socket never reaches Django's per-request connection
    close, and its idle session keeps the test database from being dropped
    ("being accessed by other users"). Worker subprocesses are stopped by
    their own fixture; this is only for in-process threads.
    """
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def _database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return (
        f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    )


class WorkerProcess:
    """A real `celery worker` subprocess on the test database and Redis."""

    def __init__(self, extra_env: dict[str, str] | None = None) -> None:
        self.env = {**os.environ, "DATABASE_URL": _database_url(), **(extra_env or {})}
        self.proc: subprocess.Popen | None = None
        self.log = ROOT / "var" / "test-worker.log"

    def start(self) -> WorkerProcess:
        from privacyportal.tasks import ping_task

        self.spawn()
        ping_task.delay("ready").get(timeout=60)
        return self

    def spawn(self) -> WorkerProcess:
        """Start the process without the ping (its broker may not be this run's)."""
        self.log.parent.mkdir(exist_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "privacyportal",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-mingle",
            "--without-gossip",
            "-Q",
            os.environ["CELERY_TASK_DEFAULT_QUEUE"],
        ]
        self.proc = subprocess.Popen(
            cmd,
            env=self.env,
            cwd=ROOT,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        return self

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def celery_worker(transactional_db):
    """Start a worker for one test; the test must use committed data (transactional)."""
    worker = WorkerProcess().start()
    yield worker
    worker.stop()


def _staff(username: str, role: str):
    from requests_app.tests.factories import staff_user

    return staff_user(username, role)


# One staff member per role, for the apps' admin and console tests.
@pytest.fixture
def officer(db):
    return _staff("officer", "Privacy Officer")


@pytest.fixture
def analyst(db):
    return _staff("analyst", "Privacy Analyst")


@pytest.fixture
def support(db):
    return _staff("support", "Support")


@pytest.fixture
def auditor(db):
    return _staff("auditor", "Auditor")


@pytest.fixture
def wait_until():
    def wait(predicate, timeout: float = 30.0, interval: float = 0.2):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                return result
            time.sleep(interval)
        raise AssertionError(f"condition not met within {timeout}s")

    return wait


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"REQUIRE_SERVICES=1 but {CHROMIUM} is missing")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")


@pytest.fixture
def page(monkeypatch):
    """A headless Debian Chromium page driven by Playwright (never a downloaded one)."""
    _require_chromium()
    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # test makes between page actions are still synchronous. monkeypatch keeps
    # the variable from leaking into later tests and their subprocesses.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser.new_page()
        browser.close()


@pytest.fixture(scope="module")
def chromium():
    """One Debian Chromium for a module's tests; each test opens its own context.

    Launching the browser is the slow part of a browser test, so a module
    shares one; contexts keep the tests' cookies and pages apart.
    """
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as p:
        # See ``page``: the ORM is called between page actions in this thread.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
