from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from incidents_app import clocks

DUBLIN = ZoneInfo("Europe/Dublin")


def test_72_hours_are_elapsed_hours_across_the_spring_dst_change():
    # Ireland moves its clocks forward on 29 March 2026: 12:00 on the 31st is
    # only 71 hours later, so the deadline reads 13:00 local time.
    aware = datetime(2026, 3, 28, 12, 0, tzinfo=DUBLIN)
    due = clocks.authority_due(aware)
    assert due == datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    assert due - aware == timedelta(hours=72)
    assert due.astimezone(DUBLIN).hour == 13


def test_72_hours_across_the_autumn_change_read_one_hour_earlier_locally():
    aware = datetime(2026, 10, 24, 12, 0, tzinfo=DUBLIN)  # clocks go back 25 Oct
    assert clocks.authority_due(aware).astimezone(DUBLIN) == datetime(
        2026, 10, 27, 11, 0, tzinfo=DUBLIN
    )


def test_reminder_stage_is_the_latest_reached():
    aware = datetime(2026, 3, 28, 12, 0, tzinfo=DUBLIN)
    start = aware.astimezone(UTC)  # elapsed hours are counted in UTC
    assert clocks.reminder_due(aware, start + timedelta(hours=23, minutes=59)) == 0
    assert clocks.reminder_due(aware, start + timedelta(hours=24)) == 24
    assert clocks.reminder_due(aware, start + timedelta(hours=50)) == 48
    assert clocks.reminder_due(aware, start + timedelta(hours=70)) == 66


def test_a_wall_clock_day_across_dst_is_not_yet_24_hours():
    aware = datetime(2026, 3, 28, 12, 0, tzinfo=DUBLIN)
    next_noon = aware + timedelta(days=1)  # Python adds wall-clock time here
    assert clocks.reminder_due(aware, next_noon) == 0  # only 23 hours elapsed


def test_time_left_in_words():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert clocks.time_left_words(now + timedelta(hours=5), now) == "5 hours left"
    assert clocks.time_left_words(now + timedelta(minutes=40), now) == (
        "40 minutes left"
    )
    assert clocks.time_left_words(now - timedelta(hours=1), now) == (
        "overdue by 1 hour"
    )
    assert clocks.time_left_words(now + timedelta(hours=71), now) == "71 hours left"
    assert clocks.time_left_words(now + timedelta(hours=122), now) == (
        "5 days 2 hours left"
    )


def test_state_without_a_rule_has_no_fixed_date():
    aware = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    dates = clocks.state_due_dates(aware, ["CO", "NY"], {"CO": 30})
    assert [(d.name, d.due) for d in dates] == [
        ("Colorado", date(2026, 5, 31)),
        ("New York", None),
    ]


def test_a_72_hour_period_reminds_at_24_48_and_66_hours():
    assert clocks.reminder_hours(72) == (24, 48, 66)


def test_a_96_hour_period_reminds_at_32_64_and_90_hours():
    aware = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    assert clocks.reminder_hours(96) == (32, 64, 90)
    assert clocks.reminder_due(aware, aware + timedelta(hours=31), 96) == 0
    assert clocks.reminder_due(aware, aware + timedelta(hours=65), 96) == 64
    assert clocks.reminder_due(aware, aware + timedelta(hours=95), 96) == 90


def test_short_periods_remind_in_order_before_the_deadline():
    # The last reminder would not follow the second: halfway to the end instead.
    assert clocks.reminder_hours(18) == (6, 12, 15)
    assert clocks.reminder_hours(6) == (2, 4, 5)
    assert clocks.reminder_hours(4) == (1, 2, 3)
    # Too short for three distinct whole hours: the ones that fit.
    assert clocks.reminder_hours(3) == (1, 2)
    assert clocks.reminder_hours(1) == ()
    for hours in range(1, 400):
        points = clocks.reminder_hours(hours)
        assert list(points) == sorted(set(points)), hours
        assert all(0 < point < hours for point in points), hours


def test_the_scan_looks_as_early_as_the_shortest_period_needs():
    day = date(2026, 1, 1)
    eu = clocks.AuthorityPeriod(("EU",), 72, day, None)
    short = clocks.AuthorityPeriod(("UK",), 12, day, None)
    assert clocks.first_alert_hours([eu]) == 24
    assert clocks.first_alert_hours([eu, short]) == 4
    # One hour has no reminders: the scan must still see it for the alert.
    one_hour = clocks.AuthorityPeriod(("UK",), 1, day, None)
    assert clocks.first_alert_hours([eu, one_hour]) == 1
