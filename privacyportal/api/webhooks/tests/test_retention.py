"""The delivery log's retention category, run by the real retention sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from privacyportal.api.webhooks.categories import DELIVERIES
from privacyportal.api.webhooks.models import WebhookAttempt, WebhookDelivery
from privacyportal.audit.services import Actor
from retention_app.models import DeletionRecord, RetentionPolicy
from retention_app.services import retention_sweep

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
D = WebhookDelivery.Status


def delivery(subscription, status: str, days_old: float, **extra) -> WebhookDelivery:
    made = timezone.now() - timedelta(days=days_old)
    row = WebhookDelivery.objects.create(
        subscription=subscription,
        event_type="consent.changed",
        payload={"type": "consent.changed"},
        status=status,
        created_at=made,
        next_attempt_at=made if status == D.PENDING else None,
        **extra,
    )
    WebhookAttempt.objects.create(delivery=row, number=1, attempted_at=made)
    return row


def sweep() -> None:
    retention_sweep(actor=SYSTEM, only=[DELIVERIES])


def test_finished_deliveries_past_retention_go_with_their_attempts(subscription):
    delivered = delivery(subscription, D.DELIVERED, 91)
    given_up = delivery(subscription, D.FAILED, 200)
    recent = delivery(subscription, D.DELIVERED, 89)

    sweep()

    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {recent.pk}
    assert set(WebhookAttempt.objects.values_list("delivery_id", flat=True)) == {
        recent.pk
    }
    receipts = DeletionRecord.objects.filter(category=DELIVERIES)
    assert sorted(receipts.values_list("item_id", flat=True)) == sorted(
        [str(delivered.pk), str(given_up.pk)]
    )


def test_pending_and_sending_deliveries_are_never_purged_however_old(subscription):
    waiting = delivery(subscription, D.PENDING, 400)
    sending = delivery(subscription, D.SENDING, 400)

    sweep()

    assert WebhookDelivery.objects.filter(pk__in=[waiting.pk, sending.pk]).count() == 2
    assert WebhookAttempt.objects.count() == 2
    assert not DeletionRecord.objects.filter(category=DELIVERIES).exists()


def test_the_policy_starts_at_the_configured_days(subscription, settings):
    settings.WEBHOOK_DELIVERY_RETENTION_DAYS = 10
    old = delivery(subscription, D.DELIVERED, 11)
    young = delivery(subscription, D.DELIVERED, 9)

    sweep()

    assert RetentionPolicy.objects.get(category=DELIVERIES).days == 10
    assert list(WebhookDelivery.objects.values_list("pk", flat=True)) == [young.pk]
    assert not WebhookAttempt.objects.filter(delivery_id=old.pk).exists()


def test_a_redelivery_outlives_the_delivery_it_repeated(subscription):
    original = delivery(subscription, D.FAILED, 120)
    again = delivery(subscription, D.DELIVERED, 1, redelivery_of=original)

    sweep()

    again.refresh_from_db()
    assert again.redelivery_of_id is None
    assert not WebhookDelivery.objects.filter(pk=original.pk).exists()


def test_a_dry_run_purges_nothing_and_counts_what_is_due(subscription):
    delivery(subscription, D.DELIVERED, 100)
    delivery(subscription, D.PENDING, 100)

    run = retention_sweep(actor=SYSTEM, only=[DELIVERIES], dry_run=True)

    assert run.counts == {DELIVERIES: 1}
    assert WebhookDelivery.objects.count() == 2
