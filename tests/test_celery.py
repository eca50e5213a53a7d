from __future__ import annotations

import uuid

import pytest
from django.db import transaction

from privacyportal.subjects.tests.factories import DataSubjectFactory
from privacyportal.tasks import enqueue, heartbeat_task, ping_task


@pytest.mark.services
def test_task_travels_through_redis_to_a_real_worker_and_back(celery_worker):
    DataSubjectFactory.create_batch(3)
    token = uuid.uuid4().hex
    result = ping_task.delay(token).get(timeout=30)
    # The worker answered from the same PostgreSQL database the test wrote to.
    assert result == {"token": token, "vendor": "postgresql", "subjects": 3}


@pytest.mark.django_db
def test_enqueue_waits_for_commit_and_survives_a_broker_outage(
    django_capture_on_commit_callbacks, monkeypatch
):
    sent = []

    def down(*args, **kwargs):
        sent.append(kwargs)
        raise ConnectionError("broker down")

    monkeypatch.setattr(heartbeat_task, "apply_async", down)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        transaction.atomic(),
    ):
        enqueue(heartbeat_task)
        assert sent == []  # nothing leaves before commit
    assert len(callbacks) == 1
    assert len(sent) == 1  # attempted once, error swallowed and logged
