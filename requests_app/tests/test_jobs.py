from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from privacyportal import mail as outbox
from privacyportal import schedule
from privacyportal.models import OutboundEmail
from requests_app.models import PrivacyRequest
from requests_app.services import deadlines_run
from requests_app.tests.factories import in_progress, submit, verified

pytestmark = pytest.mark.django_db
S = PrivacyRequest.Status


def run_twice(at) -> tuple:
    with time_machine.travel(at, tick=False):
        first = deadlines_run()
        second = deadlines_run()
    outbox.send_pending()
    return first, second


def subjects_sent(template: str) -> list[str]:
    return list(
        OutboundEmail.objects.filter(template=template).values_list("to", flat=True)
    )


def test_job_is_registered_for_beat():
    job = next(j for j in schedule.JOBS if j.name == "Privacy request deadlines")
    assert job.task == "requests_app.tasks.request_deadlines_task"
    assert job.every_minutes == 60


def test_unverified_requests_close_after_fourteen_days_once():
    request = submit()
    first, second = run_twice(request.received_at + timedelta(days=13))
    assert first.closed == 0
    first, second = run_twice(request.received_at + timedelta(days=14, minutes=1))
    assert (first.closed, second.closed) == (1, 0)
    request.refresh_from_db()
    assert request.status == S.CLOSED_UNVERIFIED


def test_seven_and_two_day_reminders_go_to_the_assignee_once(officer, analyst):
    request = in_progress(analyst)
    mail.outbox.clear()
    first, second = run_twice(request.due_at - timedelta(days=7, minutes=-1))
    assert (first.reminders, second.reminders) == (1, 0)
    first, second = run_twice(request.due_at - timedelta(days=2, minutes=-1))
    assert (first.reminders, second.reminders) == (1, 0)
    assert subjects_sent("staff_reminder") == [analyst.email, analyst.email]
    assert len([m for m in mail.outbox if "due in" in m.subject]) == 2


def test_unassigned_reminder_goes_to_privacy_officers(officer):
    request = verified()
    run_twice(request.due_at - timedelta(days=6))
    assert subjects_sent("staff_reminder") == [officer.email]
    # The outbox keeps no context once sent: read what was sent.
    (reminder,) = [m for m in mail.outbox if m.to == [officer.email]]
    assert "It is not assigned to anyone." in reminder.body


def test_overdue_escalates_once_then_appears_in_a_daily_digest(officer, analyst):
    request = in_progress(analyst)
    first, second = run_twice(request.due_at + timedelta(hours=2))
    assert (first.escalations, second.escalations) == (1, 0)
    assert (first.digests, second.digests) == (1, 0)
    # the earlier stages were skipped, not sent late
    assert subjects_sent("staff_reminder") == []
    assert subjects_sent("staff_escalation") == [officer.email]
    first, second = run_twice(request.due_at + timedelta(days=1, hours=2))
    assert (first.escalations, first.digests, second.digests) == (0, 1, 0)
    assert len(subjects_sent("staff_digest")) == 2
    digests = [m for m in mail.outbox if "Overdue privacy requests" in m.body]
    assert digests and f"- {request.reference}" in digests[0].body


def test_closed_request_gets_no_reminder(officer):
    request = in_progress(officer)
    from requests_app import services

    services.request_complete(actor=officer, request=request)
    first, _ = run_twice(request.due_at + timedelta(hours=1))
    assert (first.reminders, first.escalations) == (0, 0)


def test_extension_replans_reminders_for_the_new_due_date(officer):
    request = in_progress(officer, country="DE")
    run_twice(request.due_at - timedelta(days=6))
    from requests_app import services

    with time_machine.travel(request.due_at - timedelta(days=5)):
        services.request_extend(actor=officer, request=request, reason="complex")
    first, _ = run_twice(request.due_at - timedelta(days=6))
    assert first.reminders == 1
    assert len(subjects_sent("staff_reminder")) == 2


def test_acknowledgement_sent_once_where_the_law_demands_it():
    california = submit(country="US", region="CA", email="ca@example.org")
    submit(country="DE", email="de@example.org")
    first, second = run_twice(california.received_at + timedelta(hours=1))
    assert (first.acknowledged, second.acknowledged) == (1, 0)
    assert subjects_sent("request_acknowledgement") == ["ca@example.org"]


def test_verified_request_counts_as_acknowledged():
    request = verified(country="US", region="VA")
    first, _ = run_twice(request.received_at + timedelta(hours=1))
    assert first.acknowledged == 0


def test_command_dry_run_counts_and_changes_nothing(officer, capsys):
    request = submit()
    with time_machine.travel(request.received_at + timedelta(days=15)):
        call_command("request_deadlines", "--dry-run")
        assert "would do: closed 1" in capsys.readouterr().out
        request.refresh_from_db()
        assert request.status == S.RECEIVED
        call_command("request_deadlines")
        assert "closed 1" in capsys.readouterr().out
    request.refresh_from_db()
    assert request.status == S.CLOSED_UNVERIFIED


def test_task_delivered_twice_sends_once(officer, analyst):
    from requests_app.tasks import request_deadlines_task

    request = in_progress(analyst)
    with time_machine.travel(request.due_at + timedelta(hours=1), tick=False):
        request_deadlines_task.apply()
        request_deadlines_task.apply()
    assert OutboundEmail.objects.filter(template="staff_escalation").count() == 1
