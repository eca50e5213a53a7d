"""A step locked by another attempt is "busy" and looked at again in seconds."""

from __future__ import annotations

import threading

import pytest
from celery.exceptions import Retry
from django.db import connection

from privacyportal.registry import registry
from privacyportal.subjects.tests.factories import DataSubjectFactory
from requests_app import tasks
from requests_app.fulfilment import erasure
from requests_app.models import PrivacyRequest, SourceOutcome
from requests_app.tests.factories import staff_user
from requests_app.tests.fulfilment_helpers import FakeSource, verified_for


class BlockingSource(FakeSource):
    """Erases only when let go: its step stays claimed in the meantime."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.entered, self.release = threading.Event(), threading.Event()

    def erase(self, subject, *, actor):
        self.entered.set()
        assert self.release.wait(timeout=30)
        return super().erase(subject, actor=actor)


@pytest.fixture
def two_sources():
    slow, quick = BlockingSource("test.slow"), FakeSource("test.quick")
    registry.register(slow)
    registry.register(quick)
    yield slow, quick
    registry.unregister(slow.key)
    registry.unregister(quick.key)


def _in_thread(fn, results: list) -> threading.Thread:
    def run() -> None:
        try:
            results.append(fn())
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_a_step_being_run_leaves_its_siblings_free_and_is_busy_itself(
    two_sources, settings
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks across sessions need PostgreSQL")
    settings.ERASURE_DELAY_HOURS = 0
    slow, quick = two_sources
    subject = DataSubjectFactory(email="claim.busy@example.org")
    request = verified_for(subject, PrivacyRequest.Type.ERASURE)
    erasure.erasure_approve(actor=staff_user("o", "Privacy Officer"), request=request)
    erasure.erasure_start(request_id=request.pk)
    held = SourceOutcome.objects.get(request=request, source_key=slow.key)
    sibling = SourceOutcome.objects.get(request=request, source_key=quick.key)

    results: list = []
    thread = _in_thread(lambda: erasure.erasure_step_run(outcome_id=held.pk), results)
    try:
        assert slow.entered.wait(timeout=10)  # the held step is claimed, mid-run
        # Its sibling runs now (it used to find the request row locked).
        assert erasure.erasure_step_run(outcome_id=sibling.pk).state == "done"
        # A second attempt at the held step is told it is busy, not done.
        assert erasure.erasure_step_run(outcome_id=held.pk).state == "busy"
    finally:
        slow.release.set()
        thread.join(timeout=30)
    assert [r.state for r in results] == ["done"]
    assert erasure.erasure_step_run(outcome_id=held.pk).state == "skipped"
    assert (slow.calls, quick.calls) == (1, 1)


def test_a_busy_step_task_retries_within_seconds(monkeypatch):
    monkeypatch.setattr(
        erasure, "erasure_step_run", lambda **kw: erasure.StepResult("busy")
    )
    asked = []

    def retry(**options):
        asked.append(options)
        raise Retry()

    monkeypatch.setattr(tasks.erasure_step_task, "retry", retry)
    with pytest.raises(Retry):
        tasks.erasure_step_task.run(1)
    assert asked == [{"countdown": tasks.STEP_BUSY_COUNTDOWN}]
    assert tasks.STEP_BUSY_COUNTDOWN * tasks.STEP_BUSY_RETRIES <= 90
