from __future__ import annotations

import threading
from itertools import pairwise

import pytest
from django.db import connection, connections

from consent_app.models import ConsentEvent, ConsentState, Source
from consent_app.services import consent_allows, consent_grant, consent_withdraw
from privacyportal.audit.services import Actor
from privacyportal.subjects.tests.factories import DataSubjectFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent PostgreSQL writers"
    ),
]


def test_state_matches_the_latest_event_under_concurrent_changes(purposes):
    subject = DataSubjectFactory()
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        change = consent_grant if n % 2 else consent_withdraw
        try:
            barrier.wait()
            for _ in range(5):
                change(
                    actor=Actor.system("race"),
                    subject=subject,
                    purpose="newsletter",
                    source=Source.API,
                )
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    events = ConsentEvent.objects.filter(subject=subject).order_by("occurred_at", "pk")
    actions = [e.action for e in events]
    assert actions.count("granted") == 20
    # A withdrawal of what is withdrawn adds nothing, decided under the row lock.
    assert ("withdrawn", "withdrawn") not in set(pairwise(actions))
    state = ConsentState.objects.get(subject=subject, purpose__code="newsletter")
    latest = events.last()
    assert state.last_event_id == latest.pk
    assert state.granted == (latest.action == "granted")
    assert consent_allows(subject, "newsletter") == state.granted
