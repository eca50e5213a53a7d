"""The sweep's PostgreSQL path: a batch is one statement, receipts included.

One statement claims due rows (``FOR UPDATE SKIP LOCKED``), deletes them
re-checking hold and expiry, clears their dependants and inserts their
DeletionRecords; only the count, the bytes and the media names come back.
It writes the same receipts as ``dispose_batch`` followed by
``services.records.record_disposals`` (the portable path: SQLite, and other
apps' categories); the sweep tests run both paths. Shipping every deleted
row to Python and its receipt back was a measurable share of each batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection

# (table, column, "delete" | "null"): rows that point at a deleted row.
Dependants = tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class Receipt:
    """What each DeletionRecord of a sweep batch says (see models.DeletionRecord)."""

    category: str
    action: str
    reason: str
    policy_key: str
    policy_version: int | None
    sweep_run_id: int | None
    at: datetime
    # Organizations whose own setting decided the date, and the rule's name:
    # their receipts say "<policy> (<rule>)" without a policy version.
    rule_orgs: tuple[int, ...] = ()
    rule: str = ""


@dataclass(frozen=True)
class Batch:
    count: int
    bytes: int = 0
    files: tuple[str, ...] = ()
    # The deleted rows' ids, when the category announces them (``announces``).
    ids: tuple[int | str, ...] = ()


@dataclass(frozen=True)
class ItemSql:
    """SQL over the deleted row ``t`` for the receipt's organization, bytes, file."""

    org: str = "NULL::bigint"
    bytes: str = "0"
    media: str = "''"


def dependant_ctes(dependants: Dependants) -> str:
    # Names come from our models' metadata, never from input.
    parts = []
    for n, (table, column, how) in enumerate(dependants):
        if how == "delete":
            body = (
                f"DELETE FROM {table} d USING gone "  # noqa: S608
                f"WHERE d.{column} = gone.id"
            )
        else:
            body = (
                f"UPDATE {table} d SET {column} = NULL FROM gone "  # noqa: S608
                f"WHERE d.{column} = gone.id"
            )
        parts.append(f", dep{n} AS ({body})")
    return "".join(parts)


RECEIPTS = """, receipts AS (
  INSERT INTO retention_app_deletionrecord (category, item_id, organization_id,
    action, reason, policy_key, policy_version, deleted_at, bytes, sweep_run_id)
  SELECT %(category)s, gone.id::text, gone.org, %(action)s, %(reason)s,
    CASE WHEN gone.org = ANY(%(rule_orgs)s) THEN %(rule_key)s ELSE %(key)s END,
    CASE WHEN gone.org = ANY(%(rule_orgs)s) THEN NULL ELSE %(version)s::int END,
    %(at)s, gone.bytes, %(run)s
  FROM gone)"""


def delete_due_recorded(
    table: str,
    *,
    now: datetime,
    limit: int,
    item: ItemSql,
    receipt: Receipt,
    dependants: Dependants = (),
    with_ids: bool = False,
) -> Batch:
    """Dispose of up to ``limit`` due, unheld rows of ``table`` with receipts.

    ``with_ids`` also returns the deleted rows' ids (for the batch's audit
    event); otherwise none travel back.
    """
    ids = "array_agg(id)" if with_ids else "NULL::bigint[]"
    sql = (
        f"WITH picked AS (SELECT id FROM {table} WHERE NOT held "  # noqa: S608
        "AND purge_after <= %(now)s ORDER BY purge_after LIMIT %(limit)s "
        "FOR UPDATE SKIP LOCKED), "
        f"gone AS (DELETE FROM {table} t USING picked WHERE t.id = picked.id "
        "AND NOT t.held AND t.purge_after <= %(now)s "
        f"RETURNING t.id, {item.org} AS org, {item.bytes} AS bytes, "
        f"{item.media} AS media){dependant_ctes(dependants)}{RECEIPTS} "
        "SELECT count(*), coalesce(sum(bytes), 0), "
        f"array_remove(array_agg(media), ''), {ids} FROM gone"
    )
    params = {
        "now": now,
        "limit": limit,
        "category": receipt.category,
        "action": receipt.action,
        "reason": receipt.reason,
        "rule_orgs": list(receipt.rule_orgs),
        "rule_key": f"{receipt.policy_key} ({receipt.rule})",
        "key": receipt.policy_key,
        "version": receipt.policy_version,
        "at": receipt.at,
        "run": receipt.sweep_run_id,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        count, size, files, gone_ids = cursor.fetchone()
    return Batch(count, int(size), tuple(files or ()), tuple(gone_ids or ()))
