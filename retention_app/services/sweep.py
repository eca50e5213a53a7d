"""The retention sweep: disposes of every due item of every registered category.

Invariants:
- each batch is one short transaction: the category claims rows with
  ``FOR UPDATE SKIP LOCKED`` and removes them re-checking hold and expiry, and
  the DeletionRecords are written in that transaction; several sweeps may run
  at once and each item is disposed of once;
- a batch holds the hold lock shared, so a hold placed meanwhile waits for it
  and applies from the next batch on;
- files are removed after commit (outbox), so a crash or rollback never loses
  the file of a live row; leftovers are finished by the next run;
- a category whose policy recompute lags its version is recomputed first;
- one category failing does not stop the others; the run records the error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from privacyportal import audit
from privacyportal.audit.services import as_actor
from privacyportal.retention import Due, RetentionCategory, categories
from retention_app.models import DeletionRecord, FileRemoval, SweepRun
from retention_app.services.holds import active_holds, lock_holds
from retention_app.services.policies import policy_get, policy_recompute, terms_of
from retention_app.services.records import file_removals_process, record_disposals

log = logging.getLogger(__name__)
Progress = Callable[[str, int], None]


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
    run = SweepRun.objects.create(dry_run=dry_run, triggered_by=as_actor(actor).label)
    started = time.monotonic()
    if dry_run:
        due = retention_preview(only=[c.key for c in chosen])
        run.counts = {key: d.count for key, d in due.items()}
        run.bytes_freed = sum(d.bytes for d in due.values())
    else:
        leftovers = file_removals_process()
        run.anomalies.extend(leftovers["anomalies"])
        for category in chosen:
            _sweep_category(run, category, batch_size, progress)
    return _finish(run, actor, started)


def _sweep_category(
    run: SweepRun,
    category: RetentionCategory,
    batch_size: int | None,
    progress: Progress | None,
) -> None:
    size = batch_size or settings.RETENTION_BATCH_SIZE
    try:
        policy = policy_get(category)
        if policy.recomputed_version != policy.version:
            policy_recompute(policy=policy)
        done = 0
        while batch := _batch(run, category, policy, size):
            done += batch
            if progress:
                progress(category.key, batch)
        run.counts[category.key] = done
    except Exception as exc:  # recorded on the run; the other categories go on
        log.exception("retention sweep failed for %s", category.key)
        run.errors.append(f"{category.key}: {type(exc).__name__}: {exc}")
        run.counts.setdefault(category.key, 0)


def _batch(run: SweepRun, category: RetentionCategory, policy: Any, size: int) -> int:
    terms = terms_of(policy)
    began = time.monotonic()
    with transaction.atomic():
        lock_holds(shared=True)
        items = category.dispose_batch(
            now=timezone.now(), terms=terms, holds=active_holds(), limit=size
        )
        removal_ids = record_disposals(
            items,
            category=category.key,
            action=category.action,
            reason=DeletionRecord.Reason.RETENTION,
            policy_key=policy.category,
            policy_version=policy.version,
            sweep_run=run,
        )
    elapsed = time.monotonic() - began  # includes the on-commit file removals
    run.slowest_batch_seconds = max(run.slowest_batch_seconds, round(elapsed, 4))
    # The removals ran on commit; what they found odd goes on the run.
    if removal_ids:
        odd = FileRemoval.objects.filter(pk__in=removal_ids).exclude(note="")
        run.anomalies.extend(f"{r.name}: {r.note}" for r in odd)
    run.bytes_freed += sum(item.bytes for item in items)
    return len(items)


def _finish(run: SweepRun, actor: Any, started: float) -> SweepRun:
    if not run.dry_run:  # removals whose on-commit pass failed are retried here
        run.anomalies.extend(file_removals_process()["anomalies"])
    run.duration_seconds = round(time.monotonic() - started, 3)
    run.finished_at = timezone.now()
    failed = bool(run.errors)
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
