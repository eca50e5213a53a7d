"""A sweep killed while removing files, and one whose connection is terminated."""

from __future__ import annotations

import psycopg2
import pytest
from django.core.files.storage import default_storage
from django.db import connection

from conftest import _database_url
from retention_app.categories import RECORDINGS
from retention_app.models import DeletionRecord, FileRemoval, Recording, SweepRun
from retention_app.services import recording_register, retention_sweep
from retention_app.services.sweep import runs_mark_interrupted
from retention_app.tests.factories import RecordingFactory, ago

pytestmark = pytest.mark.django_db(transaction=True)


class Killed(BaseException):
    """What SIGKILL looks like from inside: nothing after it runs."""


def _recordings_with_files(actor, n: int) -> list[str]:
    org = RecordingFactory().organization_id  # this one has no file
    names = [
        recording_register(
            actor=actor,
            organization_id=org,
            meeting_title=f"Call {i}",
            started_at=ago(10_000),
            media=b"video bytes",
        ).media
        for i in range(n)
    ]
    Recording.objects.update(purge_after=ago(1))
    return names


def test_rerun_after_a_kill_mid_removal_notes_no_file_the_killed_run_removed(
    actor, private_media, monkeypatch
):
    names = _recordings_with_files(actor, 8)
    real_delete, removed = default_storage.delete, []

    def delete_then_die(name: str) -> None:
        if len(removed) == 5:
            raise Killed
        real_delete(name)
        removed.append(name)

    monkeypatch.setattr(default_storage, "delete", delete_then_die)
    with pytest.raises(Killed):
        retention_sweep(actor=actor, only=[RECORDINGS])
    monkeypatch.undo()
    # Five files went, but the killed run recorded none of them as done.
    assert FileRemoval.objects.filter(done_at__isnull=True).count() == 8

    run = retention_sweep(actor=actor, only=[RECORDINGS])

    assert run.anomalies == []
    assert not FileRemoval.objects.filter(done_at__isnull=True).exists()
    assert not FileRemoval.objects.exclude(note="").exists()
    assert not any(default_storage.exists(name) for name in names)


def test_a_file_missing_before_any_attempt_is_still_noted(actor, private_media):
    RecordingFactory(media="recordings/1/never-there.bin")

    run = retention_sweep(actor=actor, only=[RECORDINGS])

    assert run.anomalies == ["recordings/1/never-there.bin: file was already missing"]


def _terminate_after_first_batch(category: str, count: int) -> None:
    # Another session ends the sweep's connection, as an operator or a
    # failover would; the sweep's next batch finds it gone.
    if DeletionRecord.objects.count() != count:
        return
    pid = connection.connection.info.backend_pid
    killer = psycopg2.connect(_database_url())
    killer.autocommit = True
    killer.cursor().execute("SELECT pg_terminate_backend(%s)", [pid])
    killer.close()


def test_counts_of_a_sweep_that_lost_its_connection_match_its_receipts(actor):
    if connection.vendor != "postgresql":
        pytest.skip("terminates a PostgreSQL backend")
    RecordingFactory.create_batch(7)

    run = retention_sweep(
        actor=actor,
        only=[RECORDINGS],
        batch_size=3,
        progress=_terminate_after_first_batch,
    )

    receipts = DeletionRecord.objects.filter(sweep_run_id=run.pk).count()
    assert run.status == SweepRun.Status.FAILED and run.errors
    assert receipts == 3  # the first batch committed before the connection went
    assert run.counts == {RECORDINGS: receipts}
    run.refresh_from_db()
    assert run.counts == {RECORDINGS: receipts}


def test_an_interrupted_run_takes_its_counts_from_its_receipts(actor, settings):
    RecordingFactory.create_batch(4)
    killed = retention_sweep(actor=actor, only=[RECORDINGS])
    # As a killed worker leaves it: still "running", counts never saved.
    SweepRun.objects.filter(pk=killed.pk).update(
        status=SweepRun.Status.RUNNING, counts={}, heartbeat_at=ago(1)
    )

    assert runs_mark_interrupted(actor=actor) == 1

    killed.refresh_from_db()
    assert killed.status == SweepRun.Status.INTERRUPTED
    assert killed.counts == {RECORDINGS: 4}
