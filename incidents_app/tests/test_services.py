from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from incidents_app import services
from incidents_app.models import Incident, StateNoticeRule
from incidents_app.tests.factories import IncidentFactory
from privacyportal.audit.models import AuditEvent
from privacyportal.models import OutboundEmail

AWARE = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
S = Incident.Status


def _events(incident: Incident) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_id=str(incident.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_references_count_per_year_of_awareness(db):
    first = IncidentFactory(became_aware_at=AWARE)
    second = IncidentFactory(became_aware_at=AWARE)
    next_year = IncidentFactory(became_aware_at=AWARE.replace(year=2027))
    assert [first.reference, second.reference, next_year.reference] == [
        "INC-2026-0001",
        "INC-2026-0002",
        "INC-2027-0001",
    ]
    assert _events(first) == ["incidents.incident.recorded"]


def test_decision_not_to_notify_needs_reasons_and_stops_the_clock(db):
    incident = IncidentFactory()
    with pytest.raises(services.IncidentRefused, match="reasons"):
        services.incident_decide(
            actor=None,
            incident=incident,
            risk="none",
            notify_authority=False,
            reasons="",
        )
    incident.refresh_from_db()
    assert incident.status == S.OPEN
    services.incident_decide(
        actor=None,
        incident=incident,
        risk="none",
        notify_authority=False,
        reasons="Encrypted laptop, key not lost.",
    )
    assert incident.status == S.NOT_NOTIFIABLE
    assert not Incident.objects.awaiting_authority().exists()
    assert _events(incident)[-1] == "incidents.incident.decided"


def test_high_risk_needs_a_decision_on_telling_the_people(db):
    incident = IncidentFactory()
    with pytest.raises(services.IncidentRefused, match=r"Art\. 34"):
        services.incident_decide(
            actor=None,
            incident=incident,
            risk="high",
            notify_authority=True,
            reasons="x",
        )


def test_deciding_twice_is_refused_naming_the_incident(db):
    incident = IncidentFactory()
    kwargs = dict(risk="risk", notify_authority=True, reasons="Passwords exposed.")
    services.incident_decide(actor=None, incident=incident, **kwargs)
    with pytest.raises(services.IncidentRefused, match=incident.reference):
        services.incident_decide(actor=None, incident=incident, **kwargs)
    assert _events(incident).count("incidents.incident.decided") == 1


def test_late_notification_without_reason_is_refused_and_nothing_changes(db):
    incident = IncidentFactory(became_aware_at=timezone.now() - timedelta(hours=80))
    before = _events(incident)
    with pytest.raises(services.IncidentRefused, match="needs its reason"):
        services.incident_mark_notified(
            actor=None, incident=incident, notified_at=timezone.now()
        )
    incident.refresh_from_db()
    assert incident.status == S.OPEN
    assert incident.authority_notified_at is None
    assert _events(incident) == before


def test_late_notification_with_reason_is_recorded(db):
    incident = IncidentFactory(became_aware_at=timezone.now() - timedelta(hours=80))
    services.incident_mark_notified(
        actor=None,
        incident=incident,
        notified_at=timezone.now(),
        authority_reference="DPC-123",
        late_reason="The processor told us only on day three.",
    )
    assert incident.status == S.NOTIFIED
    assert incident.late_reason.startswith("The processor")
    event = AuditEvent.objects.get(action="incidents.incident.authority_notified")
    assert event.data["late"] is True


def test_notification_in_time_keeps_no_late_reason(db):
    incident = IncidentFactory()
    services.incident_mark_notified(
        actor=None, incident=incident, notified_at=timezone.now(), late_reason="typo"
    )
    assert incident.late_reason == ""


def test_notification_time_in_the_future_is_refused(db):
    incident = IncidentFactory()
    with pytest.raises(services.IncidentRefused, match="between"):
        services.incident_mark_notified(
            actor=None,
            incident=incident,
            notified_at=timezone.now() + timedelta(hours=1),
        )


def test_close_only_after_a_decision(db):
    incident = IncidentFactory()
    with pytest.raises(services.IncidentRefused):
        services.incident_close(actor=None, incident=incident)
    services.incident_mark_notified(
        actor=None, incident=incident, notified_at=timezone.now()
    )
    services.incident_close(actor=None, incident=incident)
    assert incident.status == S.CLOSED and incident.closed_at is not None


def test_state_change_and_its_audit_event_commit_together(db, monkeypatch):
    incident = IncidentFactory()

    def broken(*args, **kwargs):
        raise RuntimeError("audit unavailable")

    monkeypatch.setattr(services.audit, "record", broken)
    with pytest.raises(RuntimeError):
        services.incident_mark_notified(
            actor=None, incident=incident, notified_at=timezone.now()
        )
    incident.refresh_from_db()
    assert incident.status == S.OPEN  # the update rolled back with the audit


def test_state_notice_dates_come_from_the_seeded_table(db):
    incident = IncidentFactory(
        became_aware_at=AWARE, jurisdictions=["EU", "US-CO", "US-CT", "US-NY"]
    )
    dates = {d.state: (d.days, d.due) for d in services.state_notice_dates(incident)}
    assert dates == {
        "CO": (30, date(2026, 4, 27)),
        "CT": (60, date(2026, 5, 27)),
        "NY": (None, None),
    }
    StateNoticeRule.objects.filter(state="CO").update(days=45)  # staff edit it
    assert services.state_notice_dates(incident)[0].days == 45


def test_seeded_rules_await_counsel(db):
    assert StateNoticeRule.objects.count() == 20
    assert not StateNoticeRule.objects.filter(verified_by_counsel=True).exists()


# --- the scan ------------------------------------------------------------------


@pytest.fixture
def officers(db):
    from requests_app.tests.factories import staff_user

    return [staff_user("po1", "Privacy Officer"), staff_user("po2", "Privacy Officer")]


def _mails(template: str) -> list[str]:
    return list(
        OutboundEmail.objects.filter(template=template)
        .order_by("key")
        .values_list("key", flat=True)
    )


def _scan_at(hours: float) -> dict:
    with time_machine.travel(AWARE + timedelta(hours=hours), tick=False):
        return services.incidents_scan()


def test_reminders_at_24_48_66_hours_each_sent_once(officers):
    with time_machine.travel(AWARE, tick=False):
        incident = IncidentFactory(became_aware_at=AWARE)
    assert _scan_at(23) == {"reminded": 0, "escalated": 0}
    for hours in (24, 24.1, 48, 49, 66, 67):
        _scan_at(hours)
        _scan_at(hours)  # a duplicate delivery of the beat job
    keys = _mails("incidents_reminder")
    assert len(keys) == 6  # three stages x two officers
    assert {k.split(":")[3] for k in keys} == {"24h", "48h", "66h"}
    assert _events(incident).count("incidents.incident.reminded") == 3
    assert _mails("incidents_overdue") == []


def test_overdue_escalates_once_and_flags_the_list(officers, admin_client):
    with time_machine.travel(AWARE, tick=False):
        incident = IncidentFactory(became_aware_at=AWARE)
    assert _scan_at(72) == {"reminded": 1, "escalated": 1}
    assert _scan_at(80) == {"reminded": 0, "escalated": 0}
    assert len(_mails("incidents_overdue")) == 2  # one per officer
    assert _events(incident).count("incidents.incident.overdue") == 1
    # Only the latest stage is sent when the scan first runs late.
    assert len(_mails("incidents_reminder")) == 2


def test_no_reminders_once_notified_or_ruled_out(officers):
    with time_machine.travel(AWARE, tick=False):
        notified = IncidentFactory(became_aware_at=AWARE)
        ruled_out = IncidentFactory(became_aware_at=AWARE)
    with time_machine.travel(AWARE + timedelta(hours=2), tick=False):
        services.incident_mark_notified(
            actor=None, incident=notified, notified_at=timezone.now()
        )
        services.incident_decide(
            actor=None,
            incident=ruled_out,
            risk="none",
            notify_authority=False,
            reasons="Data was encrypted.",
        )
    assert _scan_at(100) == {"reminded": 0, "escalated": 0}
    assert OutboundEmail.objects.count() == 0


def test_incident_scan_command_sends_each_stage_once_and_says_so(officers, capsys):
    from django.core.management import call_command

    with time_machine.travel(AWARE, tick=False):
        IncidentFactory(became_aware_at=AWARE)
    with time_machine.travel(AWARE + timedelta(hours=73), tick=False):
        call_command("incident_scan")
        call_command("incident_scan")  # run again by hand: nothing new
    assert capsys.readouterr().out.splitlines() == [
        "1 reminder(s), 1 overdue alert(s) sent.",
        "0 reminder(s), 0 overdue alert(s) sent.",
    ]
    assert len(_mails("incidents_overdue")) == 2  # one per officer, once


def test_incident_scan_help_says_what_it_sends():
    from django.core.management import load_command_class

    command = load_command_class("incidents_app", "incident_scan")
    assert "24, 48, 66 hours" in command.help
    assert "72 hours" in command.help
