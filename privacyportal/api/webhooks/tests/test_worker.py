from __future__ import annotations

import pytest

from conftest import WorkerProcess
from privacyportal.api.webhooks.models import WebhookDelivery
from privacyportal.api.webhooks.signing import signature
from privacyportal.audit.services import Actor
from privacyportal.subjects.services import subject_anonymise
from privacyportal.subjects.tests.factories import DataSubjectFactory


@pytest.fixture
def webhook_worker(transactional_db):
    # The worker is another process: it learns the local receiver is allowed
    # from its environment, as an operator's would.
    worker = WorkerProcess({"WEBHOOK_ALLOW_PRIVATE": "1", "WEBHOOK_ALLOW_HTTP": "1"})
    yield worker.start()
    worker.stop()


@pytest.mark.services
def test_a_real_worker_delivers_an_event_through_redis(
    webhook_worker, receiver, subscription, wait_until
):
    subject_anonymise(actor=Actor.system("test"), subject=DataSubjectFactory())
    delivery = WebhookDelivery.objects.get()
    wait_until(
        lambda: WebhookDelivery.objects.filter(
            pk=delivery.pk, status=WebhookDelivery.Status.DELIVERED
        ).exists()
    )
    (got,) = receiver.received
    stamp = got.headers["X-Portal-Timestamp"]
    assert got.headers["X-Portal-Signature"] == signature(
        subscription.raw_secret, stamp, got.body
    )
