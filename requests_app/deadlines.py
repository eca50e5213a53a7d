"""Deadline arithmetic: pure functions of dates, rules and holidays.

Nothing here reads the database or the clock, so every rule can be tested with
plain values. Conventions (GDPR Art. 12(3) read with Regulation 1182/71, and the
US and Brazilian statutes counted in calendar days):

- the day of receipt is not counted: a period of N days ends N days after it;
- a period in months ends on the same day-of-month, or on the last day of the
  month when that date does not exist (31 January + 1 month = 28/29 February);
- a period in working days ends on the N-th working day after receipt; which
  days are not working days is the calendar the rule names (requests_app.
  calendars), passed in here as a set of dates;
- where a rule says so, a deadline falling on a Saturday, Sunday or holiday moves
  to the next working day;
- a deadline is the end of its day in the portal's time zone.
"""

from __future__ import annotations

import calendar
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

DAYS = "days"
WORKING_DAYS = "working_days"
MONTHS = "months"


@dataclass(frozen=True)
class RuleSpec:
    """The parts of a DeadlineRule that arithmetic needs."""

    code: str
    unit: str = DAYS
    amount: int = 30
    roll_to_working_day: bool = False
    extension_unit: str = DAYS
    extension_amount: int = 0
    ack_business_days: int | None = None
    pauses_on_needs_info: bool = False
    calendar: str = ""
    # The law allows "a further period" the company names, with notice, rather
    # than a fixed number of days (Switzerland, Singapore, New Zealand).
    extension_by_notice: bool = False

    @property
    def allows_extension(self) -> bool:
        return self.extension_amount > 0 or self.extension_by_notice


@dataclass(frozen=True)
class Deadlines:
    policy_due: date
    legal_due: date | None
    due: date
    ack_due: date | None


def add_months(start: date, months: int) -> date:
    """Same day-of-month ``months`` later, clamped to the month's last day."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def is_working_day(day: date, holidays: Collection[date] = ()) -> bool:
    return day.weekday() < 5 and day not in holidays


def next_working_day(day: date, holidays: Collection[date] = ()) -> date:
    """``day`` itself if it is a working day, else the first one after it."""
    while not is_working_day(day, holidays):
        day += timedelta(days=1)
    return day


def add_business_days(start: date, days: int, holidays: Collection[date] = ()) -> date:
    """The ``days``-th working day after ``start`` (start itself not counted)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current, holidays):
            remaining -= 1
    return current


def add_period(
    start: date,
    unit: str,
    amount: int,
    *,
    roll: bool = False,
    holidays: Collection[date] = (),
) -> date:
    if unit == MONTHS:
        end = add_months(start, amount)
    elif unit == DAYS:
        end = start + timedelta(days=amount)
    elif unit == WORKING_DAYS:
        return add_business_days(start, amount, holidays)
    else:
        raise ValueError(f"unknown period unit {unit!r}")
    return next_working_day(end, holidays) if roll else end


def rule_due(received: date, rule: RuleSpec, holidays: Collection[date] = ()) -> date:
    return add_period(
        received,
        rule.unit,
        rule.amount,
        roll=rule.roll_to_working_day,
        holidays=holidays,
    )


def compute(
    received: date,
    *,
    policy: RuleSpec,
    legal: RuleSpec | None,
    holidays: Collection[date] = (),
    ack_holidays: Collection[date] | None = None,
) -> Deadlines:
    """Policy and legal deadlines of a request received on ``received``.

    ``due`` is the earlier of the two: the company promises 30 days to everyone,
    and a law may demand less (Brazil: 15 days). ``holidays`` is the legal
    rule's calendar; ``ack_holidays`` that of the requester's state, for the
    acknowledgement (the same as ``holidays`` when not given).
    """
    policy_due = rule_due(received, policy, holidays)
    legal_due = rule_due(received, legal, holidays) if legal else None
    due = min(policy_due, legal_due) if legal_due else policy_due
    ack_due = None
    if legal and legal.ack_business_days:
        ack_due = add_business_days(
            received,
            legal.ack_business_days,
            holidays if ack_holidays is None else ack_holidays,
        )
    return Deadlines(policy_due, legal_due, due, ack_due)


def extended_due(
    received: date,
    rule: RuleSpec,
    holidays: Collection[date] = (),
    *,
    paused_days: int = 0,
) -> date:
    """The deadline after the rule's single extension.

    Counted from the day of receipt, never from the (rolled) first deadline:

    - the extension lengthens the period; it does not start a new one after a
      deadline that was moved off a weekend. Counting from the rolled date would
      roll twice (received Sat 28 Feb 2026: one month ends Sat 28 Mar, rolled to
      Mon 30 Mar; + 2 months = Sat 30 May -> Mon 1 Jun, where the law gives
      Thu 28 May);
    - months are added in one step (receipt + 1 + 2 months), because adding them
      one after the other loses the days clamped at a short month's end:
      31 Jan + 1 month = 28 Feb, + 2 = 28 Apr, while 31 Jan + 3 months = 30 Apr;
    - when the extension is in another unit than the period (months then days),
      it is added to the unrolled end of the period;
    - days the clock stood still (``paused_days``) are added to the unrolled
      end, and the result is moved to a working day once, where the rule rolls.
    """
    if not rule.allows_extension:
        raise ValueError(f"rule {rule.code} allows no extension")
    total = rule.amount + rule.extension_amount
    if rule.extension_unit == rule.unit:
        end = add_period(received, rule.unit, total, holidays=holidays)
    else:
        first = add_period(received, rule.unit, rule.amount, holidays=holidays)
        end = add_period(
            first, rule.extension_unit, rule.extension_amount, holidays=holidays
        )
    end += timedelta(days=paused_days)
    return next_working_day(end, holidays) if rule.roll_to_working_day else end


def paused_days(paused_at: datetime, resumed_at: datetime, tz: tzinfo) -> int:
    """Whole calendar days the clock stood still (the day of asking not counted)."""
    start = paused_at.astimezone(tz).date()
    end = resumed_at.astimezone(tz).date()
    return max((end - start).days, 0)


def resume_due(
    due: date,
    days: int,
    *,
    roll: bool = False,
    holidays: Collection[date] = (),
) -> date:
    """The deadline after a pause of ``days`` days is added back."""
    moved = due + timedelta(days=days)
    return next_working_day(moved, holidays) if roll else moved


def end_of_day(day: date, tz: tzinfo) -> datetime:
    """A deadline date as the last second of that day in the portal's time zone."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=tz)


def local_date(moment: datetime, tz: tzinfo) -> date:
    return moment.astimezone(tz).date()


def days_left(due_at: datetime, now: datetime, tz: tzinfo) -> int:
    """Calendar days from today until the due date; negative once overdue."""
    return (local_date(due_at, tz) - local_date(now, tz)).days


def holiday_dates(rows: Iterable[tuple[date, str]], jurisdiction: str) -> frozenset:
    """Holidays that apply to a jurisdiction: its own and the global ones ('')."""
    return frozenset(day for day, where in rows if where in {"", jurisdiction})
