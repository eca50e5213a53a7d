"""The retention sweep: disposes of every due item of every registered category.

Invariants:
- each batch is one short transaction: the category claims rows with
  ``FOR UPDATE SKIP LOCKED`` and removes them re-checking hold and expiry, and
  the DeletionRecords are written in that transaction; several sweeps may run
  at once and each item is disposed of once;
- a batch holds the hold lock shared, so a hold placed meanwhile waits for it
  and applies from the next batch on;
- files are removed only after the batches that queued them committed (an
  outbox drained at the end of each category, not once per batch), so a crash
  or rollback never loses the file of a live row; leftovers of a crashed run
  are finished by the next run;
- a category that ``announces`` its items gets one audit event per batch
  (``retention.sweep.batch``, the ids only) in that batch's transaction, so
  the event exists iff the deletions it names committed;
- a category whose policy recompute lags its version is recomputed first;
- one category failing does not stop the others; the run records the error;
- a run left "running" by a killed worker (no heartbeat for longer than the
  task time limit) is marked "interrupted" by the next sweep, once;
- a run's counts match its receipts: batches that committed before an error
  are counted, and a failed or interrupted run takes its counts from the
  DeletionRecords that point to it (a lost connection may hide whether the
  last commit went through).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import Coalesce
from django.utils import timezone

from privacyportal import audit
from privacyportal.audit.services import as_actor
from privacyportal.retention import Due, RetentionCategory, categories
from retention_app.models import DeletionRecord, SweepRun
from retention_app.receipted import Batch, Receipt
from retention_app.services.holds import active_holds, lock_holds
from retention_app.services.policies import policy_get, policy_recompute, terms_of
from retention_app.services.records import (
    file_removals_drain,
    queue_file_removals,
    record_disposals,
)

log = logging.getLogger(__name__)
Progress = Callable[[str, int], None]
HEARTBEAT_SECONDS = 30


def selected(only: list[str] | None) -> list[RetentionCategory]:
    if not only:
        return list(categories)
    unknown = set(only) - set(categories.keys())
    if unknown:
        raise ValueError(
            f"unknown categories {sorted(unknown)}; known: {categories.keys()}"
        )
    return [categories.get(key) for key in only]


def retention_preview(*, only: list[str] | None = None) -> dict[str, Due]:
    """What the next sweep would dispose of, per category (nothing is changed)."""
    now, holds = timezone.now(), active_holds()
    return {
        c.key: c.due(now=now, terms=terms_of(policy_get(c)), holds=holds)
        for c in selected(only)
    }


def retention_sweep(
    *,
    actor: Any,
    dry_run: bool = False,
    only: list[str] | None = None,
    batch_size: int | None = None,
    progress: Progress | None = None,
) -> SweepRun:
    """Dispose of due items in batches; returns the recorded run."""
    chosen = selected(only)
    runs_mark_interrupted(actor=actor)
    run = SweepRun.objects.create(dry_run=dry_run, triggered_by=as_actor(actor).label)
    started = time.monotonic()
    if dry_run:
        due = retention_preview(only=[c.key for c in chosen])
        run.counts = {key: d.count for key, d in due.items()}
        run.bytes_freed = sum(d.bytes for d in due.values())
    else:
        run.anomalies.extend(file_removals_drain())  # a crashed run's leftovers
        for category in chosen:
            _sweep_category(run, category, batch_size, progress, actor)
    return _finish(run, actor, started)


def _sweep_category(
    run: SweepRun,
    category: RetentionCategory,
    batch_size: int | None,
    progress: Progress | None,
    actor: Any,
) -> None:
    size = batch_size or settings.RETENTION_BATCH_SIZE
    run.counts[category.key] = 0
    try:
        policy = policy_get(category)
        if policy.recomputed_version != policy.version:
            policy_recompute(policy=policy)
        beat = 0.0
        while batch := _batch(run, category, policy, size, actor):
            # Counted as each batch commits: an error later keeps these.
            run.counts[category.key] += batch
            beat = _heartbeat(run, beat)
            if progress:
                progress(category.key, batch)
    except Exception as exc:  # recorded on the run; the other categories go on
        log.exception("retention sweep failed for %s", category.key)
        run.errors.append(f"{category.key}: {type(exc).__name__}: {exc}")
    finally:
        # Files of committed batches; a crash before this leaves them queued
        # for the next run (a live row's file is never in the queue).
        run.anomalies.extend(file_removals_drain())


def _batch(
    run: SweepRun, category: RetentionCategory, policy: Any, size: int, actor: Any
) -> int:
    began = time.monotonic()
    with transaction.atomic():
        lock_holds(shared=True)
        batch = _dispose(run, category, policy, size)
        if batch.ids:
            _announce(run, category, batch.ids, actor)
    elapsed = time.monotonic() - began
    run.slowest_batch_seconds = max(run.slowest_batch_seconds, round(elapsed, 4))
    run.bytes_freed += batch.bytes
    return batch.count


def _dispose(
    run: SweepRun, category: RetentionCategory, policy: Any, size: int
) -> Batch:
    """One batch with its receipts and queued file removals (in the transaction)."""
    now, terms, holds = timezone.now(), terms_of(policy), active_holds()
    recorded = getattr(category, "dispose_batch_recorded", None)
    if recorded is not None and connection.vendor == "postgresql":
        receipt = Receipt(
            category=category.key,
            action=category.action,
            reason=DeletionRecord.Reason.RETENTION,
            policy_key=policy.category,
            policy_version=policy.version,
            sweep_run_id=run.pk,
            at=now,
        )
        batch = recorded(now=now, terms=terms, holds=holds, limit=size, receipt=receipt)
        queue_file_removals(batch.files, remove_on_commit=False)
        return batch
    items = category.dispose_batch(now=now, terms=terms, holds=holds, limit=size)
    record_disposals(
        items,
        category=category.key,
        action=category.action,
        reason=DeletionRecord.Reason.RETENTION,
        policy_key=policy.category,
        policy_version=policy.version,
        sweep_run=run,
        remove_on_commit=False,
    )
    ids = tuple(item.item_id for item in items) if _announces(category) else ()
    return Batch(len(items), sum(item.bytes for item in items), ids=ids)


def _announces(category: RetentionCategory) -> bool:
    return bool(getattr(category, "announces", False))


def _announce(
    run: SweepRun, category: RetentionCategory, ids: tuple, actor: Any
) -> None:
    """One audit event per batch naming what went (ids only, never titles).

    Per batch, not per item: a million-row sweep writes ~500 of these (and
    ~500 webhook deliveries per subscription), not a million.
    """
    audit.record(
        "retention.sweep.batch",
        actor=actor,
        target=run,
        data={
            "category": category.key,
            "reason": DeletionRecord.Reason.RETENTION,
            "ids": [str(pk) for pk in ids],
        },
    )


def _heartbeat(run: SweepRun, last: float) -> float:
    if time.monotonic() - last < HEARTBEAT_SECONDS:
        return last
    run.heartbeat_at = timezone.now()  # the final save() writes it again
    SweepRun.objects.filter(pk=run.pk).update(heartbeat_at=run.heartbeat_at)
    return time.monotonic()


def runs_mark_interrupted(*, actor: Any) -> int:
    """Mark "running" runs silent for longer than the task time limit interrupted.

    Such a run's worker was killed (SIGKILL, OOM, time limit): its committed
    batches keep their receipts; what it left undone is due for this sweep.
    """
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    stale = (
        SweepRun.objects.filter(status=SweepRun.Status.RUNNING)
        .annotate(last_seen=Coalesce("heartbeat_at", "started_at"))
        .filter(last_seen__lt=cutoff)
    )
    return sum(_interrupt(run, now, actor) for run in stale)


def _interrupt(run: SweepRun, now, actor: Any) -> bool:
    since = run.last_seen.isoformat(timespec="seconds")
    with transaction.atomic():
        done = SweepRun.objects.filter(
            pk=run.pk, status=SweepRun.Status.RUNNING
        ).update(
            status=SweepRun.Status.INTERRUPTED,
            finished_at=now,
            errors=[*run.errors, f"interrupted: no sign of life since {since}"],
            counts=run.counts if run.dry_run else counts_from_receipts(run),
        )
        if done == 1:
            audit.record(
                "retention.sweep.interrupted",
                actor=actor,
                target=run,
                data={"last_seen": since},
            )
    return done == 1


def counts_from_receipts(run: SweepRun) -> dict[str, int]:
    """Items disposed of per category, as the run's DeletionRecords say.

    DeletionRecord.sweep_run has no index (it would slow every receipt), so
    this scans the ledger: only for runs whose own counts may be short.
    """
    rows = (
        DeletionRecord.objects.filter(sweep_run_id=run.pk)
        .order_by()
        .values_list("category")
        .annotate(n=Count("pk"))
    )
    return {**dict.fromkeys(run.counts, 0), **dict(rows)}


def _finish(run: SweepRun, actor: Any, started: float) -> SweepRun:
    run.duration_seconds = round(time.monotonic() - started, 3)
    run.finished_at = timezone.now()
    failed = bool(run.errors)
    if failed and not run.dry_run:
        run.counts = counts_from_receipts(run)
    run.status = SweepRun.Status.FAILED if failed else SweepRun.Status.FINISHED
    with transaction.atomic():
        run.save()
        audit.record(
            "retention.sweep.finished",
            actor=actor,
            target=run,
            data={
                "dry_run": run.dry_run,
                "counts": run.counts,
                "bytes": run.bytes_freed,
                "errors": len(run.errors),
                "anomalies": len(run.anomalies),
            },
        )
    return run
