from __future__ import annotations

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django_celery_beat.models import PeriodicTask

from privacyportal import audit, schedule
from privacyportal import mail as outbox
from privacyportal.audit.checkpoints import checkpoint_line, checkpoint_parse
from privacyportal.audit.models import AuditEvent
from privacyportal.audit.services import Actor
from privacyportal.celery import app as celery_app

pytestmark = pytest.mark.django_db


def make_events(n: int) -> list[AuditEvent]:
    return [
        audit.record(f"test.thing.done{i}", actor=Actor.system("test"), data={"i": i})
        for i in range(n)
    ]


def delete_events(*seqs: int) -> None:
    from privacyportal.audit.tests.test_services import tamper

    for seq in seqs:
        tamper("DELETE FROM audit_auditevent WHERE seq = %s", [seq])


def verify(capsys, *args: str) -> tuple[str | None, str]:
    """(the error audit_verify stopped with or None, everything it printed)."""
    try:
        call_command("audit_verify", *args)
        error = None
    except CommandError as exc:
        error = str(exc)
    captured = capsys.readouterr()
    return error, captured.out + captured.err


def staff(username: str, role: str, **extra) -> object:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(
        username, f"{username}@staff.example", "pw-Very-Long-123", **extra
    )
    user.groups.add(Group.objects.get(name=role))
    return user


def test_checkpoint_command_appends_a_signed_line_per_run(checkpoint_path):
    make_events(2)
    call_command("audit_checkpoint")
    audit.record("test.later", actor=None)
    call_command("audit_checkpoint")
    lines = checkpoint_path.read_text().splitlines()
    assert [checkpoint_parse(line).seq for line in lines] == [2, 3]
    newest = AuditEvent.objects.get(seq=3)
    assert checkpoint_parse(lines[1]).hash == newest.hash


def test_intact_chain_matches_its_checkpoint(capsys):
    make_events(3)
    call_command("audit_checkpoint")
    error, output = verify(capsys)
    assert error is None
    assert "3 events verified; newest checkpoint #3" in output


def test_deleting_the_newest_event_below_a_checkpoint_is_detected(capsys):
    make_events(4)
    call_command("audit_checkpoint")
    delete_events(4)  # with the PostgreSQL trigger off, as a superuser can
    error, _ = verify(capsys)
    assert error is not None
    assert "seq=4" in error and "chain ends at #3: event #4 was deleted" in error


def test_cutting_the_chain_back_and_regrowing_it_is_detected(capsys):
    make_events(5)
    call_command("audit_checkpoint")
    delete_events(5, 4)
    make_events(2)  # new #4 and #5 link correctly, but are not the old ones
    error, _ = verify(capsys)
    assert error is not None and "seq=5" in error  # the checkpointed head
    assert "differs from the checkpoint" in error
    call_command("audit_checkpoint")  # now anchors the rewritten #5 as well
    error, output = verify(capsys)
    assert "two checkpoints disagree about event #5" in output


def test_deleting_the_newest_event_after_the_last_checkpoint_shows_in_the_id_counter(
    capsys,
):
    make_events(3)
    call_command("audit_checkpoint")
    audit.record("test.after.checkpoint", actor=None)
    delete_events(4)
    error, output = verify(capsys)
    assert "events after #3 were deleted" in output
    # SQLite's counter rolls back with a failed write, so it proves a deletion;
    # PostgreSQL's does not, so there it is a warning (exit code 0).
    if connection.vendor == "sqlite":
        assert error == "audit check failed: 1 problem"
    else:
        assert error is None and "warning: row ids up to" in output


def test_a_rolled_back_audit_write_does_not_fail_audit_verify(capsys):
    make_events(2)
    call_command("audit_checkpoint")
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record("test.doomed", actor=None)
        raise RuntimeError("the service failed after auditing")
    error, output = verify(capsys)
    assert error is None and "2 events verified" in output


def test_forged_checkpoint_line_is_reported(capsys, checkpoint_path):
    make_events(3)
    call_command("audit_checkpoint")
    genuine = checkpoint_path.read_text().split()
    forged = " ".join([genuine[0], genuine[1], "2", *genuine[3:]])
    with checkpoint_path.open("a") as f:
        f.write(forged + "\n")
    error, output = verify(capsys)
    assert error is not None
    assert "line 2: its signature does not match: forged or altered" in output


def test_checkpoint_from_the_email_catches_truncation_without_the_file(
    capsys, checkpoint_path
):
    staff("officer", "Privacy Officer")
    make_events(3)
    call_command("audit_checkpoint", "--mail")
    outbox.send_pending()
    (message,) = mail.outbox
    line = message.body.strip().splitlines()[-1]
    assert checkpoint_parse(line).seq == 3
    checkpoint_path.unlink()  # whoever cut the chain also removed the file
    delete_events(4, 3)  # #4 is the "e-mailed" event the mail job itself wrote
    error, _ = verify(capsys, "--checkpoint", line)
    assert error is not None and "seq=3" in error
    assert "chain ends at #2: event #3 was deleted" in error


def test_checkpoint_email_goes_to_active_privacy_officers_once_a_day():
    officer = staff("officer", "Privacy Officer")
    staff("analyst", "Privacy Analyst")
    staff("gone", "Privacy Officer", is_active=False)
    make_events(2)
    with time_machine.travel("2026-12-04 09:00Z", tick=False):
        call_command("audit_checkpoint", "--mail")
        call_command("audit_checkpoint", "--mail")
    outbox.send_pending()
    assert [m.to for m in mail.outbox] == [[officer.email]]
    assert "held 2 entries" in mail.outbox[0].body
    assert mail.outbox[0].subject.startswith("Audit trail checkpoint: 2 entries on")
    mailed = AuditEvent.objects.get(action="audit.checkpoint.mailed")
    assert mailed.data["seq"] == 2 and mailed.data["to"] == [officer.pk]
    with time_machine.travel("2026-12-05 09:00Z", tick=False):
        call_command("audit_checkpoint", "--mail")
    outbox.send_pending()
    assert len(mail.outbox) == 2


def test_checkpoint_jobs_are_scheduled_and_their_tasks_exist():
    jobs = {job.name: job for job in schedule.JOBS}
    hourly = jobs["Audit trail: checkpoint"]
    daily = jobs["Audit trail: e-mail checkpoint"]
    assert (hourly.every_minutes, daily.every_minutes) == (60, 24 * 60)
    celery_app.loader.import_default_modules()
    assert hourly.task in celery_app.tasks and daily.task in celery_app.tasks
    call_command("setup_portal", "--no-superuser")
    assert PeriodicTask.objects.get(name=hourly.name).task == hourly.task
    assert PeriodicTask.objects.get(name=daily.name).task == daily.task


def test_truncating_several_events_names_them_all(capsys):
    make_events(5)
    call_command("audit_checkpoint")
    delete_events(5, 4, 3)
    error, _ = verify(capsys)
    assert "chain ends at #2: events #3 to #5 were deleted" in error


def test_checkpoint_task_writes_the_file(checkpoint_path):
    from privacyportal.audit.tasks import audit_checkpoint_task

    make_events(2)
    assert audit_checkpoint_task.apply().get() == 2
    assert checkpoint_path.read_text().count("\n") == 1


def test_a_checkpoint_line_signs_every_field():
    make_events(1)
    event = AuditEvent.objects.get()
    from privacyportal.audit.services import chain_head

    line = checkpoint_line(chain_head())
    assert checkpoint_parse(line).hash == event.hash
    altered = line.replace(event.hash, "0" * 64)
    with pytest.raises(ValueError, match="forged"):
        checkpoint_parse(altered)


def test_checkpoint_is_mailed_even_if_the_file_cannot_be_written(settings, tmp_path):
    staff("officer", "Privacy Officer")
    (tmp_path / "not-a-dir").write_text("")
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "not-a-dir" / "audit.log"
    make_events(1)
    call_command("audit_checkpoint", "--mail")
    outbox.send_pending()
    assert len(mail.outbox) == 1
