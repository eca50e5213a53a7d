"""Proof of disposition and the file outbox.

Invariants:
- a DeletionRecord is written in the transaction that deletes its item, so a
  record exists iff the deletion committed;
- files are removed only after that commit (a rolled-back deletion keeps its
  file), through FileRemoval rows written in the same transaction; removing is
  idempotent and verified, and pending rows are retried by the next sweep.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from privacyportal.retention import Disposed
from retention_app.models import DeletionRecord, FileRemoval, SweepRun


def record_disposals(
    items: Iterable[Disposed],
    *,
    category: str,
    action: str,
    reason: str,
    policy_key: str = "",
    policy_version: int | None = None,
    sweep_run: SweepRun | None = None,
) -> list[int]:
    """Write receipts and queue file removals; call inside the deleting transaction.

    Returns the FileRemoval ids, processed after commit.
    """
    items = list(items)
    now = timezone.now()
    insert = _insert_pg if connection.vendor == "postgresql" else _insert_orm
    insert(
        items,
        category=category,
        action=action,
        reason=reason,
        policy_key=policy_key,
        policy_version=policy_version,
        sweep_run=sweep_run,
        now=now,
    )
    names = [name for item in items for name in item.files]
    if not names:
        return []
    removals = FileRemoval.objects.bulk_create(
        [FileRemoval(name=name, queued_at=now) for name in names]
    )
    ids = [r.pk for r in removals]
    transaction.on_commit(lambda: file_removals_process(ids=ids))
    return ids


def _policy(item: Disposed, key: str, version: int | None) -> tuple[str, int | None]:
    return (f"{key} ({item.rule})", None) if item.rule else (key, version)


def _insert_pg(items: list[Disposed], **r: Any) -> None:
    """One INSERT from arrays: a sweep batch writes thousands of receipts."""
    if not items:
        return
    policies = [_policy(i, r["policy_key"], r["policy_version"]) for i in items]
    sql = (
        "INSERT INTO retention_app_deletionrecord (category, item_id, "
        "organization_id, action, reason, policy_key, policy_version, deleted_at, "
        "bytes, sweep_run_id) SELECT %s, u.item_id, u.org, %s, %s, u.pkey, u.pver, "
        "%s, u.size, %s FROM unnest(%s::text[], %s::bigint[], %s::text[], "
        "%s::int[], %s::bigint[]) AS u(item_id, org, pkey, pver, size)"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                r["category"],
                r["action"],
                r["reason"],
                r["now"],
                r["sweep_run"].pk if r["sweep_run"] else None,
                [i.item_id for i in items],
                [i.organization_id for i in items],
                [p[0] for p in policies],
                [p[1] for p in policies],
                [i.bytes for i in items],
            ],
        )


def _insert_orm(items: list[Disposed], **r: Any) -> None:
    DeletionRecord.objects.bulk_create(
        [
            DeletionRecord(
                category=r["category"],
                item_id=item.item_id,
                organization_id=item.organization_id,
                action=r["action"],
                reason=r["reason"],
                policy_key=policy[0],
                policy_version=policy[1],
                deleted_at=r["now"],
                bytes=item.bytes,
                sweep_run=r["sweep_run"],
            )
            for item in items
            for policy in [_policy(item, r["policy_key"], r["policy_version"])]
        ]
    )


def file_removals_process(*, ids: list[int] | None = None, limit: int = 5000) -> dict:
    """Remove queued files, verify they are gone; returns counts and anomalies."""
    pending = FileRemoval.objects.filter(done_at__isnull=True)
    if ids is not None:
        pending = pending.filter(pk__in=ids)
    result = {"removed": 0, "anomalies": []}
    for row in pending.order_by("pk")[:limit]:
        note = _remove(row.name)
        finished = not note.startswith("still present")
        FileRemoval.objects.filter(pk=row.pk, done_at__isnull=True).update(
            done_at=timezone.now() if finished else None,
            note=note[:200],
            attempts=F("attempts") + 1,
        )
        result["removed"] += int(finished)
        if note:
            result["anomalies"].append(f"{row.name}: {note}")
    return result


def _remove(name: str) -> str:
    """Delete one file; "" when it existed and is gone, else what was odd."""
    try:
        existed = default_storage.exists(name)
        if existed:
            default_storage.delete(name)
    except OSError as exc:
        return f"still present: {exc}"
    if default_storage.exists(name):
        return "still present after delete"
    return "" if existed else "file was already missing"
