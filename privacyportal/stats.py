"""Daily figures: each app counts its own tables once a night; charts read counts.

An app registers a :class:`Counter` in ``AppConfig.ready()``: a series name and a
read that counts ``[start, end)`` by local day. ``figures_rollup`` (the nightly
job) stores the days not yet counted, and yesterday again, in ``DailyCount``;
a chart then reads a few hundred rows whatever the size of the tables behind it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import DateField, F, QuerySet, Sum, Value
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from privacyportal.models import DailyCount

# Charts look back at most a year; a little more so a 52-week chart is full.
KEEP_DAYS = 400
# Written for every counted day, so a day with nothing to count is not
# mistaken for a day never counted.
COUNTED = ""

Row = tuple[date, str, int]


@dataclass(frozen=True)
class Counter:
    """``count(start, end)`` returns (local day, key, value) rows.

    ``monthly``: rows are stored per month (dated the 1st), for series with
    many keys a day (days taken to close, per type): a year is then 12 sets
    of keys, not 365, and the month so far is counted again each night.
    """

    series: str
    count: Callable[[datetime, datetime], Iterable[Row]]
    monthly: bool = False


COUNTERS: dict[str, Counter] = {}


def register(counter: Counter) -> None:
    COUNTERS[counter.series] = counter


def midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _first_uncounted(series: str, first: date, last: date) -> date:
    counted = set(
        DailyCount.objects.filter(
            series=series, key=COUNTED, day__gte=first, day__lte=last
        ).values_list("day", flat=True)
    )
    missing = [
        d
        for d in (first + timedelta(n) for n in range((last - first).days))
        if d not in counted
    ]
    # Yesterday is always counted again: work finished late in the day
    # (a request closed at 23:59 by a slow worker) lands in the next run.
    return min([*missing, last])


def figures_rollup(*, today: date | None = None, days: int = KEEP_DAYS) -> int:
    """Count every registered series up to yesterday; returns the rows written.

    Invariants: today is never stored (it is not over); a day's rows are
    replaced in one transaction, so a chart never sees half a day; a second
    run the same day rewrites yesterday only.
    """
    today = today or timezone.localdate()
    last, written = today - timedelta(days=1), 0
    for counter in COUNTERS.values():
        first = _first_uncounted(counter.series, today - timedelta(days=days), last)
        if counter.monthly:
            first = first.replace(day=1)
        written += _store(counter, first, last)
    return written


def _store(counter: Counter, first: date, last: date) -> int:
    found: dict[tuple[date, str], int] = defaultdict(int)
    for day, key, value in counter.count(
        midnight(first), midnight(last + timedelta(1))
    ):
        found[day.replace(day=1) if counter.monthly else day, key] += value
    rows = [
        DailyCount(series=counter.series, day=day, key=key, value=value)
        for (day, key), value in found.items()
        if value
    ]
    rows += [
        DailyCount(series=counter.series, day=first + timedelta(n), key=COUNTED)
        for n in range((last - first).days + 1)
    ]
    with transaction.atomic():
        DailyCount.objects.filter(
            series=counter.series, day__gte=first, day__lte=last
        ).delete()
        DailyCount.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


PERIODS = {
    "day": F("day"),
    "week": TruncWeek("day"),
    "month": TruncMonth("day"),
    # Summed over the whole range: one row per key.
    None: Value(None, output_field=DateField()),
}


def totals(series: str, since: date, period: str | None = "day") -> QuerySet:
    """One series from ``since``, summed per key and per ``period``; lazy."""
    return (
        DailyCount.objects.filter(series=series, day__gte=since)
        .exclude(key=COUNTED)
        .annotate(period=PERIODS[period])
        .order_by()
        .values_list("series", "period", "key")
        .annotate(total=Sum("value"))
    )


def fetch(*wanted: QuerySet) -> dict[str, list[Row]]:
    """Several ``totals`` in one query: series -> (period, key, total) rows."""
    found: dict[str, list[Row]] = defaultdict(list)
    union = wanted[0].union(*wanted[1:], all=True) if len(wanted) > 1 else wanted[0]
    for series, period, key, total in union:
        found[series].append((period, key, total))
    return found
