"""A complaint's two dates: acknowledge by, decide by.

Counted with the request deadline arithmetic (requests_app.deadlines): the day
of receipt is not counted, calendar days, a deadline is the end of its day in
TIME_ZONE. The company's own periods apply to everyone; a ComplaintRule in
force on the day of receipt for the complainant's jurisdiction (or its
country's) wins where it is sooner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from complaints_app import conf
from complaints_app.models import ComplaintRule
from requests_app import deadlines
from requests_app.jurisdictions import rule_chain
from requests_app.services.common import tz


@dataclass(frozen=True)
class ComplaintClock:
    ack_due_at: datetime
    due_at: datetime
    rule: ComplaintRule | None


def rule_for(jurisdiction: str, received: date) -> ComplaintRule | None:
    """The rule version in force on ``received`` for the most specific code."""
    rules = list(ComplaintRule.objects.on(received))
    for code in rule_chain(jurisdiction):
        for rule in rules:
            if code in rule.jurisdictions:
                return rule
    return None


def _due(received: date, days: int) -> datetime:
    day = deadlines.add_period(received, deadlines.DAYS, days)
    return deadlines.end_of_day(day, tz())


def compute(jurisdiction: str, received_at: datetime) -> ComplaintClock:
    received = deadlines.local_date(received_at, tz())
    rule = rule_for(jurisdiction, received)
    ack, decide = conf.ack_days(), conf.resolution_days()
    if rule is not None:
        ack = min(ack, rule.ack_days)
        decide = min(decide, rule.resolution_days or decide)
    return ComplaintClock(_due(received, ack), _due(received, decide), rule)
