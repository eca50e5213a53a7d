"""Expiry dates: pure rules, and the batched recompute after a policy change.

Precedence (tested in tests/test_policies.py):
1. an active legal hold beats everything: a held item is never disposed of;
2. an organization's explicit setting (days, or "until deleted") beats the default;
3. otherwise the category's RetentionPolicy applies;
4. a shortening change never makes an item due before its ``not_before``
   (the end of the grace period), but an item due before then under the
   duration it replaced (``previous_days``, when known) keeps that date;
   a lengthening change applies at once.
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
    previous_days: int | None = None


def _shortened(rule: Rule) -> bool:
    """Whether the grace period applies: a known previous duration no longer
    than the new one means this rule was not shortened (so no waiting)."""
    if rule.not_before is None:
        return False
    return rule.previous_days is None or rule.previous_days > (rule.days or 0)


def purge_after(base: datetime | None, rule: Rule) -> datetime | None:
    if base is None or rule.days is None:
        return None
    due = base + timedelta(days=rule.days)
    if _shortened(rule) and due < rule.not_before:
        if rule.previous_days is not None:
            # The replaced duration still rules until the grace period ends.
            return min(base + timedelta(days=rule.previous_days), rule.not_before)
        return rule.not_before
    return due


def expression(base_field: str, rule: Rule) -> Expression | Value:
    """The SQL form of ``purge_after`` (portable: no GREATEST on datetimes)."""
    if rule.days is None:
        return Value(None)
    shifted = F(base_field) + timedelta(days=rule.days)
    if not _shortened(rule):
        return shifted
    cutoff = rule.not_before - timedelta(days=rule.days)
    earlier = []
    if rule.previous_days is not None:
        # Due under the replaced duration before the grace period ends.
        previous = timedelta(days=rule.previous_days)
        earlier.append(
            When(
                **{f"{base_field}__lt": rule.not_before - previous},
                then=F(base_field) + previous,
            )
        )
    return Case(
        *earlier,
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
