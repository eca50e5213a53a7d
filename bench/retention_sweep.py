"""Retention sweep over 1,000,000 recordings against raw SQL and the naive ORM.

Rows: 10 % held, 10 % not yet expired, 1 % with a media file (half of them
due). The same data set is generated (generate_series) before each measure.
Every measure runs with DEBUG off (DEBUG keeps every query in memory and
formats thousand-element arrays into the log, which says nothing about
production):
- ours: `manage.py retention_sweep --category retention.recordings` in a
  subprocess (its peak RSS is the worker's memory; its SweepRun records the
  slowest batch);
- raw: batched `DELETE ... WHERE id = ANY(ARRAY(SELECT ... LIMIT n))` of the
  same rows in the same claim order, with no receipts and no files;
- naive: `Recording.objects.due(now).delete()` exactly as Django does it
  (collector, signals, cascades, no receipts) on the first 20,000 eligible
  rows (`pk <= bound`), in a subprocess, scaled to rows per second.
Each of the three is measured BENCH_RETENTION_REPEAT (2) times on fresh data
and the best of each is compared (other jobs share the machine); exactness, memory
and the slowest batch must hold in every run of ours.
Goal: ours >= 0.5x raw; peak memory < 200 MB; no batch > 1 s; exactly the
eligible rows deleted; every live row keeps its file (no orphan files). The
ratio to naive is reported only: the former ">= 10x naive" goal was retired
once raw DELETE itself was shown to reach only ~3-4x naive.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import PRODUCTION_ENV, ROOT, Result, require_postgres

ROWS = int(os.environ.get("BENCH_RETENTION_ROWS", "1000000"))
NAIVE_ROWS = 20_000
BATCH = int(os.environ.get("BENCH_RETENTION_BATCH", "2000"))
REPEAT = int(os.environ.get("BENCH_RETENTION_REPEAT", "2"))


NAIVE_SCRIPT = """
import json, time
from django.utils import timezone
from retention_app.models import Recording
now = timezone.now()
due = Recording.objects.due(now)
bound = due.order_by("pk").values_list("pk", flat=True)[{n} - 1]
start = time.perf_counter()
deleted, _ = due.filter(pk__lte=bound).delete()
print(json.dumps({{"seconds": time.perf_counter() - start, "rows": deleted}}))
"""


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
        # A freshly loaded table: vacuum sets the visibility map and hint
        # bits, as autovacuum would have long before a real sweep.
        cursor.execute("VACUUM ANALYZE retention_app_recording")
    (media_root / "recordings" / "bulk").mkdir(parents=True, exist_ok=True)
    for name in _media_names():
        Path(default_storage.path(name)).write_bytes(b"m")
    return org.pk


def _media_names() -> list[str]:
    from retention_app.models import Recording

    return list(Recording.objects.exclude(media="").values_list("media", flat=True))


def _eligible() -> set[int]:
    from django.utils import timezone

    from retention_app.models import Recording

    return set(Recording.objects.due(timezone.now()).values_list("pk", flat=True))


def _manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )


def _ours(env: dict) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of the sweep command in its own process."""
    command = [sys.executable, "manage.py", "retention_sweep"]
    command += ["--category", "retention.recordings", "--batch-size", str(BATCH)]
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        child = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errors
        )
        peak_kb = _watch(child)
        seconds = time.perf_counter() - start
        if child.returncode != 0:
            errors.seek(0)
            raise RuntimeError(f"sweep failed: {errors.read().decode()[-2000:]}")
    return seconds, peak_kb / 1024


def _watch(child: subprocess.Popen) -> int:
    """The child's peak RSS in KiB, sampled from /proc (VmHWM) until it exits.

    Not ru_maxrss: Linux carries the forking parent's RSS (this bench holds
    the eligible id set) into the child's ru_maxrss across exec. VmHWM
    belongs to the exec'd image alone and only grows, so the last sample
    before exit misses at most the final 0.1 s.
    """
    status, peak = Path(f"/proc/{child.pid}/status"), 0
    while True:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except (OSError, ValueError, IndexError):
            pass  # exiting: /proc entry already gone or partial
        try:
            child.wait(timeout=0.1)
            return peak
        except subprocess.TimeoutExpired:
            continue


def _raw() -> tuple[float, float]:
    """Seconds in total and of the slowest batch, each batch autocommitted."""
    from django.db import connection

    sql = (
        "WITH gone AS (DELETE FROM retention_app_recording WHERE id = ANY(ARRAY("
        "SELECT id FROM retention_app_recording WHERE NOT held AND purge_after "
        "<= now() ORDER BY purge_after LIMIT %s)) RETURNING 1) "
        "SELECT count(*) FROM gone"
    )
    start, slowest = time.perf_counter(), 0.0
    with connection.cursor() as cursor:
        while True:
            began = time.perf_counter()
            cursor.execute(sql, [BATCH])
            slowest = max(slowest, time.perf_counter() - began)
            if cursor.fetchone()[0] == 0:
                break
    return time.perf_counter() - start, slowest


def _naive(env: dict) -> tuple[float, int]:
    out = _manage(env, "shell", "-c", NAIVE_SCRIPT.format(n=NAIVE_ROWS)).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    return figures["seconds"], figures["rows"]


def _env() -> dict:
    from django.conf import settings
    from django.db import connection

    s = connection.settings_dict
    return {
        **os.environ,
        **PRODUCTION_ENV,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DATABASE_URL": (
            f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
            f"/{s['NAME']}"
        ),
    }


@dataclass
class Ours:
    seconds: float
    sweep_seconds: float
    peak_mb: float
    slowest_batch: float
    exact: bool
    files_left: int
    live_files: int


def _measure_ours(env: dict, media_root: Path, *, reset: bool) -> Ours:
    from retention_app.models import DeletionRecord, Recording, SweepRun

    if reset:
        _reset(media_root)
    eligible = _eligible()
    seconds, peak_mb = _ours(env)
    survivors = set(Recording.objects.values_list("pk", flat=True))
    run_row = SweepRun.objects.order_by("-pk").first()
    exact = (
        DeletionRecord.objects.count() == len(eligible)
        and not (survivors & eligible)
        and len(survivors) == ROWS - len(eligible)
    )
    files_left = sum(
        1 for p in (media_root / "recordings" / "bulk").iterdir() if p.is_file()
    )
    return Ours(
        seconds=seconds,
        sweep_seconds=run_row.duration_seconds if run_row else 0.0,
        peak_mb=peak_mb,
        slowest_batch=run_row.slowest_batch_seconds if run_row else 0.0,
        exact=exact,
        files_left=files_left,
        live_files=Recording.objects.exclude(media="").count(),
    )


def run() -> Result:
    require_postgres()
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import override_settings

    call_command("migrate", verbosity=0)
    media_root = Path(settings.MEDIA_ROOT)
    env = _env()

    generated = time.perf_counter()
    _reset(media_root)
    generate_s = time.perf_counter() - generated
    eligible = len(_eligible())
    # Best of REPEAT for each measure (other jobs share the machine);
    # correctness, memory and the slowest batch must hold in every run.
    ours = [_measure_ours(env, media_root, reset=i > 0) for i in range(REPEAT)]
    raws = []
    for _ in range(REPEAT):
        _reset(media_root)
        with override_settings(DEBUG=False):
            raws.append(_raw())
    naives = []
    for _ in range(REPEAT):
        _reset(media_root)
        naives.append(_naive(env))
    naive_s, naive_rows = min(naives)

    ours_s = min(o.seconds for o in ours)
    raw_s = min(r[0] for r in raws)
    ours_rate, raw_rate = eligible / ours_s, eligible / raw_s
    naive_rate = naive_rows / naive_s
    vs_raw, vs_naive = ours_rate / raw_rate, ours_rate / naive_rate
    peak_mb = max(o.peak_mb for o in ours)
    slowest = max(o.slowest_batch for o in ours)
    exact = all(o.exact for o in ours)
    files_ok = all(o.files_left == o.live_files for o in ours)
    met = (
        exact
        and files_ok
        and naive_rows == NAIVE_ROWS
        and vs_raw >= 0.5
        and peak_mb < 200
        and slowest < 1.0
    )
    return Result(
        name="retention_sweep",
        params={
            "rows": ROWS,
            "eligible": eligible,
            "batch": BATCH,
            "repeat": REPEAT,
            "naive_rows": NAIVE_ROWS,
        },
        figures={
            "generate_seconds": round(generate_s, 1),
            "ours_seconds": round(ours_s, 3),
            **{
                f"ours_seconds_run{i + 1}": round(o.seconds, 3)
                for i, o in enumerate(ours)
            },
            "ours_sweep_run_seconds": min(o.sweep_seconds for o in ours),
            "ours_rows_per_s": round(ours_rate),
            "raw_seconds": round(raw_s, 3),
            **{f"raw_seconds_run{i + 1}": round(r[0], 3) for i, r in enumerate(raws)},
            "raw_rows_per_s": round(raw_rate),
            "raw_slowest_batch_s": round(max(r[1] for r in raws), 4),
            "naive_seconds": round(naive_s, 3),
            "naive_rows_per_s": round(naive_rate),
            "ratio_vs_naive": round(vs_naive, 2),
            "ceiling_raw_vs_naive": round(raw_rate / naive_rate, 2),
            "peak_worker_mb": round(peak_mb, 1),
            "slowest_batch_s": slowest,
            "exact_rows_deleted": int(exact),
            "media_files_left": ours[-1].files_left,
            "live_rows_with_media": ours[-1].live_files,
        },
        ratio=round(vs_raw, 3),
        # The naive ratio is reported only: the former ">= 10x naive" goal was
        # retired once raw DELETE itself was shown to reach only ~3-4x naive.
        goal=(
            ">= 0.5x raw batched DELETE, exact rows, no orphan files, "
            "< 200 MB, batches < 1 s (naive ratio reported only)"
        ),
        met=met,
        notes=_notes(raw_rate, naive_rate),
    )


def _notes(raw_rate: float, naive_rate: float) -> list[str]:
    """Put this run's naive figures in context (reported, not a goal)."""
    return [
        f"Naive Django delete() ran at {naive_rate:,.0f} rows/s; raw batched DELETE "
        f"of the same rows, with no receipts and no files, is "
        f"{raw_rate / naive_rate:.2f}x that, the ceiling for any sweep that also "
        "writes a receipt per row. The naive ratio is reported only."
    ]
