"""Reads that span models: the deletion certificate, the dashboard's figures."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import CharField, Count, QuerySet, Value, Window
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone

from privacyportal import csvsafe, retention, stats
from privacyportal.widgets import Chart, Panel, Series, Viewer
from retention_app.models import (
    CallRecord,
    ChatTranscript,
    DeletionRecord,
    JobApplicant,
    LegalHold,
    Recording,
)


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


# --- dashboard ----------------------------------------------------------------

DELETED = "retention.deleted"
DAYS_BACK, DAYS_AHEAD = 30, 14
# Items that expire on their own, by retention category key; each model's
# partial index (held=False, purge_after set) serves the 14-day look ahead.
EXPIRING = {
    "retention.recordings": Recording,
    "retention.transcripts": ChatTranscript,
    "retention.call_records": CallRecord,
    "retention.applicants": JobApplicant,
}


def category_label(key: str) -> str:
    try:
        return retention.categories.get(key).label
    except KeyError:
        return key.rsplit(".", 1)[-1].replace("_", " ").capitalize()


def _day_columns(
    key: str,
    title: str,
    days: list[date],
    counts: Counter,
    summary: str,
    link: str = "",
) -> Chart:
    # Every expiring category, always in the same order: a category keeps its
    # colour from one chart to the next.
    others = sorted({category for _, category in counts} - set(EXPIRING))
    categories = [*EXPIRING, *others]
    series = [
        Series(category_label(c), [counts[d, c] for d in days]) for c in categories
    ]
    return Chart(
        key=key,
        title=title,
        kind="columns",
        labels=[f"{d:%-d %b}" for d in days],
        series=series,
        summary=summary,
        label_every=7 if len(days) > 14 else 2,
        link=link,
    )


def deleted_chart(rows: Iterable[stats.Row], today: date) -> Chart:
    days = [today - timedelta(days=n) for n in range(DAYS_BACK, 0, -1)]
    counts = Counter({(day, key): value for day, key, value in rows})
    total = sum(counts.values())
    return _day_columns(
        "retention-deleted",
        "Items deleted or anonymised per day",
        days,
        counts,
        f"{total:,} items deleted or anonymised in the last {DAYS_BACK} days, "
        "with a deletion record for each (counted each night).",
        reverse("admin:retention_app_deletionrecord_changelist"),
    )


def scheduled_chart(viewer: Viewer) -> Chart:
    """What expires in the next 14 days and is not under a legal hold."""
    start = stats.midnight(timezone.localdate(viewer.now))
    end = start + timedelta(days=DAYS_AHEAD)
    per_model = [
        model.objects.filter(held=False, purge_after__gte=start, purge_after__lt=end)
        .annotate(
            day=TruncDate("purge_after"), category=Value(key, output_field=CharField())
        )
        .order_by()
        .values_list("day", "category")
        .annotate(n=Count("id"))
        for key, model in EXPIRING.items()
    ]
    counts: Counter = Counter()
    for day, category, n in per_model[0].union(*per_model[1:], all=True):
        counts[day, category] += n
    days = [start.date() + timedelta(days=n) for n in range(DAYS_AHEAD)]
    return _day_columns(
        "retention-scheduled",
        "Deletions scheduled for the next 14 days",
        days,
        counts,
        f"{sum(counts.values()):,} items will expire in the next {DAYS_AHEAD} days "
        "unless a legal hold is placed on them.",
    )


def chart_figures(viewer: Viewer) -> list[QuerySet]:
    since = timezone.localdate(viewer.now) - timedelta(days=DAYS_BACK)
    return [stats.totals(DELETED, since, "day")]


def charts(viewer: Viewer) -> list[Chart]:
    today = timezone.localdate(viewer.now)
    rows = viewer.figures.get(DELETED, [])
    return [deleted_chart(rows, today), scheduled_chart(viewer)]


HOLD_ROWS = 5


def holds_panel(viewer: Viewer) -> list[Panel]:
    holds = list(
        LegalHold.objects.filter(released_at__isnull=True)
        .annotate(total=Window(Count("id")))
        .order_by("-placed_at")[:HOLD_ROWS]
    )
    total = holds[0].total if holds else 0
    if not total:
        lines = ["No legal hold is active: retention runs on every item."]
    else:
        held = "hold is" if total == 1 else "holds are"
        lines = [f"{total} legal {held} active: what they cover is never deleted."]
    rows = [
        [
            hold.matter_reference or "(no matter reference)",
            hold.get_scope_display(),
            f"{timezone.localtime(hold.placed_at):%-d %b %Y}",
        ]
        for hold in holds
    ]
    return [
        Panel(
            key="legal-holds",
            title="Active legal holds",
            lines=lines,
            link=reverse("admin:retention_app_legalhold_changelist"),
            link_text="All legal holds",
            headers=["Matter", "Covers", "Placed on"] if rows else (),
            rows=rows,
        )
    ]


def count_deleted(start: datetime, end: datetime) -> Iterable[stats.Row]:
    """Per day: retention category -> deletion records (nightly, one pass)."""
    rows = (
        DeletionRecord.objects.filter(deleted_at__gte=start, deleted_at__lt=end)
        .annotate(day=TruncDate("deleted_at"))
        .order_by()
        .values_list("day", "category")
        .annotate(n=Count("id"))
    )
    return list(rows)
