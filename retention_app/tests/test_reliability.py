"""A real worker killed mid-sweep, and sweeps racing each other and holds."""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter

import pytest
from django.core.files.storage import default_storage
from django.db import connection

from conftest import WorkerProcess
from privacyportal.subjects.tests.factories import OrganizationFactory
from retention_app.bulk import generate_recordings
from retention_app.categories import RECORDINGS
from retention_app.models import DeletionRecord, Recording, SweepRun
from retention_app.services import hold_place, retention_sweep
from retention_app.tasks import retention_sweep_task

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _snapshot():
    rows = Recording.objects.values_list("pk", "held", "purge_after", "media")
    return {pk: (held, due, media) for pk, held, due, media in rows}


def _write_files(before):
    for _, (_, _, media) in before.items():
        if media:
            default_storage.save(media, __import__("io").BytesIO(b"media"))


def _check_invariants(before, now):
    after = set(Recording.objects.values_list("pk", flat=True))
    records = Counter(
        DeletionRecord.objects.filter(category=RECORDINGS).values_list(
            "item_id", flat=True
        )
    )
    for pk, (held, due, media) in before.items():
        if held or due > now:
            assert pk in after, f"protected row {pk} was deleted"
        if pk in after:
            assert str(pk) not in records
            if media:
                assert default_storage.exists(media), f"live row {pk} lost its file"
        else:
            assert records[str(pk)] == 1, f"row {pk}: {records[str(pk)]} records"
            if media:
                assert not default_storage.exists(media), f"file of {pk} remains"


def test_worker_killed_mid_sweep_restarts_and_finishes_cleanly(
    private_media, wait_until
):
    from django.utils import timezone

    org = OrganizationFactory()
    generate_recordings(organization_id=org.pk, count=20_000, file_every=50)
    before = _snapshot()
    _write_files(before)
    env = {"MEDIA_ROOT": str(private_media), "RETENTION_BATCH_SIZE": "200"}

    worker = WorkerProcess(extra_env=env).start()
    try:
        retention_sweep_task.delay()
        wait_until(lambda: DeletionRecord.objects.count() >= 2000, timeout=60)
        os.kill(worker.proc.pid, signal.SIGKILL)
        worker.proc.wait()
    finally:
        worker.kill()
    partial = DeletionRecord.objects.count()
    assert partial < 16_000, "the sweep finished before the kill: test proves nothing"

    worker = WorkerProcess(extra_env=env).start()
    try:
        retention_sweep_task.delay()
        wait_until(
            lambda: SweepRun.objects.filter(status="finished").exists(), timeout=120
        )
    finally:
        worker.stop()
    _check_invariants(before, timezone.now())
    assert Recording.objects.count() == 4000  # 2,000 held + 2,000 not yet due


def test_two_sweeps_at_once_delete_each_row_once(actor):
    from django.utils import timezone

    org = OrganizationFactory()
    generate_recordings(organization_id=org.pk, count=6000)
    before = _snapshot()
    runs = []

    def sweep():
        try:
            runs.append(retention_sweep(actor=actor, only=[RECORDINGS], batch_size=100))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    _check_invariants(before, timezone.now())
    assert sum(r.counts[RECORDINGS] for r in runs) == 4800
    assert all(r.counts[RECORDINGS] > 0 for r in runs), "no parallelism happened"


def test_hold_placed_while_a_sweep_runs_protects_the_rest(actor, officer):
    target, other = OrganizationFactory(), OrganizationFactory()
    generate_recordings(organization_id=target.pk, count=2000)
    generate_recordings(organization_id=other.pk, count=2000)
    placed = []

    def place_hold_once(category, n):
        if placed:
            return

        # From another connection, as an officer would, between two batches.
        def place():
            try:
                placed.append(
                    hold_place(
                        actor=officer,
                        scope="organization",
                        organization_id=target.pk,
                        reason="Lawsuit filed mid-sweep",
                    )
                )
            finally:
                connection.close()

        t = threading.Thread(target=place)
        t.start()
        t.join()

    retention_sweep(
        actor=actor, only=[RECORDINGS], batch_size=100, progress=place_hold_once
    )

    assert placed
    deleted_of_target = DeletionRecord.objects.filter(organization_id=target.pk)
    assert deleted_of_target.count() <= 100  # only the batch before the hold
    assert Recording.objects.filter(organization=target).count() >= 1900
    assert (
        not Recording.objects.filter(organization=other, held=False)
        .filter(
            purge_after__lte=__import__("django.utils.timezone").utils.timezone.now()
        )
        .exists()
    )
