"""Florida and Oklahoma appeal rules: seeded to match their deadline rules."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.apps import apps

from privacyportal.audit.services import Actor
from requests_app.models import AppealRule, DeadlineRule
from requests_app.services import appeals
from requests_app.tests.test_appeals import refused

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _seeded_rules():
    # A live-server test elsewhere may have flushed the seeded rows.
    for name in ("0014_seed_appeal_rules", "0015_seed_fl_ok_appeal_rules"):
        importlib.import_module(f"requests_app.migrations.{name}").seed(apps, None)


@time_machine.travel(datetime(2026, 12, 31, 15, tzinfo=UTC), tick=False)
def test_an_oklahoma_refusal_before_its_law_starts_offers_no_appeal(officer):
    request, _ = refused(officer, region="OK")
    assert appeals.offer(request) is None


@time_machine.travel(datetime(2027, 1, 1, 15, tzinfo=UTC), tick=False)
def test_an_oklahoma_refusal_on_the_day_its_law_starts_offers_an_appeal(officer):
    request, _ = refused(officer, region="OK")
    offer = appeals.offer(request)
    assert offer is not None and offer.rule.jurisdiction == "US-OK"
    assert offer.until == date(2027, 2, 15)  # 45 days to appeal


@time_machine.travel(datetime(2026, 3, 2, 15, tzinfo=UTC), tick=False)
def test_a_florida_refusal_offers_an_appeal_decided_in_60_days(officer):
    request, _ = refused(officer, region="FL")
    subject = Actor.subject(None)
    appeal = appeals.appeal_file(request=request, text="Please", actor=subject)
    assert appeal.rule.jurisdiction == "US-FL" and appeal.rule.decide_days == 60


@pytest.mark.parametrize("state", ["US-FL", "US-OK"])
def test_appeal_rule_starts_with_the_deadline_rule_and_matches_its_appeal_days(state):
    (deadline_rule,) = [
        r for r in DeadlineRule.objects.all() if state in r.jurisdictions
    ]
    rule = AppealRule.objects.in_force(state, deadline_rule.effective_from)
    assert rule.effective_from == deadline_rule.effective_from
    assert rule.decide_days == deadline_rule.appeal_days
    assert rule.complaint_url.startswith("https://")
    before = date.fromordinal(deadline_rule.effective_from.toordinal() - 1)
    assert AppealRule.objects.in_force(state, before) is None
