"""Notice periods as effective-dated rules: the version in force on awareness."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.cache import cache

from incidents_app import clocks, services
from incidents_app.models import AuthorityNoticeRule, StateNoticeRule
from incidents_app.tests.factories import IncidentFactory
from incidents_app.tests.test_admin import client_for
from privacyportal import roles
from privacyportal.audit.models import AuditEvent

AWARE = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
RULES_URL = "/admin/incidents_app/authoritynoticerule/"


@pytest.fixture(autouse=True)
def _fresh_periods():
    # The periods are cached across transactions; a rolled-back test's rows must
    # not outlive it.
    cache.delete(clocks.PERIODS_CACHE_KEY)
    yield
    cache.delete(clocks.PERIODS_CACHE_KEY)


def _new_uk_version(day: date, hours: int) -> AuthorityNoticeRule:
    AuthorityNoticeRule.objects.filter(code="uk-gdpr-art33").update(
        effective_to=day - timedelta(days=1)
    )
    return AuthorityNoticeRule.objects.create(
        code="uk-gdpr-art33",
        name="UK notice period (test)",
        jurisdictions=["UK"],
        effective_from=day,
        hours=hours,
    )


def test_seeded_authority_period_is_72_hours_under_gdpr_and_uk_gdpr(db):
    hours = dict(AuthorityNoticeRule.objects.values_list("code", "hours"))
    assert hours == {"gdpr-art33": 72, "uk-gdpr-art33": 72}
    incident = IncidentFactory(became_aware_at=AWARE, jurisdictions=["UK"])
    assert incident.authority_due_at - AWARE == timedelta(hours=72)


def test_the_period_in_force_on_the_day_of_awareness_applies(db):
    _new_uk_version(date(2026, 4, 1), 48)
    before = IncidentFactory(became_aware_at=AWARE, jurisdictions=["UK"])
    after = IncidentFactory(
        became_aware_at=datetime(2026, 4, 1, 9, tzinfo=UTC), jurisdictions=["UK"]
    )
    assert before.authority_hours == 72
    assert after.authority_hours == 48
    assert clocks.is_late(
        after.authority_due_at, after.became_aware_at + timedelta(hours=49)
    )


def test_the_shortest_period_for_the_people_affected_wins(db):
    _new_uk_version(date(2026, 1, 1), 48)
    eu_only = IncidentFactory(became_aware_at=AWARE, jurisdictions=["EU"])
    both = IncidentFactory(became_aware_at=AWARE, jurisdictions=["EU", "UK"])
    unknown = IncidentFactory(became_aware_at=AWARE, jurisdictions=["US-CO"])
    assert (eu_only.authority_hours, both.authority_hours) == (72, 48)
    assert unknown.authority_hours == 48  # no authority named: the shortest


def test_without_any_period_in_force_the_articles_72_hours_apply():
    assert clocks.authority_hours([], date(2017, 1, 1), ["EU"]) == 72


def test_a_state_period_changed_by_a_new_version_applies_from_its_first_day(db):
    StateNoticeRule.objects.filter(state="CO").update(effective_to=date(2026, 3, 31))
    StateNoticeRule.objects.create(state="CO", effective_from=date(2026, 4, 1), days=15)
    before = IncidentFactory(became_aware_at=AWARE, jurisdictions=["US-CO"])
    on_the_day = IncidentFactory(
        became_aware_at=datetime(2026, 4, 1, 12, tzinfo=UTC), jurisdictions=["US-CO"]
    )
    assert services.state_notice_dates(before)[0].days == 30
    assert services.state_notice_dates(on_the_day)[0].days == 15


def test_an_overlapping_state_period_is_refused(db):
    rule = StateNoticeRule(state="co", effective_from=date(2030, 1, 1), days=10)
    with pytest.raises(Exception, match="Another period for this state"):
        rule.full_clean()


def test_officer_adds_an_authority_period_version_audited_and_it_applies(db):
    rule = AuthorityNoticeRule.objects.get(code="uk-gdpr-art33")
    client = client_for(roles.PRIVACY_OFFICER)
    change = {
        "code": rule.code,
        "name": rule.name,
        "jurisdictions": '["UK"]',
        "effective_to": "2026-03-31",
        "hours": "72",
    }
    assert client.post(f"{RULES_URL}{rule.pk}/change/", change).status_code == 302
    new = {**change, "effective_from": "2026-04-01", "effective_to": "", "hours": "36"}
    assert client.post(f"{RULES_URL}add/", new).status_code == 302
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"incidents.authority_rule.updated", "incidents.authority_rule.created"} <= (
        actions
    )
    later = IncidentFactory(
        became_aware_at=datetime(2026, 4, 2, tzinfo=UTC), jurisdictions=["UK"]
    )
    assert later.authority_hours == 36


def test_an_overlapping_authority_period_is_refused_and_nothing_saved(db):
    client = client_for(roles.PRIVACY_OFFICER)
    post = {
        "code": "gdpr-art33",
        "name": "Overlap",
        "jurisdictions": '["EU"]',
        "effective_from": "2026-01-01",
        "hours": "24",
    }
    response = client.post(f"{RULES_URL}add/", post)
    assert response.status_code == 200
    assert "end it the day before this one starts" in response.content.decode()
    assert AuthorityNoticeRule.objects.filter(code="gdpr-art33").count() == 1
    assert not AuditEvent.objects.filter(action__startswith="incidents.authority_rule")


def test_an_analyst_cannot_change_the_authority_period(db):
    rule = AuthorityNoticeRule.objects.get(code="gdpr-art33")
    response = client_for(roles.PRIVACY_ANALYST).post(
        f"{RULES_URL}{rule.pk}/change/", {"hours": "1"}
    )
    assert response.status_code == 403
    rule.refresh_from_db()
    assert rule.hours == 72
