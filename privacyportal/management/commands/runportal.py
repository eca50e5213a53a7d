from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand


def _commands(port: int, workers: int) -> dict[str, list[str]]:
    bin_dir = Path(sys.executable).parent
    celery = [str(bin_dir / "celery"), "-A", "privacyportal"]
    return {
        "web": [
            str(bin_dir / "gunicorn"),
            # Worker class, threads and timeouts as deployed (gunicorn.conf.py).
            "--config",
            str(Path(settings.BASE_DIR) / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "10",
        ],
        "worker": [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2"],
        "beat": [
            *celery,
            "beat",
            "--loglevel",
            "INFO",
            "--pidfile",
            str(Path(settings.VAR_DIR) / "celerybeat.pid"),
        ],
    }


class Command(BaseCommand):
    help = (
        "Run web (gunicorn), a Celery worker and Celery beat together. Ctrl-C or "
        "SIGTERM stops all three; if one dies the others are stopped too."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--port", type=int, default=int(os.environ.get("PORT", 8000))
        )
        parser.add_argument("--web-workers", type=int, default=2)

    def handle(self, *args, **options) -> None:
        self.prepare_folders()
        port = options["port"]
        # The worker e-mails links: without SITE_URL they must name this port.
        os.environ["PORT"] = str(port)
        children = {
            name: subprocess.Popen(cmd)
            for name, cmd in _commands(port, options["web_workers"]).items()
        }
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(self.banner(port))
        exit_code = 0
        while not stopping:
            dead = [n for n, p in children.items() if p.poll() is not None]
            if dead:
                self.stderr.write(f"{', '.join(dead)} exited; stopping the others")
                exit_code = 1
                break
            time.sleep(0.5)
        self.shutdown(children)
        sys.exit(exit_code)

    def prepare_folders(self) -> None:
        var = Path(settings.VAR_DIR)
        for sub in ("mail", "media", "cache", "broker/queue", "broker/processed"):
            (var / sub).mkdir(parents=True, exist_ok=True)

    def banner(self, port: int) -> str:
        base = f"http://127.0.0.1:{port}"
        mail = getattr(settings, "EMAIL_FILE_PATH", None)
        lines = [
            "Privacy Portal is starting (web, worker, beat):",
            f"  public pages  {base}/",
            f"  request form  {base}/privacy/request/",
            f"  staff admin   {base}/admin/",
            f"  health        {base}/healthz",
        ]
        if mail:
            lines.append(f"  e-mails are written to {mail}")
        lines.append("Press Ctrl-C to stop.")
        return "\n".join(lines)

    def shutdown(self, children: dict[str, subprocess.Popen]) -> None:
        for proc in children.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 20
        for proc in children.values():
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.stdout.write("stopped")
