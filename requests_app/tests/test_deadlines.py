"""Deadline arithmetic with plain values: no database, no clock."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from requests_app import deadlines as d

POLICY = d.RuleSpec(code="policy", unit=d.DAYS, amount=30)
GDPR = d.RuleSpec(
    code="gdpr",
    unit=d.MONTHS,
    amount=1,
    roll_to_working_day=True,
    extension_unit=d.MONTHS,
    extension_amount=2,
)
UK = d.RuleSpec(
    code="uk",
    unit=d.MONTHS,
    amount=1,
    roll_to_working_day=True,
    extension_unit=d.MONTHS,
    extension_amount=2,
    pauses_on_needs_info=True,
)
US45 = d.RuleSpec(
    code="us-45",
    unit=d.DAYS,
    amount=45,
    extension_unit=d.DAYS,
    extension_amount=45,
    ack_business_days=10,
)
LGPD = d.RuleSpec(code="lgpd", unit=d.DAYS, amount=15)
PIPEDA = d.RuleSpec(code="pipeda", amount=30, extension_amount=30)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 15), 1, date(2026, 2, 15)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 2, 28), 1, date(2026, 3, 28)),  # not month-end to month-end
        (date(2026, 5, 31), 2, date(2026, 7, 31)),
        (date(2026, 1, 1), 12, date(2027, 1, 1)),
    ],
)
def test_add_months_same_date_or_last_day(start, months, expected):
    assert d.add_months(start, months) == expected


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        # Thu 15 Jan -> Sun 15 Feb -> Mon 16 Feb
        (date(2026, 1, 15), date(2026, 2, 16)),
        # 31 Jan -> Sat 28 Feb 2026 -> Mon 2 Mar
        (date(2026, 1, 31), date(2026, 3, 2)),
        # 31 Jan 2028 -> Tue 29 Feb 2028 (leap year, a working day)
        (date(2028, 1, 31), date(2028, 2, 29)),
        # Tue 10 Mar -> Fri 10 Apr 2026, a plain working day
        (date(2026, 3, 10), date(2026, 4, 10)),
        # 14 Feb 2026 -> Sat 14 Mar -> Mon 16 Mar
        (date(2026, 2, 14), date(2026, 3, 16)),
    ],
)
def test_gdpr_one_month_moves_off_weekends(received, expected):
    assert d.rule_due(received, GDPR) == expected


def test_gdpr_deadline_on_holiday_moves_past_it_and_the_weekend():
    # 24 Nov 2026 -> Thu 24 Dec; 24 and 25 Dec holidays -> Sat/Sun -> Mon 28 Dec
    holidays = {date(2026, 12, 24), date(2026, 12, 25)}
    assert d.rule_due(date(2026, 11, 24), GDPR, holidays) == date(2026, 12, 28)


def test_day_of_receipt_is_not_counted():
    assert d.rule_due(date(2026, 3, 1), POLICY) == date(2026, 3, 31)
    assert d.rule_due(date(2026, 3, 1), LGPD) == date(2026, 3, 16)


def test_calendar_day_rules_do_not_roll():
    # 45 days after Wed 1 Apr 2026 is Sat 16 May: CCPA counts calendar days.
    assert d.rule_due(date(2026, 4, 1), US45) == date(2026, 5, 16)


def test_due_is_the_earlier_of_policy_and_law():
    brazil = d.compute(date(2026, 3, 1), policy=POLICY, legal=LGPD)
    assert brazil.due == brazil.legal_due == date(2026, 3, 16)
    assert brazil.policy_due == date(2026, 3, 31)
    us = d.compute(date(2026, 3, 1), policy=POLICY, legal=US45)
    assert us.due == us.policy_due == date(2026, 3, 31)
    assert us.legal_due == date(2026, 4, 15)


def test_gdpr_february_month_shorter_than_policy_30_days():
    # 1 Feb 2026 + 1 month = Sun 1 Mar -> Mon 2 Mar; 30 days = 3 Mar.
    result = d.compute(date(2026, 2, 1), policy=POLICY, legal=GDPR)
    assert result.legal_due == date(2026, 3, 2)
    assert result.due == date(2026, 3, 2)


def test_no_legal_rule_means_policy_only():
    result = d.compute(date(2026, 6, 1), policy=POLICY, legal=None)
    assert result.legal_due is None and result.ack_due is None
    assert result.due == date(2026, 7, 1)


def test_acknowledgement_within_ten_business_days():
    # Fri 6 Mar 2026 + 10 business days = Fri 20 Mar
    result = d.compute(date(2026, 3, 6), policy=POLICY, legal=US45)
    assert result.ack_due == date(2026, 3, 20)


def test_business_days_skip_holidays():
    assert d.add_business_days(date(2026, 3, 6), 1) == date(2026, 3, 9)
    assert d.add_business_days(date(2026, 3, 6), 1, {date(2026, 3, 9)}) == date(
        2026, 3, 10
    )


MIXED = d.RuleSpec(
    code="mixed",
    unit=d.MONTHS,
    amount=1,
    roll_to_working_day=True,
    extension_unit=d.DAYS,
    extension_amount=30,
)


@pytest.mark.parametrize(
    ("rule", "received", "expected"),
    [
        # Sat 28 Feb + 1 month rolls to Mon 30 Mar; the extension counts from
        # the unrolled end: 28 Feb + 3 months = Thu 28 May (not Mon 1 Jun).
        (GDPR, date(2026, 2, 28), date(2026, 5, 28)),
        # 31 Jan + 3 months = 30 Apr; stepwise (28 Feb + 2) would lose two days.
        (GDPR, date(2026, 1, 31), date(2026, 4, 30)),
        (GDPR, date(2026, 1, 15), date(2026, 4, 15)),
        # month ends and leap years
        (GDPR, date(2027, 11, 30), date(2028, 2, 29)),
        (GDPR, date(2027, 11, 29), date(2028, 2, 29)),
        (GDPR, date(2026, 11, 30), date(2027, 3, 1)),  # Sun 28 Feb 2027 -> Mon
        (GDPR, date(2027, 12, 31), date(2028, 3, 31)),
        (GDPR, date(2026, 10, 31), date(2027, 2, 1)),  # Sun 31 Jan -> Mon
        (US45, date(2026, 4, 1), date(2026, 6, 30)),
        (PIPEDA, date(2026, 3, 1), date(2026, 4, 30)),
        # different units: the extension is added to the unrolled first period
        (MIXED, date(2026, 2, 28), date(2026, 4, 27)),  # 28 Mar + 30 = Mon 27 Apr
    ],
)
def test_extension_counts_from_receipt_in_one_step(rule, received, expected):
    assert d.extended_due(received, rule) == expected


def test_extension_adds_paused_days_before_rolling():
    # 15 Jan + 3 months = Wed 15 Apr, + 10 paused days = Sat 25 Apr -> Mon 27 Apr
    assert d.extended_due(date(2026, 1, 15), GDPR, paused_days=10) == date(2026, 4, 27)
    # calendar-day rules do not roll: 30 Jun + 5 = Sun 5 Jul stays
    assert d.extended_due(date(2026, 4, 1), US45, paused_days=5) == date(2026, 7, 5)


def test_extension_rolls_past_holidays_once():
    # 28 Feb + 3 months = Thu 28 May; a holiday on it moves the end to Fri 29 May
    assert d.extended_due(
        date(2026, 2, 28), GDPR, holidays={date(2026, 5, 28)}
    ) == date(2026, 5, 29)


@pytest.mark.parametrize("rule", [POLICY, LGPD])
def test_rules_without_extension_refuse_it(rule):
    with pytest.raises(ValueError, match="no extension"):
        d.extended_due(date(2026, 1, 1), rule)


def test_pause_counts_whole_local_days():
    zone = ZoneInfo("Europe/London")
    asked = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    answered = datetime(2026, 3, 9, 0, 30, tzinfo=UTC)
    assert d.paused_days(asked, answered, zone) == 7
    assert d.paused_days(answered, asked, zone) == 0


def test_pause_is_added_to_the_due_date_and_rolls_off_weekends():
    # Fri 13 Mar + 8 days = Sat 21 Mar -> Mon 23 Mar for a rolling rule
    assert d.resume_due(date(2026, 3, 13), 8, roll=True) == date(2026, 3, 23)
    assert d.resume_due(date(2026, 3, 13), 8) == date(2026, 3, 21)


def test_deadline_is_end_of_day_in_the_portal_time_zone():
    zone = ZoneInfo("America/Los_Angeles")
    end = d.end_of_day(date(2026, 3, 31), zone)
    assert end.astimezone(zone).hour == 23 and end.utcoffset() is not None
    assert d.local_date(end, zone) == date(2026, 3, 31)


def test_days_left_is_calendar_days_and_negative_when_overdue():
    zone = ZoneInfo("UTC")
    due = d.end_of_day(date(2026, 3, 10), zone)
    assert d.days_left(due, datetime(2026, 3, 3, 9, tzinfo=UTC), zone) == 7
    assert d.days_left(due, datetime(2026, 3, 10, 23, tzinfo=UTC), zone) == 0
    assert d.days_left(due, datetime(2026, 3, 12, tzinfo=UTC), zone) == -2


def test_holidays_apply_globally_or_to_their_jurisdiction():
    rows = [(date(2026, 1, 1), ""), (date(2026, 8, 31), "UK"), (date(2026, 7, 4), "US")]
    assert d.holiday_dates(rows, "UK") == {date(2026, 1, 1), date(2026, 8, 31)}
    assert d.holiday_dates(rows, "EU") == {date(2026, 1, 1)}


def test_unknown_unit_is_refused():
    with pytest.raises(ValueError):
        d.add_period(date(2026, 1, 1), "weeks", 2)
