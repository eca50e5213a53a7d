"""Reads that span models: the deletion certificate."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from privacyportal import csvsafe
from retention_app.models import DeletionRecord


@dataclass
class CertificateLine:
    category: str
    policy: str
    version: int | None
    reason: str
    action: str
    count: int = 0
    bytes: int = 0
    item_ids: list[str] = field(default_factory=list)


@dataclass
class Certificate:
    organization_id: int
    start: datetime
    end: datetime
    lines: list[CertificateLine]

    @property
    def total(self) -> int:
        return sum(line.count for line in self.lines)


def certificate(*, organization_id: int, start: datetime, end: datetime) -> Certificate:
    """Counts and item ids per policy for one organization, [start, end)."""
    records = (
        DeletionRecord.objects.filter(
            organization_id=organization_id, deleted_at__gte=start, deleted_at__lt=end
        )
        .order_by("category", "policy_key", "policy_version", "reason", "pk")
        .values_list(
            "category",
            "policy_key",
            "policy_version",
            "reason",
            "action",
            "item_id",
            "bytes",
        )
    )
    lines: dict[tuple, CertificateLine] = {}
    for category, policy, version, reason, action, item_id, size in records.iterator():
        key = (category, policy, version, reason, action)
        line = lines.setdefault(key, CertificateLine(*key))
        line.count += 1
        line.bytes += size
        line.item_ids.append(item_id)
    return Certificate(organization_id, start, end, list(lines.values()))


def certificate_csv(cert: Certificate) -> Iterator[str]:
    """One row per deleted item, grouped by policy: what a customer can check."""
    buffer = io.StringIO()
    writer = csvsafe.writer(buffer)
    writer.writerow(["category", "policy", "version", "reason", "action", "item_id"])
    yield _drain(buffer)
    for line in cert.lines:
        for item_id in line.item_ids:
            writer.writerow(
                [
                    line.category,
                    line.policy,
                    line.version or "",
                    line.reason,
                    line.action,
                    item_id,
                ]
            )
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    value = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return value
