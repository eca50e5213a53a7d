"""The incident clocks: pure functions of the time of awareness and the rules.

The hours of Art. 33(1) (72 under the GDPR and the UK GDPR) are elapsed hours:
the arithmetic is done in UTC, so a daylight-saving change in between neither
adds nor removes an hour. Staff see the result in the portal's time zone (which
may then read 71 or 73 wall-clock hours). The number of hours is an
effective-dated rule (AuthorityNoticeRule), read here for the day of awareness.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from privacyportal.rules import covers

# Where no notice-period rule is in force at all: Art. 33(1)'s own figure.
AUTHORITY_HOURS = 72
# The last reminder comes this many hours before the deadline (66 of 72).
LAST_REMINDER_BEFORE = 6

# Every incident row shown (the register, the admin list) needs the period, which
# changes once in years: the few versions are read from the shared cache,
# dropped on every save or delete (services and the signals in apps.py).
PERIODS_CACHE_KEY = "incidents:authority-periods:v1"
PERIODS_CACHE_SECONDS = 300


@dataclass(frozen=True)
class AuthorityPeriod:
    jurisdictions: tuple[str, ...]
    hours: int
    effective_from: date
    effective_to: date | None


def counted_under(
    periods: Iterable[AuthorityPeriod], day: date, jurisdictions: Sequence[str]
) -> list[AuthorityPeriod]:
    """The periods an incident's hours are chosen from (the shortest wins).

    Those in force on ``day`` naming where the people affected live; where none
    does (only US states, or not yet known), every period in force, since the
    register does not yet say which authority is competent.
    """
    current = [p for p in periods if covers(p.effective_from, p.effective_to, day)]
    named = [p for p in current if set(p.jurisdictions) & set(jurisdictions)]
    return named or current


def authority_hours(
    periods: Iterable[AuthorityPeriod], day: date, jurisdictions: Sequence[str]
) -> int:
    """The hours in force on ``day`` for the people affected (see counted_under)."""
    chosen = counted_under(periods, day, jurisdictions)
    return min([p.hours for p in chosen] or [AUTHORITY_HOURS])


def authority_periods() -> list[AuthorityPeriod]:
    periods = cache.get(PERIODS_CACHE_KEY)
    if periods is None:
        from incidents_app.models import AuthorityNoticeRule

        periods = [
            AuthorityPeriod(
                tuple(r.jurisdictions), r.hours, r.effective_from, r.effective_to
            )
            for r in AuthorityNoticeRule.objects.all()
        ]
        cache.set(PERIODS_CACHE_KEY, periods, PERIODS_CACHE_SECONDS)
    return periods


def authority_periods_forget() -> None:
    """Drop the cached periods now and again at commit (a reader may refill
    the cache from the old rows between the save and its commit)."""
    cache.delete(PERIODS_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(PERIODS_CACHE_KEY))


def authority_hours_at(aware_at: datetime, jurisdictions: Sequence[str]) -> int:
    """The hours of the rule in force on the portal-local day of awareness."""
    day = timezone.localdate(aware_at)
    return authority_hours(authority_periods(), day, jurisdictions)


def authority_due(aware_at: datetime, hours: int = AUTHORITY_HOURS) -> datetime:
    """``hours`` elapsed hours after awareness (a timezone-aware UTC datetime)."""
    return aware_at.astimezone(UTC) + timedelta(hours=hours)


def reminder_hours(hours: int) -> tuple[int, ...]:
    """When to remind, in whole elapsed hours, for a period of ``hours``.

    A third and two thirds of the period (rounded down) and LAST_REMINDER_BEFORE
    hours before its end: 24, 48, 66 for 72 hours; 32, 64, 90 for 96. Where the
    last would not come after the second (periods under 19 hours) it falls
    halfway between the second and the end (rounded down). The points stay
    increasing, after awareness and before the end; those that cannot (periods
    under 4 hours) are left out: 3 hours gives 1, 2; 1 hour gives none.
    """
    first, second = hours // 3, 2 * hours // 3
    last = hours - LAST_REMINDER_BEFORE
    if last <= second:
        last = (second + hours) // 2
    points: list[int] = []
    for point in (first, second, last):
        if 0 < point < hours and (not points or point > points[-1]):
            points.append(point)
    return tuple(points)


def first_alert_hours(periods: Iterable[AuthorityPeriod]) -> int:
    """The fewest elapsed hours after which an incident counted under any of
    ``periods`` (or none: AUTHORITY_HOURS) is due a reminder or an alert."""
    hours = {p.hours for p in periods} | {AUTHORITY_HOURS}
    return min((reminder_hours(h) or (h,))[0] for h in hours)


def reminder_due(
    aware_at: datetime, now: datetime, hours: int = AUTHORITY_HOURS
) -> int:
    """The latest reminder point reached at ``now`` for a period of ``hours``
    (24, 48 or 66 for 72 hours), or 0 for none."""
    elapsed = now.astimezone(UTC) - aware_at.astimezone(UTC)
    reached = [h for h in reminder_hours(hours) if elapsed >= timedelta(hours=h)]
    return reached[-1] if reached else 0


def is_late(due: datetime, at: datetime) -> bool:
    return at > due


def time_left_words(due: datetime, now: datetime) -> str:
    """'31 hours left', '40 minutes left', 'overdue by 5 hours'."""
    delta = due - now
    words = _span(abs(delta))
    return f"{words} left" if delta >= timedelta(0) else f"overdue by {words}"


def _span(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    # Hours up to four days: the authority's clock (72 hours) is read in hours.
    if hours >= 96:
        return f"{hours // 24} days {hours % 24} hours"
    if hours >= 1:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@dataclass(frozen=True)
class StateDue:
    state: str
    name: str
    days: int | None
    due: date | None


def state_due_dates(
    aware_at: datetime, states: list[str], rules: dict[str, int]
) -> list[StateDue]:
    """Per affected US state, the last day to tell its residents (calendar days).

    Counted from the portal-local date of awareness; ``rules`` maps a state code
    (``CO``) to its days. A state without a rule has no fixed period.
    """
    from requests_app.jurisdictions import US_STATES

    names = dict(US_STATES)
    start = timezone.localdate(aware_at)
    out = []
    for state in states:
        days = rules.get(state)
        due = start + timedelta(days=days) if days is not None else None
        out.append(StateDue(state, names.get(state, state), days, due))
    return out
