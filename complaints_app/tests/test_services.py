"""The complaint workflow: clocks, guards, notes, outcome e-mail, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from complaints_app import services
from complaints_app.models import Complaint, ComplaintNote, ComplaintRule
from complaints_app.tests.factories import complaint
from privacyportal import mail as outbox
from privacyportal import roles
from privacyportal.audit.describe import describe
from privacyportal.audit.models import AuditEvent
from privacyportal.models import OutboundEmail
from requests_app.services.common import tz
from requests_app.tests.factories import staff_user

pytestmark = pytest.mark.django_db
C = Complaint.Status


def _day(moment) -> str:
    return moment.astimezone(tz()).date().isoformat()


@pytest.fixture
def officer():
    return staff_user("olivia", roles.PRIVACY_OFFICER, first_name="Olivia")


# --- the clock ---------------------------------------------------------------------


def test_acknowledgement_is_due_after_the_configured_period(settings):
    settings.COMPLAINT_ACK_DAYS = 30
    filed = complaint(received_at=datetime(2026, 3, 2, 10, tzinfo=UTC))
    assert _day(filed.ack_due_at) == "2026-04-01"
    assert filed.rule is None


def test_uk_rule_acknowledges_sooner_than_a_longer_company_period(settings):
    settings.COMPLAINT_ACK_DAYS = 45
    uk = complaint(country="GB", received_at=datetime(2026, 7, 1, 10, tzinfo=UTC))
    german = complaint(country="DE", received_at=datetime(2026, 7, 1, 10, tzinfo=UTC))
    assert _day(uk.ack_due_at) == "2026-07-31" and uk.rule.code == "uk-complaints"
    assert _day(german.ack_due_at) == "2026-08-15" and german.rule is None


def test_uk_rule_applies_only_from_its_start_date(settings):
    settings.COMPLAINT_ACK_DAYS = 45
    before = complaint(country="GB", received_at=datetime(2026, 6, 18, 10, tzinfo=UTC))
    assert before.rule is None and _day(before.ack_due_at) == "2026-08-02"


def test_a_rule_never_lengthens_the_company_period(settings):
    settings.COMPLAINT_ACK_DAYS = 14
    uk = complaint(country="GB", received_at=datetime(2026, 7, 1, 10, tzinfo=UTC))
    assert _day(uk.ack_due_at) == "2026-07-15"


def test_rule_with_a_decision_period_shortens_the_decision_date(settings):
    settings.COMPLAINT_RESOLUTION_DAYS = 90
    ComplaintRule.objects.create(
        code="test-ca",
        name="Test",
        jurisdictions=["US-CA"],
        effective_from=datetime(2026, 1, 1).date(),
        ack_days=10,
        resolution_days=45,
    )
    filed = complaint(
        country="US", region="CA", received_at=datetime(2026, 3, 2, 10, tzinfo=UTC)
    )
    assert _day(filed.ack_due_at) == "2026-03-12"
    assert _day(filed.due_at) == "2026-04-16"


def test_references_are_sequential_per_year():
    first = complaint(received_at=datetime(2026, 3, 2, 10, tzinfo=UTC))
    second = complaint(received_at=datetime(2026, 3, 3, 10, tzinfo=UTC))
    assert (first.reference, second.reference) == ("CP-2026-0001", "CP-2026-0002")


# --- reminders ---------------------------------------------------------------------


def _alerts(now: datetime) -> list[str]:
    services.complaints_alert(now=now)
    return list(
        OutboundEmail.objects.filter(key__contains=":alert:")
        .order_by("pk")
        .values_list("template", flat=True)
    )


def test_reminders_and_escalation_are_sent_once_each(settings, officer):
    settings.COMPLAINT_ACK_DAYS = 30
    filed = complaint(received_at=datetime(2026, 3, 2, 10, tzinfo=UTC))
    assert _alerts(datetime(2026, 3, 20, tzinfo=UTC)) == []
    week = datetime(2026, 3, 26, tzinfo=UTC)  # 7 days before 1 April
    assert _alerts(week) == ["complaint_staff_reminder"]
    assert _alerts(week) == ["complaint_staff_reminder"]  # not twice
    two_days = datetime(2026, 3, 31, 1, tzinfo=UTC)
    assert _alerts(two_days) == ["complaint_staff_reminder"] * 2
    late = datetime(2026, 4, 3, tzinfo=UTC)
    expected = ["complaint_staff_reminder"] * 2 + ["complaint_staff_escalation"]
    assert _alerts(late) == expected
    assert _alerts(late) == expected
    filed.refresh_from_db()
    assert filed.alert_stage == Complaint.Alert.OVERDUE and filed.next_alert_at is None
    assert AuditEvent.objects.filter(action="complaints.complaint.alerted").count() == 3


def test_a_late_first_run_sends_only_the_escalation(settings, officer):
    complaint(received_at=datetime(2026, 3, 2, 10, tzinfo=UTC))
    assert _alerts(datetime(2026, 5, 1, tzinfo=UTC)) == ["complaint_staff_escalation"]


def test_acknowledging_switches_the_reminders_to_the_decision_date(settings, officer):
    settings.COMPLAINT_RESOLUTION_DAYS = 90
    with time_machine.travel(datetime(2026, 3, 2, 10, tzinfo=UTC), tick=False):
        filed = complaint()
        services.complaint_acknowledge(actor=officer, complaint=filed)
    filed.refresh_from_db()
    assert filed.next_alert_at == filed.due_at - timedelta(days=7)
    assert _day(filed.due_at) == "2026-05-31"
    assert _alerts(datetime(2026, 4, 5, tzinfo=UTC)) == []  # ack date has no effect
    assert _alerts(datetime(2026, 5, 25, tzinfo=UTC)) == ["complaint_staff_reminder"]
    assert (
        OutboundEmail.objects.get(template="complaint_staff_reminder").key.split(":")[3]
        == "decision"
    )


def test_decided_complaints_get_no_reminders(officer):
    filed = complaint(received_at=datetime(2026, 3, 2, 10, tzinfo=UTC))
    services.complaint_acknowledge(actor=officer, complaint=filed)
    services.complaint_decide(
        actor=officer, complaint=filed, upheld=True, outcome="We stopped the e-mails."
    )
    assert _alerts(datetime(2026, 12, 1, tzinfo=UTC)) == []


# --- the workflow -------------------------------------------------------------------


def test_full_workflow_is_audited_in_readable_sentences(officer):
    filed = complaint()
    services.complaint_acknowledge(actor=officer, complaint=filed)
    services.complaint_investigate(actor=officer, complaint=filed)
    services.complaint_note_add(actor=officer, complaint=filed, text="Checked logs.")
    services.complaint_decide(
        actor=officer, complaint=filed, upheld=False, outcome="The e-mail was legal."
    )
    services.complaint_escalate(actor=officer, complaint=filed, to="TRUSTe")
    filed.refresh_from_db()
    assert filed.status == C.ESCALATED and filed.escalated_to == "TRUSTe"
    assert filed.decided_by == officer and filed.acknowledged_by == officer
    actions = list(
        AuditEvent.objects.filter(action__startswith="complaints.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert [a.rsplit(".", 1)[1] for a in actions] == [
        "received",
        "acknowledged",
        "investigating",
        "noted",
        "not_upheld",
        "escalated",
    ]
    for action in actions:
        assert "complaint" in describe(action).lower() and "_" not in describe(action)


@pytest.mark.parametrize(
    "call",
    [
        lambda o, c: services.complaint_investigate(actor=o, complaint=c),
        lambda o, c: services.complaint_decide(
            actor=o, complaint=c, upheld=True, outcome="Done."
        ),
        lambda o, c: services.complaint_escalate(actor=o, complaint=c, to="ICO"),
    ],
    ids=["investigate-before-ack", "decide-before-ack", "escalate-undecided"],
)
def test_steps_out_of_order_are_refused_and_change_nothing(officer, call):
    filed = complaint()
    before = AuditEvent.objects.count()
    with pytest.raises(services.ComplaintError, match=filed.reference):
        call(officer, filed)
    filed.refresh_from_db()
    assert filed.status == C.RECEIVED and AuditEvent.objects.count() == before


def test_acknowledging_twice_is_refused(officer):
    filed = complaint()
    services.complaint_acknowledge(actor=officer, complaint=filed)
    with pytest.raises(services.ComplaintError, match="acknowledged"):
        services.complaint_acknowledge(actor=officer, complaint=filed)
    assert OutboundEmail.objects.filter(template="complaint_acknowledged").count() == 1


def test_an_outcome_needs_text(officer):
    filed = complaint()
    services.complaint_acknowledge(actor=officer, complaint=filed)
    with pytest.raises(services.ComplaintError, match="outcome"):
        services.complaint_decide(
            actor=officer, complaint=filed, upheld=True, outcome=" "
        )
    filed.refresh_from_db()
    assert filed.status == C.ACKNOWLEDGED


def test_notes_are_only_added(officer):
    filed = complaint()
    services.complaint_note_add(actor=officer, complaint=filed, text="One")
    services.complaint_note_add(actor=officer, complaint=filed, text="Two")
    assert list(filed.notes.values_list("text", "author")) == [
        ("One", officer.pk),
        ("Two", officer.pk),
    ]
    with pytest.raises(services.ComplaintError):
        services.complaint_note_add(actor=officer, complaint=filed, text="  ")
    assert ComplaintNote.objects.count() == 2
    assert not roles.allowed(
        roles.PRIVACY_OFFICER, _perm("change_complaintnote")
    ) and not roles.allowed(roles.PRIVACY_OFFICER, _perm("delete_complaintnote"))


def _perm(codename: str):
    from django.contrib.auth.models import Permission

    return Permission.objects.get(codename=codename)


# --- the outcome e-mail ---------------------------------------------------------------


def _outcome_email(officer, **where) -> str:
    filed = complaint(**where)
    services.complaint_acknowledge(actor=officer, complaint=filed)
    services.complaint_decide(
        actor=officer, complaint=filed, upheld=False, outcome="We found no breach."
    )
    mail.outbox.clear()
    outbox.send_pending()
    (message,) = [m for m in mail.outbox if "outcome" in m.subject.lower()]
    assert message.to == [filed.email]
    return message.body


def test_outcome_names_the_dispute_body_and_the_german_authority(officer):
    body = _outcome_email(officer, country="DE")
    assert "We found no breach." in body
    assert "TRUSTe" in body
    assert "https://feedback-form.truste.com/watchdog/request" in body
    assert "reasonable time" in body  # the policy's conditions
    assert "BfDI" in body and "https://www.bfdi.bund.de" in body
    assert "CNIL" not in body and "ICO" not in body


def test_outcome_for_a_californian_names_the_cppa_and_the_attorney_general(officer):
    body = _outcome_email(officer, country="US", region="CA")
    assert "California Privacy Protection Agency" in body
    assert "California Attorney General" in body
    assert "Colorado" not in body and "BfDI" not in body


def test_outcome_uses_the_configured_dispute_body(officer, settings):
    settings.DISPUTE_BODY_NAME = "BBB National Programs"
    settings.DISPUTE_BODY_URL = "https://bbbprograms.org/complaint"
    settings.DISPUTE_BODY_CONDITIONS = "Only after 45 days."
    body = _outcome_email(officer, country="GB")
    assert "BBB National Programs" in body and "Only after 45 days." in body
    assert "TRUSTe" not in body
    assert "Information Commissioner's Office" in body


def test_outcome_without_a_known_authority_points_to_the_local_one(officer):
    body = _outcome_email(officer, country="JP")
    assert "data protection authority where you live" in body


def test_outcome_is_written_in_the_complainants_language(officer):
    filed = complaint(language="de")
    services.complaint_acknowledge(actor=officer, complaint=filed)
    services.complaint_decide(actor=officer, complaint=filed, upheld=True, outcome="Ok")
    languages = set(
        OutboundEmail.objects.filter(to=filed.email).values_list("language", flat=True)
    )
    assert languages == {"de"}


def test_command_sends_due_reminders_once(officer, capsys):
    from django.core.management import call_command

    complaint(received_at=datetime(2026, 3, 2, 10, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 5, 1, tzinfo=UTC), tick=False):
        call_command("complaint_reminders")
        call_command("complaint_reminders")
    assert capsys.readouterr().out.splitlines() == [
        "0 reminder(s), 1 escalation(s) sent.",
        "0 reminder(s), 0 escalation(s) sent.",
    ]
