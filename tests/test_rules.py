"""The effective-dated rule base, through the models built on it."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from complaints_app.models import ComplaintRule
from privacyportal.rules import covers
from requests_app.models import AppealRule

pytestmark = pytest.mark.django_db


def _complaint_rule(**fields) -> ComplaintRule:
    values = {
        "code": "test-law",
        "name": "Test law",
        "jurisdictions": ["US-WY"],
        "effective_from": date(2030, 1, 1),
        "ack_days": 10,
    } | fields
    return ComplaintRule(**values)


def test_a_version_overlapping_another_of_the_same_code_is_refused():
    _complaint_rule(effective_to=date(2030, 12, 31)).save()
    overlapping = _complaint_rule(effective_from=date(2030, 12, 31))
    with pytest.raises(ValidationError, match="end it the day before"):
        overlapping.full_clean()


def test_an_open_ended_version_overlaps_any_later_start():
    _complaint_rule().save()
    with pytest.raises(ValidationError, match="in force on some of these days"):
        _complaint_rule(effective_from=date(2040, 6, 1)).full_clean()


def test_a_version_starting_the_day_after_the_last_one_ends_is_accepted():
    _complaint_rule(effective_to=date(2030, 12, 31)).save()
    _complaint_rule(effective_from=date(2031, 1, 1), ack_days=5).full_clean()


def test_another_code_may_cover_the_same_days():
    _complaint_rule().save()
    _complaint_rule(code="other-law").full_clean()


def test_an_end_before_the_start_is_refused_in_plain_words():
    rule = _complaint_rule(effective_to=date(2029, 12, 31))
    with pytest.raises(ValidationError) as refused:
        rule.full_clean()
    assert refused.value.message_dict["effective_to"] == [
        "The last day comes before the first day."
    ]


def test_the_database_refuses_an_end_before_the_start_too():
    with pytest.raises(IntegrityError), transaction.atomic():
        _complaint_rule(effective_to=date(2029, 12, 31)).save()


def test_lookup_finds_each_version_on_its_boundary_days():
    old = _complaint_rule(effective_to=date(2030, 12, 31))
    old.save()
    new = _complaint_rule(effective_from=date(2031, 1, 1), ack_days=5)
    new.save()
    lookup = ComplaintRule.objects.in_force
    assert lookup("test-law", date(2029, 12, 31)) is None
    assert lookup("test-law", date(2030, 1, 1)) == old
    assert lookup("test-law", date(2030, 12, 31)) == old
    assert lookup("test-law", date(2031, 1, 1)) == new
    assert lookup("other-law", date(2031, 1, 1)) is None


def test_lookup_by_state_uses_the_appeal_rules_own_key():
    rule = AppealRule.objects.create(
        jurisdiction="US-WY",
        name="Test appeals",
        effective_from=date(2030, 1, 1),
        effective_to=date(2030, 1, 31),
        decide_days=60,
        complaint_url="https://example.org/complain",
    )
    assert AppealRule.objects.in_force("US-WY", date(2030, 1, 31)) == rule
    assert AppealRule.objects.in_force("US-WY", date(2030, 2, 1)) is None
    clash = AppealRule(
        jurisdiction="us-wy",
        name="Test appeals again",
        effective_from=date(2030, 1, 15),
        decide_days=45,
        complaint_url="https://example.org/complain",
    )
    with pytest.raises(ValidationError, match="Another version for this state"):
        clash.full_clean()


def test_covers_includes_both_ends_and_an_open_end():
    start, end = date(2030, 1, 1), date(2030, 1, 31)
    assert covers(start, end, start) and covers(start, end, end)
    assert not covers(start, end, date(2029, 12, 31))
    assert not covers(start, end, date(2030, 2, 1))
    assert covers(start, None, date(2099, 1, 1))
