"""Yearly request metrics: CCPA regulation § 7102 and a GDPR accountability report.

Reads only (selectors). Each report is one grouped aggregate over the year's
requests (served by the received-date index) plus one query for the response
times, so a year of a million requests stays within seconds on PostgreSQL.

Counting rules, stated once:
- a request counts in the year it was **received** (portal time zone);
- duplicates of another open request are not counted (they were never worked);
- "complied with in whole or in part" = completed or partially completed;
- "denied" = denied by staff, plus requests closed because the identity was
  never verified (CCPA counts those as denied: not verifiable);
- days to a substantive response = received to completed or denied, in days.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from requests_app.jurisdictions import known_codes
from requests_app.models import DenialCategory, PrivacyRequest

T = PrivacyRequest.Type
S = PrivacyRequest.Status

# § 7102 request kinds and the portal's types that answer to each.
CCPA_KINDS: list[tuple[str, str, tuple[str, ...]]] = [
    ("know", "Requests to know (access)", (T.ACCESS,)),
    ("delete", "Requests to delete", (T.ERASURE,)),
    ("correct", "Requests to correct", (T.RECTIFICATION,)),
    (
        "opt_out",
        "Requests to opt out of sale or sharing",
        (T.MARKETING_OPT_OUT, T.OBJECTION),
    ),
    ("limit", "Requests to limit use of sensitive information", (T.RESTRICTION,)),
]
COMPLIED = (S.COMPLETED, S.PARTIALLY_COMPLETED)
DENIED = (S.DENIED, S.CLOSED_UNVERIFIED)
DENIAL_SPLIT = [(c.value, c.label) for c in DenialCategory]
# Counts below this are shown as "fewer than 5" in a publishable report.
SMALL = 5
# Other apps add yearly figures to the accountability report, as
# (label, count) pairs for a year, without requests_app importing them.
YEARLY_EXTRAS: list[Callable[[int], list[tuple[str, int]]]] = []


def yearly_extras(year: int) -> list[tuple[str, int]]:
    return [pair for extra in YEARLY_EXTRAS for pair in extra(year)]


@dataclass(frozen=True)
class Timing:
    """Over the requests answered in substance (complied with or denied by staff)."""

    median: float | None
    mean: float | None
    on_time: int
    answered: int


@dataclass
class Row:
    """One line of a report: a kind of request or a jurisdiction."""

    key: str
    label: str
    received: int = 0
    complied: int = 0
    denied: int = 0
    denied_by: dict[str, int] = field(default_factory=dict)
    withdrawn_or_open: int = 0
    extended: int = 0
    timing: Timing | None = None

    @property
    def responded(self) -> int:
        return self.complied + self.denied

    @property
    def median_days(self) -> float | None:
        return round(self.timing.median, 1) if self.timing else None

    @property
    def mean_days(self) -> float | None:
        return round(self.timing.mean, 1) if self.timing else None

    @property
    def on_time_rate(self) -> float | None:
        if not (self.timing and self.timing.answered):
            return None
        return round(100 * self.timing.on_time / self.timing.answered, 1)


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime(year, 1, 1, tzinfo=tz)
    return start, dt.datetime(year + 1, 1, 1, tzinfo=tz)


def requests_of(year: int, jurisdiction: str = "") -> QuerySet:
    start, end = year_bounds(year)
    qs = PrivacyRequest.objects.filter(received_at__gte=start, received_at__lt=end)
    qs = qs.exclude(status=S.DUPLICATE)
    return qs.filter(jurisdiction=jurisdiction) if jurisdiction else qs


def _tally(row: Row, group: dict) -> None:
    """Add one aggregate group (status, denial category, extended, n) to a row."""
    status, category, n = group["status"], group["denial_category"], group["n"]
    extended = group["extended"]
    row.received += n
    if status in COMPLIED:
        row.complied += n
    elif status in DENIED:
        row.denied += n
        why = (
            DenialCategory.NOT_VERIFIABLE
            if status == S.CLOSED_UNVERIFIED
            else category or DenialCategory.OTHER
        )
        row.denied_by[why] = row.denied_by.get(why, 0) + n
    else:
        row.withdrawn_or_open += n
    if extended:
        row.extended += n


def _grouped(qs: QuerySet, by: str) -> Iterable[dict]:
    """One aggregate query: counts by (by, status, denial category, extended)."""
    return (
        qs.annotate(extended=Q(extended_at__isnull=False))
        .values(by, "status", "denial_category", "extended")
        .annotate(n=Count("id"))
        .order_by()
    )


def _response_stats(
    qs: QuerySet, group_sql: str, group_of: Callable[[PrivacyRequest], str]
) -> dict[str, Timing]:
    """Days to a substantive response and on-time answers, per group.

    ``group_sql`` is an SQL expression over the request row ``r`` ('' for one
    group); ``group_of`` is the same in Python, for the embedded database.
    PostgreSQL computes medians itself (percentile_cont), so a year of a
    million requests is never streamed through Python.
    """
    responded = qs.filter(status__in=(*COMPLIED, S.DENIED)).exclude(closed_at=None)
    if connection.vendor == "postgresql":
        return _stats_sql(responded, group_sql)
    days: dict[str, list[float]] = defaultdict(list)
    on_time: dict[str, int] = defaultdict(int)
    for r in responded.only(
        "type", "jurisdiction", "received_at", "closed_at", "due_at"
    ):
        key = group_of(r) if group_sql else ""
        days[key].append((r.closed_at - r.received_at).total_seconds() / 86400)
        on_time[key] += r.closed_at <= r.due_at
    return {
        k: Timing(statistics.median(v), statistics.fmean(v), on_time[k], len(v))
        for k, v in days.items()
    }


def _stats_sql(responded: QuerySet, group_sql: str) -> dict[str, Timing]:
    sql, params = responded.values("pk").query.sql_with_params()
    days = "EXTRACT(EPOCH FROM (r.closed_at - r.received_at)) / 86400"
    group = group_sql or "''"
    # Only our own constant expressions and the ORM's compiled SQL are joined
    # here; every value travels as a parameter.
    query = (
        f"SELECT {group}, percentile_cont(0.5) WITHIN GROUP (ORDER BY {days}),"  # noqa: S608
        f" avg({days}), count(*) FILTER (WHERE r.closed_at <= r.due_at), count(*)"
        f" FROM {PrivacyRequest._meta.db_table} r WHERE r.id IN ({sql})"
        f" GROUP BY 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return {
            key: Timing(float(median), float(mean), int(on_time), int(n))
            for key, median, mean, on_time, n in cursor.fetchall()
        }


def _kind_sql() -> str:
    """The § 7102 kind of a request row, as an SQL CASE over its type."""
    whens = " ".join(
        f"WHEN '{t}' THEN '{key}'" for key, _, types in CCPA_KINDS for t in types
    )
    return f"CASE r.type {whens} END"


KIND_OF = {t: key for key, _, types in CCPA_KINDS for t in types}


def ccpa_7102(year: int, jurisdiction: str = "US-CA") -> tuple[list[Row], Row]:
    """§ 7102 metrics for one calendar year, per kind of request, and the total."""
    rows = {key: Row(key, label) for key, label, _ in CCPA_KINDS}
    qs = requests_of(year, jurisdiction).filter(type__in=list(KIND_OF))
    for g in _grouped(qs, "type"):
        row = rows[KIND_OF[g["type"]]]
        _tally(row, g)
    timings = _response_stats(qs, _kind_sql(), lambda r: KIND_OF[r.type])
    for key, row in rows.items():
        row.timing = timings.get(key)
    return list(rows.values()), _total(list(rows.values()), qs)


def accountability(year: int) -> tuple[list[Row], Row]:
    """The yearly requests report: the same figures by jurisdiction, and the total."""
    names = dict(known_codes())
    rows: dict[str, Row] = {}
    qs = requests_of(year)
    for g in _grouped(qs, "jurisdiction"):
        code = g["jurisdiction"]
        row = rows.setdefault(code, Row(code, names.get(code, code)))
        _tally(row, g)
    timings = _response_stats(qs, "r.jurisdiction", lambda r: r.jurisdiction)
    for code, row in rows.items():
        row.timing = timings.get(code)
    ordered = sorted(rows.values(), key=lambda r: (-r.received, r.label))
    return ordered, _total(ordered, qs)


def _total(rows: list[Row], qs: QuerySet) -> Row:
    out = Row("total", "All")
    for row in rows:
        out.received += row.received
        out.complied += row.complied
        out.denied += row.denied
        out.withdrawn_or_open += row.withdrawn_or_open
        out.extended += row.extended
        for why, n in row.denied_by.items():
            out.denied_by[why] = out.denied_by.get(why, 0) + n
    # A median of medians is not the median: one more query for the whole set.
    out.timing = _response_stats(qs, "", lambda r: "").get("")
    return out


def shown(value: int | float | None, *, publishable: bool, count: bool = True) -> str:
    """A figure as printed: small counts hidden in anything published."""
    if value is None:
        return "—"
    if publishable and count and 0 < value < SMALL:
        return f"fewer than {SMALL}"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"
