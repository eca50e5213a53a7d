from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from django.db.utils import DatabaseError
from django.utils import timezone

from privacyportal import audit
from privacyportal.audit.models import AuditEvent
from privacyportal.audit.services import Actor, redact_subject, verify_chain

pytestmark = pytest.mark.django_db


def first_break():
    result = None
    for _, broken in verify_chain(chunk_size=3):
        result = broken
    return result


def make_events(n: int) -> list[AuditEvent]:
    return [
        audit.record(
            f"test.thing.done{i}",
            actor=Actor.system("test"),
            target=("test.thing", i),
            subject_id=7,
            data={"i": i},
            personal={"email": f"p{i}@example.org"},
        )
        for i in range(n)
    ]


def tamper(sql: str, params: list) -> None:
    """Change a row behind the application's back, with the guard trigger off."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")


def test_events_form_a_chain_that_verifies():
    events = make_events(5)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[1].prev_hash == events[0].hash
    assert first_break() is None


def test_audit_verify_reports_exactly_the_edited_row():
    events = make_events(6)
    tamper(
        "UPDATE audit_auditevent SET action = %s WHERE id = %s",
        ["test.thing.forged", events[3].pk],
    )
    broken = first_break()
    assert broken is not None
    assert (broken.seq, broken.event_id) == (4, events[3].pk)
    with pytest.raises(CommandError, match=rf"seq=4 id={events[3].pk}"):
        call_command("audit_verify")


def test_audit_verify_detects_changed_personal_data():
    events = make_events(3)
    tamper(
        "UPDATE audit_auditevent SET personal = %s WHERE id = %s",
        ['{"email": "someone-else@example.org"}', events[1].pk],
    )
    assert first_break().event_id == events[1].pk


def test_audit_verify_detects_a_deleted_row():
    events = make_events(4)
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
    broken = first_break()
    assert broken.seq == 4 and "sequence gap" in broken.problem


def test_intact_chain_passes_audit_verify(capsys):
    make_events(3)
    call_command("audit_verify")
    assert "3 events verified" in capsys.readouterr().out


def test_redaction_clears_personal_data_and_chain_still_verifies():
    make_events(3)
    audit.record("test.other", actor=None, subject_id=8, personal={"email": "x@y.z"})
    assert redact_subject(subject_id=7, actor=None) == 3
    redacted = AuditEvent.objects.filter(subject_id=7, redacted=True)
    assert redacted.count() == 3
    assert all(e.personal == {} for e in redacted)
    assert AuditEvent.objects.get(subject_id=8).personal == {"email": "x@y.z"}
    assert AuditEvent.objects.filter(action="audit.subject.redacted").exists()
    assert first_break() is None


def test_data_is_stored_exactly_as_hashed():
    event = audit.record(
        "test.types", actor=None, data={"when": object.__name__, "n": 1.5}
    )
    event.refresh_from_db()
    assert event.data == {"when": "object", "n": 1.5}
    assert first_break() is None


def test_staff_user_is_recorded_as_actor(django_user_model):
    user = django_user_model.objects.create_user("officer", password="x")
    event = audit.record("test.by_staff", actor=user)
    assert (event.actor_type, event.actor_id, event.actor_label) == (
        "user",
        str(user.pk),
        "officer",
    )


def test_event_rolls_back_with_the_change_it_describes():
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record("test.doomed", actor=None)
        raise RuntimeError("the service failed after auditing")
    assert not AuditEvent.objects.filter(action="test.doomed").exists()


postgres_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="the guard trigger exists on PostgreSQL"
)


@postgres_only
def test_trigger_refuses_delete_and_update():
    event = make_events(1)[0]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    # Redaction that also touches a covered column is refused too.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(
            personal={}, redacted=True, redacted_at=event.occurred_at, data={"x": 1}
        )


@pytest.mark.django_db(transaction=True)
@postgres_only
def test_concurrent_writers_never_fork_the_chain():
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(15):
                with transaction.atomic():
                    audit.record("test.concurrent", actor=None, data={"w": n, "i": i})
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert AuditEvent.objects.count() == 60
    assert first_break() is None


def test_redaction_is_itself_an_event_naming_who_why_and_each_event_cleared(
    django_user_model,
):
    officer = django_user_model.objects.create_user("officer", password="x")
    events = make_events(2)
    audit.record("test.no.personal", actor=None, subject_id=7)
    redact_subject(subject_id=7, actor=officer, reason="erasure request PR-1")
    event = AuditEvent.objects.get(action="audit.subject.redacted")
    assert (event.actor_id, event.subject_id) == (str(officer.pk), 7)
    assert event.data == {
        "events": 2,
        "seqs": [e.seq for e in events],
        "reason": "erasure request PR-1",
    }
    redacted = AuditEvent.objects.filter(redacted=True)
    assert {e.redacted_at for e in redacted} == {event.occurred_at}
    assert first_break() is None


def test_redaction_behind_the_applications_back_is_reported(capsys):
    events = make_events(3)
    # The trigger allows this UPDATE: it looks like a redaction.
    AuditEvent.objects.filter(pk=events[1].pk).update(
        personal={}, redacted=True, redacted_at=events[1].occurred_at
    )
    broken = first_break()
    assert (broken.seq, broken.event_id) == (2, events[1].pk)
    assert "without a redaction event" in broken.problem
    with pytest.raises(CommandError, match="behind the application's back"):
        call_command("audit_verify")


def test_redaction_event_without_a_list_covers_only_the_earlier_events():
    make_events(2)
    # What redact_subject wrote before it listed the events it cleared.
    cleared = {"personal": {}, "redacted": True, "redacted_at": timezone.now()}
    AuditEvent.objects.filter(subject_id=7).update(**cleared)
    audit.record("audit.subject.redacted", actor=None, subject_id=7, data={"events": 2})
    make_events(1)
    AuditEvent.objects.filter(seq=4).update(**cleared)
    assert first_break().seq == 4  # an old redaction does not cover later events
