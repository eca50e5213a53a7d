"""Notice periods as effective-dated rules: the version in force on awareness."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache

from incidents_app import clocks, services
from incidents_app.models import AuthorityNoticeRule, Incident, StateNoticeRule
from incidents_app.tests.factories import IncidentFactory
from incidents_app.tests.test_admin import client_for
from privacyportal import mail, roles
from privacyportal.audit.models import AuditEvent
from privacyportal.models import OutboundEmail
from requests_app.tests.factories import staff_user

AWARE = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
RULES_URL = "/admin/incidents_app/authoritynoticerule/"


@pytest.fixture(autouse=True)
def _fresh_periods():
    # The periods are cached across transactions; a rolled-back test's rows must
    # not outlive it.
    cache.delete(clocks.PERIODS_CACHE_KEY)
    yield
    cache.delete(clocks.PERIODS_CACHE_KEY)


def _new_version(code: str, where: str, day: date, hours: int) -> AuthorityNoticeRule:
    """A new version of a seeded period from ``day``, the old one ended before."""
    AuthorityNoticeRule.objects.filter(code=code).update(
        effective_to=day - timedelta(days=1)
    )
    return AuthorityNoticeRule.objects.create(
        code=code,
        name=f"{where} notice period (test)",
        jurisdictions=[where],
        effective_from=day,
        hours=hours,
    )


def _new_uk_version(day: date, hours: int) -> AuthorityNoticeRule:
    return _new_version("uk-gdpr-art33", "UK", day, hours)


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


def test_a_state_period_is_named_by_the_state_not_its_code(db):
    rule = StateNoticeRule(state="CO", effective_from=date(2030, 1, 1), days=30)
    assert str(rule).startswith("Colorado: 30 days (")
    client = client_for(roles.PRIVACY_OFFICER)
    saved = StateNoticeRule.objects.on(AWARE.date()).get(state="CO")
    page = client.get(f"/admin/incidents_app/statenoticerule/{saved.pk}/change/")
    assert "Colorado: 30 days" in page.content.decode()
    # A code that is no state (a typo, a territory) is shown as typed.
    territory = StateNoticeRule(state="PR", effective_from=date(2030, 1, 1), days=9)
    assert str(territory).startswith("PR: 9 days (")


def test_officer_adds_an_authority_period_version_audited_and_it_applies(db):
    rule = AuthorityNoticeRule.objects.get(code="uk-gdpr-art33")
    client = client_for(roles.PRIVACY_OFFICER)
    change = {
        "code": rule.code,
        "name": rule.name,
        "jurisdictions": ["UK"],
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
        "jurisdictions": ["EU"],
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


# --- reminders follow the period in force ----------------------------------------


def _new_eu_version(day: date, hours: int) -> AuthorityNoticeRule:
    return _new_version("gdpr-art33", "EU", day, hours)


def _scan_at(hours: float) -> dict:
    with time_machine.travel(AWARE + timedelta(hours=hours), tick=False):
        return services.incidents_scan()


def _outbox(template: str) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(template=template).order_by("key"))


def test_a_96_hour_period_reminds_at_32_64_90_hours_once_each_naming_its_hours(db):
    staff_user("po1", "Privacy Officer")
    _new_eu_version(date(2026, 3, 1), 96)
    with time_machine.travel(AWARE, tick=False):
        incident = IncidentFactory(became_aware_at=AWARE, jurisdictions=["EU"])
    assert _scan_at(31.9) == {"reminded": 0, "escalated": 0}
    for hours in (32, 33, 64, 65, 90, 91):
        _scan_at(hours)
        _scan_at(hours)  # a duplicate delivery of the beat job
    reminders = _outbox("incidents_reminder")
    assert [m.key.split(":")[3] for m in reminders] == ["32h", "64h", "90h"]
    reminded = AuditEvent.objects.filter(
        action="incidents.incident.reminded", target_id=str(incident.pk)
    )
    assert sorted(e.data["hours"] for e in reminded) == [32, 64, 90]
    subject, text, _ = mail.render("incidents_reminder", reminders[0].context)
    assert "within 96 hours" in text and "72" not in text
    assert subject.startswith(f"[{incident.reference}] 32 hours since")
    assert _scan_at(95.9)["escalated"] == 0  # not overdue at 72 hours any more
    assert _scan_at(96) == {"reminded": 0, "escalated": 1}
    [overdue] = _outbox("incidents_overdue")
    assert "within 96 hours" in mail.render("incidents_overdue", overdue.context)[0]


def test_a_12_hour_period_is_scanned_before_24_hours(db):
    staff_user("po1", "Privacy Officer")
    _new_eu_version(date(2026, 3, 1), 12)
    with time_machine.travel(AWARE, tick=False):
        IncidentFactory(became_aware_at=AWARE, jurisdictions=["EU"])
    assert _scan_at(3.9) == {"reminded": 0, "escalated": 0}
    assert _scan_at(4) == {"reminded": 1, "escalated": 0}
    # A scan first run at the end sends the latest point (10 h) and the alert.
    assert _scan_at(12) == {"reminded": 1, "escalated": 1}
    keys = {m.key.split(":")[3] for m in _outbox("incidents_reminder")}
    assert keys == {"4h", "10h"}


def test_the_72_hour_period_still_reminds_at_24_48_66_and_names_72_hours(db):
    staff_user("po1", "Privacy Officer")
    with time_machine.travel(AWARE, tick=False):
        IncidentFactory(became_aware_at=AWARE, jurisdictions=["EU"])
    for hours in (24, 48, 66):
        _scan_at(hours)
    reminders = _outbox("incidents_reminder")
    assert [m.key.split(":")[3] for m in reminders] == ["24h", "48h", "66h"]
    text = mail.render("incidents_reminder", reminders[0].context)[1]
    assert "within 72 hours" in text


# --- a version an incident was counted under is frozen ---------------------------


def _counted_uk_incident() -> Incident:
    return IncidentFactory(became_aware_at=AWARE, jurisdictions=["UK"])


def _authority_events() -> list[str]:
    rows = AuditEvent.objects.filter(action__startswith="incidents.authority_rule")
    return list(rows.order_by("seq").values_list("action", flat=True))


def test_a_counted_authority_period_cannot_change_its_hours(db):
    incident = _counted_uk_incident()
    rule = AuthorityNoticeRule.objects.get(code="uk-gdpr-art33")
    assert [c.reference for c in services.authority_rule_counted(rule)] == [
        incident.reference
    ]
    rule.hours = 96
    with pytest.raises(services.IncidentRefused, match="its hours can no longer"):
        services.authority_rule_save(actor=None, rule=rule, fields=["hours"])
    rule.refresh_from_db()
    assert rule.hours == 72 and _authority_events() == []
    assert incident.authority_hours == 72


def test_a_counted_period_cannot_end_before_its_last_incident(db):
    incident = _counted_uk_incident()
    rule = AuthorityNoticeRule.objects.get(code="uk-gdpr-art33")
    rule.effective_to = AWARE.date() - timedelta(days=1)
    with pytest.raises(services.IncidentRefused, match=incident.reference):
        services.authority_rule_save(actor=None, rule=rule, fields=["effective_to"])
    rule.refresh_from_db()
    assert rule.effective_to is None


def test_a_new_version_from_a_later_day_is_accepted_and_old_incidents_keep_72(db):
    incident = _counted_uk_incident()
    rule = AuthorityNoticeRule.objects.get(code="uk-gdpr-art33")
    rule.effective_to = AWARE.date()
    services.authority_rule_save(actor=None, rule=rule, fields=["effective_to"])
    new = AuthorityNoticeRule(
        code=rule.code,
        name=rule.name,
        jurisdictions=["UK"],
        effective_from=AWARE.date() + timedelta(days=1),
        hours=48,
    )
    services.authority_rule_save(actor=None, rule=new, fields=["hours"])
    assert _authority_events() == [
        "incidents.authority_rule.updated",
        "incidents.authority_rule.created",
    ]
    assert Incident.objects.get(pk=incident.pk).authority_hours == 72


def test_a_new_law_that_would_shorten_a_counted_incidents_period_is_refused(db):
    incident = _counted_uk_incident()
    retroactive = AuthorityNoticeRule(
        code="uk-new-law",
        name="A new UK law",
        jurisdictions=["UK"],
        effective_from=AWARE.date() - timedelta(days=10),
        hours=24,
    )
    with pytest.raises(services.IncidentRefused, match=incident.reference):
        services.authority_rule_save(actor=None, rule=retroactive, fields=[])
    assert not AuthorityNoticeRule.objects.filter(code="uk-new-law").exists()


def test_an_unused_version_can_still_be_corrected(db):
    IncidentFactory(became_aware_at=AWARE, jurisdictions=["EU"])
    rule = _new_uk_version(date(2026, 6, 1), 48)
    rule.hours = 36
    services.authority_rule_save(actor=None, rule=rule, fields=["hours"])
    rule.refresh_from_db()
    assert rule.hours == 36


def test_a_counted_state_period_cannot_change_its_days(db):
    incident = IncidentFactory(became_aware_at=AWARE, jurisdictions=["US-CO"])
    rule = StateNoticeRule.objects.on(AWARE.date()).get(state="CO")
    rule.days = 45
    with pytest.raises(services.IncidentRefused, match="its days can no longer"):
        services.state_rule_save(actor=None, rule=rule, fields=["days"])
    rule.refresh_from_db()
    assert rule.days == 30
    assert services.state_notice_dates(incident)[0].days == 30
    assert not AuditEvent.objects.filter(action__startswith="incidents.state_rule")


def test_a_state_period_counted_by_no_incident_can_change(db):
    IncidentFactory(became_aware_at=AWARE, jurisdictions=["US-CA"])
    rule = StateNoticeRule.objects.on(AWARE.date()).get(state="CO")
    rule.days = 45
    services.state_rule_save(actor=None, rule=rule, fields=["days"])
    rule.refresh_from_db()
    assert rule.days == 45


def test_admin_shows_a_counted_period_fixed_and_ignores_a_posted_change(db):
    incident = _counted_uk_incident()
    rule = AuthorityNoticeRule.objects.get(code="uk-gdpr-art33")
    client = client_for(roles.PRIVACY_OFFICER)
    url = f"{RULES_URL}{rule.pk}/change/"
    page = client.get(url).content.decode()
    assert f"Fixed: {incident.reference} was counted under this version" in page
    assert "United Kingdom" in page and '["UK"]' not in page
    post = {"code": rule.code, "name": rule.name, "jurisdictions": ["EU"]}
    response = client.post(url, {**post, "hours": "96"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.hours, rule.jurisdictions) == (72, ["UK"])


def test_admin_refuses_ending_a_counted_period_early_with_a_plain_message(db):
    incident = _counted_uk_incident()
    rule = AuthorityNoticeRule.objects.get(code="uk-gdpr-art33")
    response = client_for(roles.PRIVACY_OFFICER).post(
        f"{RULES_URL}{rule.pk}/change/",
        {"code": rule.code, "name": rule.name, "effective_to": "2026-03-01"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f"{incident.reference} became known on 28 Mar 2026" in page
    rule.refresh_from_db()
    assert rule.effective_to is None and _authority_events() == []


def test_admin_refuses_a_state_days_change_on_a_counted_version(db):
    IncidentFactory(became_aware_at=AWARE, jurisdictions=["US-CO"])
    rule = StateNoticeRule.objects.on(AWARE.date()).get(state="CO")
    client = client_for(roles.PRIVACY_OFFICER)
    url = f"/admin/incidents_app/statenoticerule/{rule.pk}/change/"
    assert "Fixed: INC-2026-0001" in client.get(url).content.decode()
    response = client.post(url, {"state": "CO", "days": "45", "notes": rule.notes})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.days == 30


def test_authority_periods_list_where_they_apply_by_name(db):
    page = client_for(roles.PRIVACY_OFFICER).get(RULES_URL).content.decode()
    assert "EU / EEA" in page and "United Kingdom" in page
    assert '["EU"]' not in page
