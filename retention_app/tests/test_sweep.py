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

    monkeypatch.setattr(call_record_category, "dispose_batch", broken)
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
