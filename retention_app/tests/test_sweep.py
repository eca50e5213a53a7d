from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.db import connection, transaction

from privacyportal.audit.models import AuditEvent
from retention_app.categories import APPLICANTS, CALL_RECORDS, RECORDINGS
from retention_app.models import (
    ApplicantStatistic,
    CallRecord,
    DeletionRecord,
    FileRemoval,
    JobApplicant,
    Recording,
    SweepRun,
)
from retention_app.services import (
    hold_place,
    recording_register,
    retention_sweep,
)
from retention_app.tests.factories import (
    CallRecordFactory,
    JobApplicantFactory,
    RecordingFactory,
    ago,
)

pytestmark = pytest.mark.django_db
requires_pg = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs the PostgreSQL trigger"
)


def test_sweep_deletes_exactly_the_due_unheld_rows_with_one_record_each(actor):
    due = RecordingFactory.create_batch(5)
    fresh = RecordingFactory(fresh=True)
    kept = RecordingFactory(keep=True)
    held = RecordingFactory(held=True)

    run = retention_sweep(actor=actor, only=[RECORDINGS], batch_size=2)

    assert set(Recording.objects.values_list("pk", flat=True)) == {
        fresh.pk,
        kept.pk,
        held.pk,
    }
    records = DeletionRecord.objects.filter(category=RECORDINGS)
    assert sorted(records.values_list("item_id", flat=True)) == sorted(
        str(r.pk) for r in due
    )
    assert run.counts == {RECORDINGS: 5}
    assert run.status == SweepRun.Status.FINISHED
    assert run.bytes_freed == 5000
    assert {r.sweep_run_id for r in records} == {run.pk}
    assert AuditEvent.objects.filter(action="retention.sweep.finished").count() == 1


def test_dry_run_deletes_nothing_and_counts_what_is_due(actor):
    RecordingFactory.create_batch(3)
    CallRecordFactory.create_batch(2)

    run = retention_sweep(actor=actor, dry_run=True)

    assert Recording.objects.count() == 3
    assert CallRecord.objects.count() == 2
    assert not DeletionRecord.objects.exists()
    assert run.counts[RECORDINGS] == 3
    assert run.counts[CALL_RECORDS] == 2
    assert run.dry_run


def test_sweep_removes_media_files_after_commit(actor, private_media):
    recording = recording_register(
        actor=actor,
        organization_id=RecordingFactory().organization_id,
        meeting_title="Board",
        started_at=ago(10_000),
        media=b"video bytes",
    )
    assert default_storage.exists(recording.media)
    Recording.objects.filter(pk=recording.pk).update(purge_after=ago(1))

    retention_sweep(actor=actor, only=[RECORDINGS])

    assert not Recording.objects.filter(pk=recording.pk).exists()
    assert not default_storage.exists(recording.media)
    removal = FileRemoval.objects.get(name=recording.media)
    assert removal.done_at is not None and removal.note == ""


def test_missing_media_file_does_not_stop_the_sweep_and_is_recorded(actor):
    RecordingFactory(media="recordings/1/gone.bin")
    RecordingFactory()

    run = retention_sweep(actor=actor, only=[RECORDINGS])

    assert not Recording.objects.exists()
    assert DeletionRecord.objects.count() == 2
    assert run.status == SweepRun.Status.FINISHED
    assert any("already missing" in a for a in run.anomalies)


def test_rolled_back_deletion_keeps_the_file(actor, django_capture_on_commit_callbacks):
    from retention_app.categories import recording_category
    from retention_app.services.records import record_disposals

    recording = recording_register(
        actor=actor,
        organization_id=RecordingFactory().organization_id,
        meeting_title="Kept",
        started_at=ago(10_000),
        media=b"x" * 10,
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        gone = recording_category.delete_ids([recording.pk])
        record_disposals(gone, category=RECORDINGS, action="delete", reason="customer")
        raise RuntimeError("something later failed")

    assert Recording.objects.filter(pk=recording.pk).exists()
    assert default_storage.exists(recording.media)
    assert not FileRemoval.objects.exists()
    assert not DeletionRecord.objects.exists()


def test_pending_file_removal_is_finished_by_the_next_sweep(actor):
    default_storage.save("recordings/9/left.bin", __import__("io").BytesIO(b"x"))
    FileRemoval.objects.create(name="recordings/9/left.bin")

    retention_sweep(actor=actor, only=[CALL_RECORDS])

    assert not default_storage.exists("recordings/9/left.bin")
    assert FileRemoval.objects.get().done_at is not None


def test_unsuccessful_applicants_become_statistics(actor):
    JobApplicantFactory.create_batch(3, position="Engineer", applied_at=ago(300))
    JobApplicantFactory(position="Engineer", outcome="withdrawn", applied_at=ago(300))
    hired = JobApplicantFactory(outcome="hired", purge_after=None)

    run = retention_sweep(actor=actor, only=[APPLICANTS])

    assert list(JobApplicant.objects.all()) == [hired]
    stats = {(s.position, s.outcome): s.count for s in ApplicantStatistic.objects.all()}
    assert stats == {("Engineer", "rejected"): 3, ("Engineer", "withdrawn"): 1}
    assert run.counts[APPLICANTS] == 4
    record = DeletionRecord.objects.filter(category=APPLICANTS).first()
    assert record.action == "anonymise"
    assert record.organization_id is None


def test_second_sweep_adds_to_existing_statistics(actor):
    JobApplicantFactory(position="Sales", applied_at=ago(300))
    retention_sweep(actor=actor, only=[APPLICANTS])
    JobApplicantFactory(position="Sales", applied_at=ago(300))
    retention_sweep(actor=actor, only=[APPLICANTS])
    assert ApplicantStatistic.objects.get(position="Sales").count == 2


def test_held_rows_survive_organization_subject_and_item_holds(actor, officer):
    org_held = RecordingFactory()
    by_item = RecordingFactory()
    by_subject = RecordingFactory()
    from privacyportal.subjects.tests.factories import DataSubjectFactory

    person = DataSubjectFactory()
    by_subject.participants.add(person)
    call = CallRecordFactory(subject=person)
    free = RecordingFactory()
    hold_place(
        actor=officer,
        scope="organization",
        organization_id=org_held.organization_id,
        reason="Litigation",
    )
    hold_place(
        actor=officer, scope="recordings", recording_ids=[by_item.pk], reason="x"
    )
    hold_place(actor=officer, scope="subject", subject_id=person.pk, reason="y")

    retention_sweep(actor=actor)

    remaining = set(Recording.objects.values_list("pk", flat=True))
    assert remaining == {org_held.pk, by_item.pk, by_subject.pk}
    assert CallRecord.objects.filter(pk=call.pk).exists()
    assert not Recording.objects.filter(pk=free.pk).exists()


def test_one_failing_category_does_not_stop_the_others(actor, monkeypatch):
    from retention_app.categories import call_record_category

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    # Both paths: the portable one and PostgreSQL's one-statement batch.
    monkeypatch.setattr(call_record_category, "dispose_batch", broken)
    monkeypatch.setattr(call_record_category, "dispose_batch_recorded", broken)
    RecordingFactory()
    CallRecordFactory()

    run = retention_sweep(actor=actor)

    assert not Recording.objects.exists()
    assert CallRecord.objects.count() == 1
    assert run.status == SweepRun.Status.FAILED
    assert "disk on fire" in run.errors[0]


@requires_pg
def test_trigger_refuses_deleting_a_held_row_on_any_path():
    from django.db import IntegrityError

    held = RecordingFactory(held=True)
    with pytest.raises(IntegrityError, match="legal hold"), transaction.atomic():
        Recording.objects.filter(pk=held.pk).delete()
    with (
        pytest.raises(IntegrityError, match="legal hold"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM retention_app_recording WHERE id = %s", [held.pk])
    assert Recording.objects.filter(pk=held.pk).exists()


@requires_pg
def test_trigger_refuses_changing_or_deleting_deletion_records(actor):
    from django.db import IntegrityError

    RecordingFactory()
    retention_sweep(actor=actor, only=[RECORDINGS])
    with pytest.raises(IntegrityError, match="ledger"), transaction.atomic():
        DeletionRecord.objects.update(bytes=0)
    with pytest.raises(IntegrityError, match="ledger"), transaction.atomic():
        DeletionRecord.objects.all().delete()


def test_stale_running_run_is_marked_interrupted_by_the_next_sweep(actor, settings):
    settings.CELERY_TASK_TIME_LIMIT = 900
    killed = SweepRun.objects.create(started_at=ago(1), triggered_by="worker")
    alive = SweepRun.objects.create(started_at=ago(1), heartbeat_at=ago(0.001))
    starting = SweepRun.objects.create(started_at=ago(0.001))

    retention_sweep(actor=actor, only=[RECORDINGS])
    retention_sweep(actor=actor, only=[RECORDINGS])

    killed.refresh_from_db()
    assert killed.status == SweepRun.Status.INTERRUPTED
    assert killed.finished_at is not None
    assert killed.errors[0].startswith("interrupted: no sign of life since")
    for run in (alive, starting):
        run.refresh_from_db()
        assert run.status == SweepRun.Status.RUNNING
    events = AuditEvent.objects.filter(action="retention.sweep.interrupted")
    assert [e.target_id for e in events] == [str(killed.pk)]


def test_long_sweep_writes_a_heartbeat(actor, monkeypatch):
    from retention_app.services import sweep

    monkeypatch.setattr(sweep, "HEARTBEAT_SECONDS", 0)
    RecordingFactory.create_batch(3)
    run = retention_sweep(actor=actor, only=[RECORDINGS], batch_size=1)
    run.refresh_from_db()
    assert run.heartbeat_at is not None


def test_receipts_keep_item_ids_with_quotes_and_backslashes():
    from privacyportal.retention import Disposed
    from retention_app.services.records import record_disposals

    odd = ["PR-2026-1", 'a"b', "c\\d", "e,{f}", "NULL"]
    with transaction.atomic():
        record_disposals(
            [Disposed(item_id, None, 7) for item_id in odd],
            category="test.odd",
            action="delete",
            reason=DeletionRecord.Reason.RETENTION,
        )
    stored = DeletionRecord.objects.filter(category="test.odd")
    assert sorted(stored.values_list("item_id", flat=True)) == sorted(odd)
    assert {r.organization_id for r in stored} == {None}


def test_receipts_name_the_customer_setting_that_decided(actor):
    from retention_app.services import recording_settings_update

    own = RecordingFactory()
    recording_settings_update(
        actor=actor,
        organization_id=own.organization_id,
        recording_days=400,
        confirmed=True,
    )
    Recording.objects.filter(pk=own.pk).update(purge_after=ago(1))
    default = RecordingFactory(size_bytes=77)
    CallRecordFactory()

    run = retention_sweep(actor=actor, only=[RECORDINGS, CALL_RECORDS])

    receipts = {(r.category, r.item_id): r for r in DeletionRecord.objects.all()}
    mine = receipts[RECORDINGS, str(own.pk)]
    theirs = receipts[RECORDINGS, str(default.pk)]
    assert (mine.policy_key, mine.policy_version) == (
        f"{RECORDINGS} (customer setting)",
        None,
    )
    assert (theirs.policy_key, theirs.policy_version) == (RECORDINGS, 1)
    assert (theirs.organization_id, theirs.bytes) == (default.organization_id, 77)
    calls = [r for r in receipts.values() if r.category == CALL_RECORDS]
    assert len(calls) == 1 and calls[0].bytes == 0 and calls[0].organization_id
    assert {r.sweep_run_id for r in receipts.values()} == {run.pk}
    assert run.counts == {RECORDINGS: 2, CALL_RECORDS: 1}
    assert run.bytes_freed == 1000 + 77
