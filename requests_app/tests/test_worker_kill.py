"""A real worker is SIGKILLed in the middle of an erasure step; a new one finishes.

The step that was running is claimed, run and recorded in one transaction, so
the kill rolls it back whole: the new worker runs it again, every source ends
with exactly one outcome, and nothing is erased twice (one deletion receipt per
call record) or skipped.
"""

from __future__ import annotations

import psycopg2
import pytest
from django.db import connection

from conftest import WorkerProcess, _database_url
from privacyportal.audit.models import AuditEvent
from privacyportal.subjects.tests.factories import DataSubjectFactory, DeviceFactory
from requests_app.fulfilment import erasure
from requests_app.models import PrivacyRequest, SourceOutcome
from requests_app.tests.factories import staff_user
from requests_app.tests.fulfilment_helpers import verified_for
from retention_app.categories import CALL_RECORDS
from retention_app.models import CallRecord, DeletionRecord
from retention_app.services.holds import _HOLD_LOCK
from retention_app.tests.factories import CallRecordFactory


def _worker_waiting_on_the_hold_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.services
def test_killed_worker_mid_erasure_resumes_without_erasing_twice(
    transactional_db, wait_until, settings
):
    settings.ERASURE_DELAY_HOURS = 0
    officer = staff_user("officer", "Privacy Officer")
    subject = DataSubjectFactory(email="killed.mid.erasure@example.org")
    DeviceFactory(subject=subject)
    calls = CallRecordFactory.create_batch(5, subject=subject, purge_after=None)

    # Another session holds the retention hold lock exclusively, so the worker
    # blocks inside the call-record step, after claiming it, until we let go.
    blocker = psycopg2.connect(_database_url())
    blocker.autocommit = True
    blocker.cursor().execute("SELECT pg_advisory_lock(%s)", [_HOLD_LOCK])
    first = WorkerProcess().start()
    try:
        request = verified_for(subject, PrivacyRequest.Type.ERASURE)
        erasure.erasure_approve(actor=officer, request=request)
        wait_until(_worker_waiting_on_the_hold_lock, timeout=60)
        first.kill()  # SIGKILL while the step's transaction is open
    finally:
        blocker.cursor().execute("SELECT pg_advisory_unlock(%s)", [_HOLD_LOCK])
        blocker.close()
        first.kill()

    # The killed worker's transaction died with it: the step is still to do.
    step = SourceOutcome.objects.get(
        request=request, source_key="retention.call_records"
    )
    assert step.status == SourceOutcome.Status.PENDING
    assert CallRecord.objects.filter(pk__in=[c.pk for c in calls]).count() == 5

    second = WorkerProcess().start()
    try:
        # The killed task was never acknowledged; the dispatch job (beat, every
        # few minutes) re-sends pending steps, as it would after any lost task.
        def finished() -> bool:
            erasure.erasure_dispatch()
            return PrivacyRequest.objects.filter(
                pk=request.pk, status=PrivacyRequest.Status.COMPLETED
            ).exists()

        wait_until(finished, timeout=120, interval=1.0)
    finally:
        second.stop()

    steps = SourceOutcome.objects.filter(request=request)
    assert all(s.status == SourceOutcome.Status.DONE for s in steps)
    step_events = AuditEvent.objects.filter(
        action="requests.request.erasure_step", target_id=str(request.pk)
    )
    sources = [e.data["source"] for e in step_events]
    assert sorted(sources) == sorted(set(sources))  # each source recorded once
    assert set(sources) >= {"retention.call_records", "subjects.profile"}
    assert not CallRecord.objects.filter(pk__in=[c.pk for c in calls]).exists()
    receipts = DeletionRecord.objects.filter(
        category=CALL_RECORDS, item_id__in=[str(c.pk) for c in calls]
    )
    assert receipts.count() == len(calls)  # exactly one receipt per erased row
