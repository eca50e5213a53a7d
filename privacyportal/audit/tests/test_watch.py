from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from privacyportal.audit.models import AuditEvent
from privacyportal.audit.services import Actor, record
from privacyportal.models import AuditVerification, OutboundEmail
from privacyportal.schedule import JOBS
from requests_app.tests.factories import staff_user

pytestmark = pytest.mark.django_db


def events(n: int) -> list[AuditEvent]:
    return [
        record("test.thing.done", actor=Actor.system("test"), data={"i": i})
        for i in range(n)
    ]


def forge(event: AuditEvent) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        cursor.execute(
            "UPDATE audit_auditevent SET action = 'test.thing.forged' WHERE id = %s",
            [event.pk],
        )
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")


def alerts() -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(template="audit_chain_broken"))


def test_intact_chain_is_recorded_with_its_audit_event(capsys):
    events(3)
    call_command("audit_check")
    check = AuditVerification.objects.get()
    assert check.ok and check.events_checked == 3 and check.broken_seq is None
    assert "intact" in capsys.readouterr().out
    logged = AuditEvent.objects.get(action="audit.chain.checked")
    assert logged.data == {"ok": True, "events": 3, "broken_seq": None}
    assert alerts() == []


def test_a_break_emails_each_privacy_officer_once_not_every_night(client):
    officer = staff_user("officer", "Privacy Officer")
    staff_user("officer2", "Privacy Officer")
    staff_user("analyst", "Privacy Analyst")
    made = events(5)
    forge(made[2])
    call_command("audit_check")
    call_command("audit_check")  # the next night: the same break
    first, second = AuditVerification.objects.order_by("run_at")
    assert not first.ok and first.broken_seq == 3 and first.alerted
    assert not second.ok and not second.alerted
    assert sorted(e.to for e in alerts()) == [
        "officer2@staff.example",
        "officer@staff.example",
    ]
    client.force_login(officer)
    html = client.get("/admin/").content.decode()
    assert "does not check out from entry number 3" in html
    assert "prev_hash" not in html and "hash does not match" not in html


def test_a_new_break_is_emailed_again():
    staff_user("officer", "Privacy Officer")
    made = events(6)
    forge(made[4])
    call_command("audit_check")
    forge(made[1])
    call_command("audit_check")
    assert len(alerts()) == 2


def test_the_check_and_the_daily_counts_are_nightly_beat_jobs():
    tasks = {job.task: job.every_minutes for job in JOBS}
    assert tasks["privacyportal.audit.tasks.audit_chain_check_task"] == 24 * 60
    assert tasks["privacyportal.tasks.figures_rollup_task"] == 24 * 60
