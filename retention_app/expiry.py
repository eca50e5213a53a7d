"""Expiry dates: pure rules, and the batched recompute after a policy change.

Precedence (tested in tests/test_policies.py):
1. an active legal hold beats everything: a held item is never disposed of;
2. an organization's explicit setting (days, or "until deleted") beats the default;
3. otherwise the category's RetentionPolicy applies;
4. a shortening change never makes an item due before its ``not_before``
   (the end of the grace period); a lengthening change applies at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Case, F, QuerySet, Value, When
from django.db.models.expressions import Expression


@dataclass(frozen=True)
class Rule:
    days: int | None
    not_before: datetime | None = None
    label: str = ""


def purge_after(base: datetime | None, rule: Rule) -> datetime | None:
    if base is None or rule.days is None:
        return None
    due = base + timedelta(days=rule.days)
    if rule.not_before and due < rule.not_before:
        return rule.not_before
    return due


def expression(base_field: str, rule: Rule) -> Expression | Value:
    """The SQL form of ``purge_after`` (portable: no GREATEST on datetimes)."""
    if rule.days is None:
        return Value(None)
    shifted = F(base_field) + timedelta(days=rule.days)
    if rule.not_before is None:
        return shifted
    cutoff = rule.not_before - timedelta(days=rule.days)
    return Case(
        When(**{f"{base_field}__lt": cutoff}, then=Value(rule.not_before)),
        default=shifted,
    )


def recompute(
    queryset: QuerySet, *, base_field: str, rule: Rule, batch_size: int
) -> int:
    """Rewrite purge_after in keyset batches, one short transaction each.

    Held rows are rewritten too: their date applies once the hold is released.
    """
    value = expression(base_field, rule)
    last, total = 0, 0
    while True:
        ids = list(
            queryset.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return total
        with transaction.atomic():
            total += queryset.model.objects.filter(pk__in=ids).update(purge_after=value)
        last = ids[-1]
