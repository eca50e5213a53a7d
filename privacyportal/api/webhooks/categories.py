"""The webhook delivery log as a retention category (see privacyportal/retention.py).

Finished deliveries (delivered, or given up) and their attempts go once older
than the policy's days; the policy starts at WEBHOOK_DELIVERY_RETENTION_DAYS.
A delivery still waiting or being sent is never due, however old: its event
has not reached the receiver yet.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models

from privacyportal.api.webhooks.models import WebhookAttempt, WebhookDelivery
from privacyportal.retention import Disposed, Holds, Terms
from requests_app.fulfilment.categories import QueryCategory, cutoff_at

DELIVERIES = "webhooks.deliveries"
FINISHED = [WebhookDelivery.Status.DELIVERED, WebhookDelivery.Status.FAILED]


class DeliveryLogCategory(QueryCategory):
    key = DELIVERIES
    label = "Webhook delivery log"
    model = WebhookDelivery
    legal_basis = (
        "Legitimate interest: showing that events reached the company's own "
        "systems, and troubleshooting them (ids only, no personal data)"
    )

    @property
    def default_days(self) -> int:
        # Read when the policy is first created; staff change it there after.
        return settings.WEBHOOK_DELIVERY_RETENTION_DAYS

    def rows(self, now: datetime, terms: Terms, holds: Holds) -> models.QuerySet:
        # No holds apply: a delivery names no person (opaque subject ids only).
        cutoff = cutoff_at(now, terms)
        if cutoff is None:
            return WebhookDelivery.objects.none()
        return WebhookDelivery.objects.filter(
            status__in=FINISHED, created_at__lte=cutoff
        )

    def dispose(self, rows: models.QuerySet, now: datetime) -> list[Disposed]:
        ids = list(rows.values_list("pk", flat=True))
        # Raw deletes, attempts first: no per-row collector; a redelivery that
        # names a deleted delivery keeps its own log (its link is cleared).
        WebhookAttempt.objects.filter(delivery_id__in=ids)._raw_delete(
            WebhookDelivery.objects.db
        )
        WebhookDelivery.objects.filter(redelivery_of_id__in=ids).update(
            redelivery_of=None
        )
        WebhookDelivery.objects.filter(pk__in=ids)._raw_delete(
            WebhookDelivery.objects.db
        )
        return [Disposed(str(pk)) for pk in ids]


ALL = (DeliveryLogCategory(),)
