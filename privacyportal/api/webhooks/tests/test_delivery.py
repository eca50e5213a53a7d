from __future__ import annotations

import json
import re
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.utils import timezone

from privacyportal import mail as outbox
from privacyportal.api.webhooks import services
from privacyportal.api.webhooks.models import WebhookDelivery
from privacyportal.api.webhooks.services import (
    BACKOFF,
    MAX_ATTEMPTS,
    deliveries_dispatch_due,
    delivery_attempt,
)
from privacyportal.api.webhooks.signing import signature
from privacyportal.audit.models import AuditEvent
from privacyportal.audit.services import Actor
from privacyportal.subjects.services import subject_anonymise
from privacyportal.subjects.tests.factories import DataSubjectFactory

README = Path(__file__).resolve().parents[4] / "README.md"
SYSTEM = Actor.system("test")
D = WebhookDelivery.Status


def readme_verify():
    """The verification snippet exactly as the README prints it."""
    text = README.read_text()
    block = re.search(r"webhook-verify-snippet -->\n```python\n(.*?)```", text, re.S)
    namespace: dict = {}
    exec(block.group(1), namespace)  # noqa: S102 (our own README)
    return namespace["verify"]


def an_event(capture) -> WebhookDelivery:
    """A subject erased: one delivery to the subscription, task kept back."""
    subject = DataSubjectFactory()
    with capture(execute=False):
        subject_anonymise(actor=SYSTEM, subject=subject)
    return WebhookDelivery.objects.get()


def run_due(monkeypatch, now) -> int:
    """The beat job at ``now``, with its tasks run here instead of by a worker."""
    monkeypatch.setattr(
        services, "enqueue", lambda task, pk: delivery_attempt(delivery_id=pk)
    )
    return deliveries_dispatch_due(now=now)


@pytest.mark.django_db
def test_receiver_failing_twice_gets_the_event_once_after_retries_signed(
    receiver, subscription, django_capture_on_commit_callbacks, monkeypatch
):
    receiver.answers = [500, 503]
    delivery = an_event(django_capture_on_commit_callbacks)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert delivery_attempt(delivery_id=delivery.pk) == "retry"
        # Not due before its backoff: the beat job leaves it alone.
        assert run_due(monkeypatch, timezone.now()) == 0
        clock.shift(BACKOFF[0])
        assert run_due(monkeypatch, timezone.now()) == 1
        assert len(receiver.received) == 2
        clock.shift(BACKOFF[1])
        assert run_due(monkeypatch, timezone.now()) == 1
        assert run_due(monkeypatch, timezone.now()) == 0  # delivered: done
    delivery.refresh_from_db()
    assert delivery.status == D.DELIVERED and delivery.attempts == 3
    assert [r.answered for r in receiver.received] == [500, 503, 200]
    (got,) = receiver.accepted
    assert got.headers["X-Portal-Delivery"] == str(delivery.pk)
    assert got.headers["X-Portal-Event"] == "subject.erased"
    expected = signature(
        subscription.raw_secret, got.headers["X-Portal-Timestamp"], got.body
    )
    assert got.headers["X-Portal-Signature"] == expected
    log = list(delivery.attempt_log.values_list("status_code", flat=True))
    assert log == [500, 503, 200]


@pytest.mark.django_db
def test_readme_snippet_verifies_a_real_delivery_and_rejects_a_forged_one(
    receiver, subscription, django_capture_on_commit_callbacks
):
    delivery = an_event(django_capture_on_commit_callbacks)
    assert delivery_attempt(delivery_id=delivery.pk) == "delivered"
    verify = readme_verify()
    (got,) = receiver.received
    assert verify(subscription.raw_secret, got.headers, got.body)
    assert not verify(subscription.raw_secret, got.headers, got.body + b" ")
    assert not verify("whsec_wrong", got.headers, got.body)
    old = {**got.headers, "X-Portal-Timestamp": "1000000000"}
    assert not verify(subscription.raw_secret, old, got.body)


@pytest.mark.django_db
def test_a_second_task_for_a_claimed_delivery_sends_nothing(
    receiver, subscription, django_capture_on_commit_callbacks
):
    delivery = an_event(django_capture_on_commit_callbacks)
    assert services._claim(delivery.pk, timezone.now()) is not None
    assert delivery_attempt(delivery_id=delivery.pk) == "skipped"
    assert receiver.received == []


@pytest.mark.django_db(transaction=True)
def test_duplicate_tasks_running_at_once_send_once(receiver, subscription):
    subject = DataSubjectFactory()
    subject_anonymise(actor=SYSTEM, subject=subject)
    delivery = WebhookDelivery.objects.get()
    receiver.delay = 0.5  # the first sender is still waiting when the second runs
    results: list[str] = []

    def task() -> None:
        try:
            results.append(delivery_attempt(delivery_id=delivery.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=task) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["delivered", "skipped", "skipped"]
    assert len(receiver.received) == 1


@pytest.mark.django_db
def test_a_claim_whose_worker_died_is_taken_over_after_its_lease(
    receiver, subscription, django_capture_on_commit_callbacks
):
    delivery = an_event(django_capture_on_commit_callbacks)
    services._claim(delivery.pk, timezone.now())  # the worker then dies
    with time_machine.travel(timezone.now() + services.LEASE + timedelta(seconds=1)):
        assert delivery_attempt(delivery_id=delivery.pk) == "delivered"
    assert len(receiver.received) == 1


def _exhaust(delivery: WebhookDelivery) -> str:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=MAX_ATTEMPTS - 1)
    return delivery_attempt(delivery_id=delivery.pk)


@pytest.mark.django_db
def test_repeated_give_ups_disable_the_subscription_and_email_officers_once(
    receiver, subscription, officer, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_DISABLE_AFTER = 2
    receiver.answers = [500] * 10
    with django_capture_on_commit_callbacks(execute=False):
        for _ in range(3):
            subject_anonymise(actor=SYSTEM, subject=DataSubjectFactory())
    first, second, third = WebhookDelivery.objects.order_by("pk")
    mail.outbox.clear()
    with outbox.sending_here(), django_capture_on_commit_callbacks(execute=True):
        assert _exhaust(first) == "failed"
        subscription.refresh_from_db()
        assert subscription.active
        assert _exhaust(second) == "failed"
    subscription.refresh_from_db()
    assert not subscription.active
    assert "2 deliveries in a row" in subscription.disabled_reason
    assert [m.to for m in mail.outbox] == [[officer.email]]
    assert "CRM" in mail.outbox[0].subject
    # A disabled subscription is not sent to, and no second e-mail follows.
    with outbox.sending_here(), django_capture_on_commit_callbacks(execute=True):
        assert _exhaust(third) == "skipped"
    assert len(mail.outbox) == 1
    codes = AuditEvent.objects.filter(action="webhooks.subscription.disabled")
    assert codes.count() == 1


@pytest.mark.django_db
def test_a_success_resets_the_run_of_give_ups(
    receiver, subscription, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_DISABLE_AFTER = 2
    receiver.answers = [500, 200, 500]
    with django_capture_on_commit_callbacks(execute=False):
        for _ in range(3):
            subject_anonymise(actor=SYSTEM, subject=DataSubjectFactory())
    first, second, third = WebhookDelivery.objects.order_by("pk")
    assert _exhaust(first) == "failed"
    assert _exhaust(second) == "delivered"
    assert _exhaust(third) == "failed"
    subscription.refresh_from_db()
    assert subscription.active and subscription.deliveries_given_up == 1


@pytest.mark.django_db
def test_each_attempt_gives_up_after_the_last_backoff(
    receiver, subscription, django_capture_on_commit_callbacks, monkeypatch
):
    receiver.answers = [500] * MAX_ATTEMPTS
    delivery = an_event(django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        delivery_attempt(delivery_id=delivery.pk)
        for wait in BACKOFF:
            clock.shift(wait)
            assert run_due(monkeypatch, timezone.now()) == 1
    delivery.refresh_from_db()
    assert delivery.status == D.FAILED and delivery.attempts == MAX_ATTEMPTS
    assert sum(BACKOFF, timedelta()) < timedelta(hours=24)
    assert len(receiver.received) == MAX_ATTEMPTS


@pytest.mark.django_db
def test_a_redirect_is_a_failure_and_not_followed(
    receiver, subscription, django_capture_on_commit_callbacks
):
    receiver.answers = [302]
    delivery = an_event(django_capture_on_commit_callbacks)
    assert delivery_attempt(delivery_id=delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert "redirect" in delivery.last_error
    assert len(receiver.received) == 1


@pytest.mark.django_db
def test_manual_redelivery_sends_the_same_event_again_and_is_audited(
    receiver, subscription, officer, django_capture_on_commit_callbacks
):
    delivery = an_event(django_capture_on_commit_callbacks)
    delivery_attempt(delivery_id=delivery.pk)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        copy = services.delivery_redeliver(actor=officer, delivery=delivery)
    assert len(queued) == 1
    assert delivery_attempt(delivery_id=copy.pk) == "delivered"
    first, again = receiver.received
    assert json.loads(first.body)["id"] == json.loads(again.body)["id"]
    assert first.headers["X-Portal-Delivery"] != again.headers["X-Portal-Delivery"]
    event = AuditEvent.objects.get(action="webhooks.delivery.redelivered")
    assert event.actor_id == str(officer.pk) and event.data["of"] == delivery.pk


@pytest.mark.django_db
def test_a_disabled_subscription_keeps_its_waiting_delivery_until_enabled(
    receiver, subscription, officer, django_capture_on_commit_callbacks, monkeypatch
):
    delivery = an_event(django_capture_on_commit_callbacks)
    services.subscription_disable(actor=officer, subscription=subscription, reason="x")
    assert delivery_attempt(delivery_id=delivery.pk) == "skipped"
    assert run_due(monkeypatch, timezone.now()) == 0
    assert services.subscription_enable(actor=officer, subscription=subscription)
    assert run_due(monkeypatch, timezone.now()) == 1
    assert len(receiver.accepted) == 1
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "webhooks.subscription.disabled",
        "webhooks.subscription.enabled",
    } <= actions
