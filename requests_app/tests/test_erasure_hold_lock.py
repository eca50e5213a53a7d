"""A legal hold placed while an erasure step runs is waited for, never missed.

Drill: another worker places a hold on the person and is slow to commit; the
erasure step of a source that shares no row with the hold starts meanwhile.
It must wait for that commit and then keep the data, not erase it under a
hold it could not yet see.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from privacyportal.audit.services import Actor
from privacyportal.registry import Outcome, registry
from privacyportal.subjects.tests.factories import DataSubjectFactory
from requests_app.fulfilment import erasure
from requests_app.models import PrivacyRequest, SourceOutcome
from requests_app.tests.fulfilment_helpers import FakeSource, verified_for
from retention_app.services.holds import hold_place


@pytest.fixture
def crm():
    source = FakeSource("test.crm")
    registry.register(source)
    yield source
    registry.unregister(source.key)


def _place_slowly(subject_id: int, locked: threading.Event) -> None:
    try:
        with transaction.atomic():
            hold_place(
                actor=Actor.system("test"),
                scope="subject",
                reason="Case 7",
                subject_id=subject_id,
            )
            locked.set()  # the hold lock is held until this commits
            time.sleep(1.5)
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_a_hold_placed_while_the_step_starts_is_waited_for(settings, officer, crm):
    if connection.vendor != "postgresql":
        pytest.skip("the hold lock is a PostgreSQL advisory lock")
    settings.ERASURE_DELAY_HOURS = 0
    person = DataSubjectFactory(email="erase.me@example.org")
    request = verified_for(person, PrivacyRequest.Type.ERASURE)
    erasure.erasure_approve(actor=officer, request=request)
    erasure.erasure_start(request_id=request.pk)
    step = SourceOutcome.objects.get(request=request, source_key=crm.key)
    locked = threading.Event()
    other = threading.Thread(target=_place_slowly, args=(person.pk, locked))
    other.start()
    assert locked.wait(10)

    erasure.erasure_step_run(outcome_id=step.pk)
    other.join(10)

    step.refresh_from_db()
    assert step.outcome == Outcome.RETAINED and "legal hold #" in step.reason
    assert crm.calls == 0  # never asked to erase
