"""Retention sweep over 1,000,000 recordings against raw SQL and the naive ORM.

Rows: 10 % held, 10 % not yet expired, 1 % with a media file (half of them
due). The same data
set is generated (generate_series) before each measure. Measures:
- ours: `manage.py retention_sweep --category retention.recordings` in a
  subprocess (its peak RSS is the worker's memory);
- raw: batched `DELETE ... WHERE id IN (SELECT ... LIMIT n)` of the same rows;
- naive: `QuerySet.delete()` of a 20,000-row subset, scaled to rows per second.
Goal: ours >= 0.5x raw and >= 10x naive; peak memory < 200 MB; no batch > 1 s;
exactly the eligible rows deleted.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT, Result, require_postgres

ROWS = int(os.environ.get("BENCH_RETENTION_ROWS", "1000000"))
NAIVE_ROWS = 20_000
BATCH = 5000


def _reset(media_root: Path) -> int:
    """Fresh data set; returns the organization id."""
    from django.core.files.storage import default_storage
    from django.db import connection

    from privacyportal.subjects.models import Organization
    from retention_app.bulk import generate_recordings

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE retention_app_recording, retention_app_recording_participants, "
            "retention_app_deletionrecord, retention_app_fileremoval, "
            "retention_app_sweeprun CASCADE"
        )
    org, _ = Organization.objects.get_or_create(slug="bench", defaults={"name": "B"})
    generate_recordings(organization_id=org.pk, count=ROWS, file_every=200)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE retention_app_recording")
    (media_root / "recordings" / "bulk").mkdir(parents=True, exist_ok=True)
    for name in _media_names():
        path = Path(default_storage.path(name))
        path.write_bytes(b"m")
    return org.pk


def _media_names() -> list[str]:
    from retention_app.models import Recording

    return list(Recording.objects.exclude(media="").values_list("media", flat=True))


def _eligible() -> set[int]:
    from django.utils import timezone

    from retention_app.models import Recording

    return set(Recording.objects.due(timezone.now()).values_list("pk", flat=True))


def _ours(env: dict) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of the sweep command in its own process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "retention_sweep",
            "--category",
            "retention.recordings",
            "--batch-size",
            str(BATCH),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def _raw() -> float:
    from django.db import connection

    sql = (
        "WITH gone AS (DELETE FROM retention_app_recording WHERE id IN "
        "(SELECT id FROM retention_app_recording WHERE NOT held AND purge_after "
        "<= now() ORDER BY purge_after LIMIT %s) RETURNING 1) SELECT count(*) FROM gone"
    )
    start = time.perf_counter()
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sql, [BATCH])
            if cursor.fetchone()[0] == 0:
                break
    return time.perf_counter() - start


def _naive() -> float:
    from django.utils import timezone

    from retention_app.models import Recording

    ids = list(
        Recording.objects.due(timezone.now()).values_list("pk", flat=True)[:NAIVE_ROWS]
    )
    start = time.perf_counter()
    Recording.objects.filter(pk__in=ids).delete()
    return time.perf_counter() - start


def run() -> Result:
    require_postgres()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from retention_app.models import DeletionRecord, Recording, SweepRun

    call_command("migrate", verbosity=0)
    media_root = Path(settings.MEDIA_ROOT)
    env = {**os.environ, "MEDIA_ROOT": str(media_root)}
    s = connection.settings_dict
    env["DATABASE_URL"] = (
        f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
        f"/{s['NAME']}"
    )

    _reset(media_root)
    eligible = _eligible()
    ours_s, peak_mb = _ours(env)
    survivors = set(Recording.objects.values_list("pk", flat=True))
    records = DeletionRecord.objects.count()
    run_row = SweepRun.objects.order_by("-pk").first()
    exact = (
        records == len(eligible)
        and not (survivors & eligible)
        and len(survivors) == ROWS - len(eligible)
    )
    files_left = sum(
        1 for p in (media_root / "recordings" / "bulk").iterdir() if p.is_file()
    )
    live_files = Recording.objects.exclude(media="").count()

    _reset(media_root)
    raw_s = _raw()
    _reset(media_root)
    naive_s = _naive()

    ours_rate = len(eligible) / ours_s
    raw_rate = len(eligible) / raw_s
    naive_rate = NAIVE_ROWS / naive_s
    vs_raw, vs_naive = ours_rate / raw_rate, ours_rate / naive_rate
    slowest = run_row.slowest_batch_seconds if run_row else 0.0
    met = (
        exact
        and vs_raw >= 0.5
        and vs_naive >= 10
        and peak_mb < 200
        and slowest < 1.0
        and files_left == live_files
    )
    return Result(
        name="retention_sweep",
        params={"rows": ROWS, "eligible": len(eligible), "batch": BATCH},
        figures={
            "ours_seconds": round(ours_s, 3),
            "ours_rows_per_s": round(ours_rate),
            "raw_seconds": round(raw_s, 3),
            "raw_rows_per_s": round(raw_rate),
            "naive_rows_per_s_20k": round(naive_rate),
            "ratio_vs_naive": round(vs_naive, 2),
            "peak_worker_mb": round(peak_mb, 1),
            "slowest_batch_s": slowest,
            "exact_rows_deleted": int(exact),
            "media_files_left": files_left,
            "live_rows_with_media": live_files,
        },
        ratio=round(vs_raw, 3),
        goal=">= 0.5x raw batched DELETE, >= 10x naive, < 200 MB, batches < 1 s",
        met=met,
    )
