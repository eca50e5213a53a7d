"""Access export of a subject with 100,000 call records.

Goals (issue 4): the worker's peak memory stays under 200 MB above its
baseline, and throughput is at least 0.3x a raw cursor + ``json.dump`` of the
same rows, measured in the same run. The export goes through the registry
source exactly as a real request does (ZIP, data.json, CSV, index.html).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from pathlib import Path

import psutil

from bench.common import Result, require_postgres, timed

ROWS = int(os.environ.get("BENCH_EXPORT_ROWS", "100000"))
EMAIL = "export-bench@bench.invalid"


def _ensure_rows() -> int:
    """A subject with ROWS call records, generated in SQL; idempotent."""
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO subjects_organization (name, slug, contact_name,"
            " contact_email, created_at)"
            " VALUES ('Bench Org', 'bench-export', '', '', now())"
            " ON CONFLICT (slug) DO NOTHING"
        )
        cur.execute("SELECT id FROM subjects_organization WHERE slug = 'bench-export'")
        org = cur.fetchone()[0]
        cur.execute("SELECT id FROM subjects_datasubject WHERE email = %s", [EMAIL])
        row = cur.fetchone()
        if row is None:
            cur.execute(
                "INSERT INTO subjects_datasubject (name, email, phone, postal_address,"
                " title, company, account_username, ip_addresses, domain, demographics,"
                " is_under_13, requester_only, created_at, updated_at) VALUES"
                " ('Bench', %s, '', '', '', '', '', '[]', '', '{}', false, false,"
                " now(), now()) RETURNING id",
                [EMAIL],
            )
            row = cur.fetchone()
        subject = row[0]
        cur.execute(
            "SELECT count(*) FROM retention_app_callrecord WHERE subject_id = %s",
            [subject],
        )
        have = cur.fetchone()[0]
        if have < ROWS:
            cur.execute(
                "INSERT INTO retention_app_callrecord (organization_id, subject_id,"
                " started_at, duration_seconds, participant_count, held)"
                " SELECT %s, %s, now() - n * interval '1 minute', n %% 3600,"
                " 2 + n %% 9, false FROM generate_series(%s, %s) AS n",
                [org, subject, have + 1, ROWS],
            )
            cur.execute("ANALYZE retention_app_callrecord")
    return subject


def _raw_dump(subject_id: int, out: Path) -> None:
    from django.db import connection

    with connection.cursor() as cur, out.open("w") as fh:
        cur.execute(
            "SELECT id, started_at, duration_seconds, participant_count"
            " FROM retention_app_callrecord WHERE subject_id = %s ORDER BY id",
            [subject_id],
        )
        rows = [
            {
                "id": r[0],
                "started_at": r[1].isoformat(),
                "duration_seconds": r[2],
                "participants": r[3],
            }
            for r in cur.fetchall()
        ]
        json.dump(rows, fh)


class PeakRss:
    """Samples this process's resident memory while the export runs."""

    def __init__(self) -> None:
        self.proc = psutil.Process()
        self.baseline = self.peak = self.proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.005)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run() -> Result:
    require_postgres()
    from privacyportal.registry import registry
    from privacyportal.subjects.models import DataSubject
    from requests_app.fulfilment.export import build_export

    subject = DataSubject.objects.get(pk=_ensure_rows())
    source = registry.get("retention.call_records")
    with tempfile.TemporaryDirectory() as tmp:
        raw_s = timed(lambda: _raw_dump(subject.pk, Path(tmp) / "raw.json"), repeat=2)
        with PeakRss() as rss:
            ours_s = timed(
                lambda: build_export(
                    subject=subject,
                    path=Path(tmp) / "p.zip",
                    reference="BENCH",
                    sources=[source],
                )
            )
        size = (Path(tmp) / "p.zip").stat().st_size
    growth_mb = (rss.peak - rss.baseline) / 2**20
    ratio = raw_s / ours_s
    return Result(
        name="export_stream",
        params={"rows": ROWS},
        figures={
            "raw_cursor_json_s": raw_s,
            "export_s": ours_s,
            "rows_per_s": ROWS / ours_s,
            "peak_rss_growth_mb": growth_mb,
            "package_bytes": float(size),
        },
        ratio=ratio,
        goal="throughput >= 0.3x raw cursor + json.dump; peak RSS growth < 200 MB",
        met=ratio >= 0.3 and growth_mb < 200,
        notes=["the export also writes a CSV of the same rows and index.html"],
    )
