"""Reads for the staff dashboard: opt-in rate per purpose over the last year.

The chart reads the nightly daily counts (``privacyportal.stats``): the ledger
holds millions of events and is never scanned for a page view.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone

from consent_app.models import ConsentEvent, Purpose
from privacyportal import stats
from privacyportal.widgets import Chart, Series, Viewer

EVENTS = "consent.events"
GRANTED = ConsentEvent.Action.GRANTED
MONTHS = 12


def months_back(today: date, count: int = MONTHS) -> list[date]:
    """First days of the last ``count`` months, oldest first, this month last."""
    firsts = []
    year, month = today.year, today.month
    for _ in range(count):
        firsts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return firsts[::-1]


def opt_in_chart(
    rows: Iterable[stats.Row], purposes: dict[int, str], today: date
) -> Chart:
    months = months_back(today)
    chosen: Counter = Counter()
    granted: Counter = Counter()
    for month, key, value in rows:
        purpose, action = key.split("|")
        chosen[int(purpose), month] += value
        granted[int(purpose), month] += value if action == GRANTED else 0
    series = []
    for pk, name in purposes.items():
        rates = [
            round(100 * granted[pk, m] / chosen[pk, m], 1) if chosen[pk, m] else None
            for m in months
        ]
        if any(r is not None for r in rates):
            series.append(Series(name, rates, "%"))
    total = sum(chosen.values())
    return Chart(
        key="consent-opt-in",
        title="Opt-in rate per purpose, by month",
        kind="lines",
        labels=[f"{m:%b %Y}" for m in months],
        label_every=2,
        series=series,
        summary=f"Of {total:,} consent choices in the last 12 months, the share "
        "that were opt-ins, per purpose and month (counted each night).",
        link=reverse("admin:consent_app_consentevent_changelist"),
    )


def chart_figures(viewer: Viewer) -> list[QuerySet]:
    since = months_back(timezone.localdate(viewer.now))[0]
    return [stats.totals(EVENTS, since, "month")]


def charts(viewer: Viewer) -> list[Chart]:
    today = timezone.localdate(viewer.now)
    rows = viewer.figures.get(EVENTS, [])
    purposes = dict(
        Purpose.objects.order_by("position", "code").values_list("pk", "name")
    )
    return [opt_in_chart(rows, purposes, today)]


def count_events(start: datetime, end: datetime) -> Iterable[stats.Row]:
    """Per day: "purpose id|granted or withdrawn" -> events (occurred_at index)."""
    rows = (
        ConsentEvent.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
        .annotate(day=TruncDate("occurred_at"))
        .order_by()
        .values_list("day", "purpose_id", "action")
        .annotate(n=Count("id"))
    )
    return [(day, f"{purpose}|{action}", n) for day, purpose, action, n in rows]
