"""Reads for the staff dashboard: tiles, the signed-in user's work, charts.

Every read is bounded: tile counts stop at TILE_CAP and use the partial
indexes of open requests; charts read the nightly daily counts (see
``privacyportal.stats``), never the whole table.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone

from privacyportal import counts, stats
from privacyportal.widgets import (
    Chart,
    Series,
    Tile,
    Viewer,
    WorkItem,
)
from requests_app.jurisdictions import known_codes
from requests_app.models import (
    CLOCK_STATUSES,
    OPEN_STATUSES,
    Appeal,
    PrivacyRequest,
)

S = PrivacyRequest.Status
RECEIVED, CLOSED = "requests.received", "requests.closed"
# Decisions: what "on time" and "days to close" are measured on.
DECIDED = (S.COMPLETED, S.PARTIALLY_COMPLETED, S.DENIED)
TYPES = dict(PrivacyRequest.Type.choices)
SECTION = "Requests that need someone"


def queue_url(**params: str) -> str:
    url = reverse("admin:requests_app_privacyrequest_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def request_url(pk: int) -> str:
    return reverse("admin:requests_app_privacyrequest_change", args=[pk])


# --- tiles ------------------------------------------------------------------


def tile_counts(viewer: Viewer) -> dict[str, QuerySet]:
    """What the tiles count (fetched by the console with every app's counts)."""
    requests, now = PrivacyRequest.objects, viewer.now
    found = {
        "overdue": requests.overdue(now),
        "due_7": requests.due_within(now, 7),
        "waiting": requests.filter(status=S.NEEDS_INFO),
        "waiting_paused": requests.filter(status=S.NEEDS_INFO, paused_at__isnull=False),
        "unverified": requests.filter(status=S.RECEIVED),
        "attention": requests.filter(needs_attention=True),
        "unassigned": requests.on_the_clock().filter(assignee__isnull=True),
    }
    return {f"requests.{key}": queryset for key, queryset in found.items()}


def tiles(viewer: Viewer) -> list[Tile]:
    found = counts.counted(viewer.counts, tile_counts(viewer))
    n = {key.removeprefix("requests."): value for key, value in found.items()}
    paused, running = n["waiting_paused"], n["waiting"] - n["waiting_paused"]
    return [
        Tile(
            "Overdue",
            n["overdue"],
            queue_url(due="overdue"),
            note="Past the deadline, with the clock running",
            tone="alert",
            section=SECTION,
        ),
        Tile(
            "Due in the next 7 days",
            n["due_7"],
            queue_url(due="7"),
            note="Listed soonest first",
            tone="warn",
            section=SECTION,
        ),
        Tile(
            "Waiting for the requester",
            n["waiting"],
            queue_url(status__exact=S.NEEDS_INFO),
            note=f"{paused} with the clock stopped, {running} with it running",
            section=SECTION,
        ),
        Tile(
            "Awaiting verification",
            n["unverified"],
            queue_url(status__exact=S.RECEIVED),
            note="The requester has not confirmed the e-mail address yet",
            section=SECTION,
        ),
        Tile(
            "Needs attention",
            n["attention"],
            queue_url(needs_attention__exact="1"),
            note="A source or an export failed",
            tone="alert",
            section=SECTION,
        ),
        Tile(
            "Unassigned",
            n["unassigned"],
            queue_url(assignee="none", status__in=",".join(CLOCK_STATUSES)),
            note="Verified, and nobody works on them",
            tone="warn",
            section=SECTION,
        ),
    ]


# --- appeals of refused requests --------------------------------------------------

APPEALS = "Appeals of refused requests"


def appeals_url(**params: str) -> str:
    url = reverse("admin:requests_app_appeal_changelist")
    return f"{url}?{urlencode(params)}"


def appeal_counts(viewer: Viewer) -> dict[str, QuerySet]:
    return {
        "appeals.pending": Appeal.objects.pending(),
        "appeals.overdue": Appeal.objects.overdue(viewer.now),
    }


def appeal_tiles(viewer: Viewer) -> list[Tile]:
    n = counts.counted(viewer.counts, appeal_counts(viewer))
    return [
        Tile(
            "Appeals to decide",
            n["appeals.pending"],
            appeals_url(decided="no"),
            note="By an officer other than the one who refused",
            section=APPEALS,
        ),
        Tile(
            "Appeals overdue",
            n["appeals.overdue"],
            appeals_url(due="overdue"),
            note="Past the date the law gives to decide",
            tone="alert",
            section=APPEALS,
        ),
    ]


# --- my work ----------------------------------------------------------------

WORK_ROWS = 10


def due_words(request: PrivacyRequest, now: datetime) -> tuple[str, str]:
    """When a request is due, in words, and how urgent that is."""
    if request.status == S.RECEIVED:
        return "Not verified yet", ""
    if request.paused_at:
        return "Clock stopped (waiting for the requester)", ""
    days = request.days_left
    if request.due_at < now:
        late = max(-days, 1)
        return f"Overdue by {late} day{'s' if late != 1 else ''}", "alert"
    if days == 0:
        return "Due today", "alert"
    return f"Due in {days} day{'s' if days != 1 else ''}", "warn" if days <= 7 else ""


def my_work(viewer: Viewer) -> list[WorkItem]:
    """Open requests assigned to the viewer (Support: entered by them), by due date."""
    mine = PrivacyRequest.objects.filter(status__in=OPEN_STATUSES)
    if viewer.own_work_only:
        mine = mine.filter(entered_by=viewer.user)
    else:
        mine = mine.filter(assignee=viewer.user)
    rows = mine.order_by("due_at", "id").only(
        "reference", "type", "status", "due_at", "paused_at"
    )[:WORK_ROWS]
    items = []
    for request in rows:
        due, tone = due_words(request, viewer.now)
        what = f"{request.get_type_display()} — {request.get_status_display()}"
        items.append(
            WorkItem(request.reference, request_url(request.pk), what, due, tone)
        )
    return items


# --- charts -----------------------------------------------------------------


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def received_chart(rows: Iterable[stats.Row], today: date) -> Chart:
    weeks = [week_start(today) - timedelta(weeks=n) for n in range(51, -1, -1)]
    counts: dict[str, Counter] = defaultdict(Counter)
    for week, key, value in rows:
        counts[key][week] += value
    series = [
        Series(TYPES.get(key, key), [counts[key][w] for w in weeks])
        for key in TYPES
        if counts[key]
    ]
    total = sum(sum(c.values()) for c in counts.values())
    return Chart(
        key="requests-received",
        title="Requests received per week, by type",
        kind="columns",
        labels=[f"{w:%-d %b}" for w in weeks],
        series=series,
        summary=f"{total:,} requests received in the last 12 months "
        "(counted each night: today is not in yet).",
        label_every=4,
        link=queue_url(),
    )


def median(histogram: Counter) -> float:
    """The median of values given as value -> how many times it occurs."""
    total = sum(histogram.values())
    middle = {(total - 1) // 2, total // 2}  # 0-based positions, one or two
    found, seen = [], 0
    for value in sorted(histogram):
        seen += histogram[value]
        found += [value for position in sorted(middle) if position < seen]
        middle = {p for p in middle if p >= seen}
        if not middle:
            break
    return sum(found) / len(found)


def closing_chart(rows: Iterable[stats.Row]) -> Chart:
    days: dict[str, Counter] = defaultdict(Counter)
    on_time: Counter = Counter()
    for _day, key, value in rows:
        kind, taken, in_time = key.split("|")
        days[kind][int(taken)] += value
        on_time[kind] += value if in_time == "1" else 0
    totals = {k: sum(days[k].values()) for k in TYPES if days[k]}
    kinds = list(totals)
    rate = [round(100 * on_time[k] / totals[k], 1) for k in kinds]
    medians = [median(days[k]) for k in kinds]
    closed = sum(totals.values())
    return Chart(
        key="requests-on-time",
        title="Closed on time, and median days to close, by type",
        kind="bars",
        labels=[TYPES[k] for k in kinds],
        series=[
            Series("Closed on time", rate, "%"),
            Series("Median days to close", medians, " days"),
        ],
        summary=f"{closed:,} requests completed or denied in the last 12 months "
        "(counted each night).",
    )


def open_by_jurisdiction() -> Chart:
    counts = Counter(
        dict(
            PrivacyRequest.objects.open()
            .order_by()
            .values_list("jurisdiction")
            # COUNT(*): the partial index alone answers (an index-only scan).
            .annotate(n=Count("*"))
        )
    )
    top = counts.most_common(12)
    names = dict(known_codes())
    return Chart(
        key="open-jurisdiction",
        title="Open requests by jurisdiction",
        kind="bars",
        labels=[names.get(code, "Elsewhere") for code, _ in top],
        series=[Series("Open requests", [n for _, n in top])],
        summary=f"{sum(counts.values()):,} requests open in "
        f"{len(counts)} jurisdictions (the {len(top)} largest shown).",
    )


def chart_figures(viewer: Viewer) -> list[QuerySet]:
    today = timezone.localdate(viewer.now)
    return [
        stats.totals(RECEIVED, week_start(today) - timedelta(weeks=51), "week"),
        # Monthly rows: the last 12 whole months and this month so far.
        stats.totals(CLOSED, date(today.year - 1, today.month, 1), None),
    ]


def charts(viewer: Viewer) -> list[Chart]:
    today = timezone.localdate(viewer.now)
    return [
        received_chart(viewer.figures.get(RECEIVED, []), today),
        closing_chart(viewer.figures.get(CLOSED, [])),
        open_by_jurisdiction(),
    ]


# --- nightly counts ---------------------------------------------------------


def count_received(start: datetime, end: datetime) -> Iterable[stats.Row]:
    rows = (
        PrivacyRequest.objects.filter(received_at__gte=start, received_at__lt=end)
        .exclude(status=S.DUPLICATE)
        .annotate(day=TruncDate("received_at"))
        .order_by()
        .values_list("day", "type")
        .annotate(n=Count("id"))
    )
    return list(rows)


def count_closed(start: datetime, end: datetime) -> Iterable[stats.Row]:
    """Per close day: "type|whole days taken|1 if on time" -> requests."""
    found: Counter = Counter()
    rows = PrivacyRequest.objects.filter(
        status__in=DECIDED, closed_at__gte=start, closed_at__lt=end
    ).values_list("type", "received_at", "closed_at", "due_at")
    for kind, received, closed, due in rows.iterator(chunk_size=5000):
        taken = (closed - received).days
        day = timezone.localdate(closed)
        found[day, f"{kind}|{taken}|{int(closed <= due)}"] += 1
    return [(day, key, n) for (day, key), n in found.items()]
