"""Two real workers run the steps of one erasure side by side.

A step's claim locks its own row only. When it also locked the request row
(through the model ordering's join), the second worker found every other step
of that request "locked", dropped its task and left it to the dispatch job:
an erasure with no fault at all took minutes. These tests never call the
dispatch job, so every step must be run by its own task.
"""

from __future__ import annotations

import time

import psycopg2
import pytest
from django.db import connection

from conftest import WorkerProcess, _database_url
from privacyportal.registry import registry
from privacyportal.subjects.tests.factories import DataSubjectFactory, DeviceFactory
from requests_app.fulfilment import erasure
from requests_app.models import PrivacyRequest, SourceOutcome
from requests_app.tests.factories import staff_user
from requests_app.tests.fulfilment_helpers import verified_for
from retention_app.models import CallRecord
from retention_app.services.holds import _HOLD_LOCK
from retention_app.tests.factories import CallRecordFactory

# Far below the dispatch job's period: only the steps' own tasks can make it.
WITHIN_SECONDS = 20
CALLS = 20_000


def _workers_waiting_on_the_hold_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
        )
        return cursor.fetchone()[0]


def _completed(request: PrivacyRequest) -> bool:
    return PrivacyRequest.objects.filter(
        pk=request.pk, status=PrivacyRequest.Status.COMPLETED
    ).exists()


def _erasure_request(email: str, calls: int = 3) -> PrivacyRequest:
    subject = DataSubjectFactory(email=email)
    DeviceFactory(subject=subject)
    first = CallRecordFactory(subject=subject, purge_after=None)
    CallRecord.objects.bulk_create(
        CallRecord(
            organization_id=first.organization_id,
            subject=subject,
            started_at=first.started_at,
        )
        for _ in range(calls - 1)
    )
    return verified_for(subject, PrivacyRequest.Type.ERASURE)


@pytest.fixture
def two_workers(transactional_db):
    """Starts two workers when called, after the test has made its request.

    Started earlier, a worker may send the verification e-mail itself, and
    the test (which reads the link from its own outbox) never sees it.
    """
    workers: list[WorkerProcess] = []

    def start() -> list[WorkerProcess]:
        workers.extend([WorkerProcess().start(), WorkerProcess().start()])
        return workers

    yield start
    for worker in workers:
        worker.stop()


@pytest.mark.services
def test_two_workers_finish_a_six_source_erasure_in_seconds(
    two_workers, wait_until, settings
):
    settings.ERASURE_DELAY_HOURS = 0
    officer = staff_user("officer", "Privacy Officer")
    # Enough call records that their step takes a while, as in production:
    # the other steps arrive while it holds its claim.
    request = _erasure_request("two.workers@example.org", calls=CALLS)
    two_workers()
    assert len(registry.keys()) >= 6  # every source the portal ships

    began = time.monotonic()
    erasure.erasure_approve(actor=officer, request=request)
    wait_until(lambda: _completed(request), timeout=WITHIN_SECONDS, interval=0.1)
    elapsed = time.monotonic() - began

    steps = SourceOutcome.objects.filter(request=request)
    assert {s.source_key for s in steps} == {*registry.keys(), erasure.AUDIT_KEY}
    assert all(s.status == SourceOutcome.Status.DONE for s in steps)
    print(f"six-source erasure, two workers: {elapsed:.2f} s")


@pytest.mark.services
def test_two_steps_of_one_erasure_are_held_at_the_same_time(
    two_workers, wait_until, settings
):
    settings.ERASURE_DELAY_HOURS = 0
    officer = staff_user("officer", "Privacy Officer")
    request = _erasure_request("held.together@example.org")
    two_workers()

    # Another session holds the retention hold lock, so each retention step
    # blocks inside its claimed transaction. Both workers must get there at
    # once: two steps of the same request claimed side by side.
    blocker = psycopg2.connect(_database_url())
    blocker.autocommit = True
    blocker.cursor().execute("SELECT pg_advisory_lock(%s)", [_HOLD_LOCK])
    try:
        erasure.erasure_approve(actor=officer, request=request)
        wait_until(lambda: _workers_waiting_on_the_hold_lock() == 2, timeout=15)
    finally:
        blocker.cursor().execute("SELECT pg_advisory_unlock(%s)", [_HOLD_LOCK])
        blocker.close()

    # Nothing was dropped while they waited: every step still runs by itself.
    wait_until(lambda: _completed(request), timeout=WITHIN_SECONDS, interval=0.1)
    steps = SourceOutcome.objects.filter(request=request)
    assert all(s.status == SourceOutcome.Status.DONE for s in steps)


@pytest.mark.services
def test_a_killed_workers_step_is_finished_by_the_next_dispatch(
    two_workers, wait_until, settings
):
    settings.ERASURE_DELAY_HOURS = 0
    officer = staff_user("officer", "Privacy Officer")
    request = _erasure_request("killed.one.of.two@example.org")
    killed = two_workers()[0]

    blocker = psycopg2.connect(_database_url())
    blocker.autocommit = True
    blocker.cursor().execute("SELECT pg_advisory_lock(%s)", [_HOLD_LOCK])
    try:
        erasure.erasure_approve(actor=officer, request=request)
        wait_until(lambda: _workers_waiting_on_the_hold_lock() == 2, timeout=15)
        killed.kill()  # SIGKILL mid-step: its task is never acknowledged
    finally:
        blocker.cursor().execute("SELECT pg_advisory_unlock(%s)", [_HOLD_LOCK])
        blocker.close()

    # The survivor runs every step it was given; the killed one's stays to do.
    others = SourceOutcome.objects.filter(request=request).exclude(
        source_key__in=erasure.IDENTITY_KEYS
    )
    wait_until(lambda: others.filter(status="pending").count() == 1, timeout=15)
    time.sleep(2)
    assert not _completed(request)

    # One dispatch (beat: every minute) re-sends it; measured from that tick.
    began = time.monotonic()
    erasure.erasure_dispatch()
    wait_until(lambda: _completed(request), timeout=WITHIN_SECONDS, interval=0.1)
    print(f"after the dispatch tick: {time.monotonic() - began:.2f} s")
    steps = SourceOutcome.objects.filter(request=request)
    assert all(s.status == SourceOutcome.Status.DONE for s in steps)


def test_the_dispatch_job_runs_every_minute():
    from privacyportal.schedule import JOBS

    [job] = [j for j in JOBS if j.task.endswith("fulfilment_dispatch_task")]
    assert job.every_minutes == 1
