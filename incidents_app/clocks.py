"""The incident clocks: pure functions of the time of awareness.

The 72 hours of Art. 33(1) are elapsed hours: the arithmetic is done in UTC, so a
daylight-saving change in between neither adds nor removes an hour. Staff see the
result in the portal's time zone (which may then read 71 or 73 wall-clock hours).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

AUTHORITY_HOURS = 72
REMINDER_HOURS = (24, 48, 66)


def authority_due(aware_at: datetime) -> datetime:
    """72 elapsed hours after awareness (a timezone-aware UTC datetime)."""
    return aware_at.astimezone(UTC) + timedelta(hours=AUTHORITY_HOURS)


def reminder_due(aware_at: datetime, now: datetime) -> int:
    """The latest reminder stage reached at ``now`` (24, 48, 66), or 0 for none."""
    elapsed = now.astimezone(UTC) - aware_at.astimezone(UTC)
    reached = [h for h in REMINDER_HOURS if elapsed >= timedelta(hours=h)]
    return reached[-1] if reached else 0


def is_late(aware_at: datetime, at: datetime) -> bool:
    return at > authority_due(aware_at)


def time_left_words(due: datetime, now: datetime) -> str:
    """'31 hours left', '40 minutes left', 'overdue by 5 hours'."""
    delta = due - now
    words = _span(abs(delta))
    return f"{words} left" if delta >= timedelta(0) else f"overdue by {words}"


def _span(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    # Hours up to four days: the 72-hour clock is read in hours.
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
