"""Subscriptions and deliveries: every write of the webhooks app.

Invariants:
- a delivery row is written in the transaction of the audit event it
  announces, so an event that committed is never lost; the POST happens only
  after commit (a task, and the due-dispatch job for a lost task);
- a delivery is sent by whoever claims it: a conditional UPDATE to "sending"
  with a fresh claim token and a lease; a duplicated task finds nothing to
  claim, and a claim whose worker died is taken over once its lease ends;
- a result is written only by the holder of the claim (token checked);
- a subscription is disabled once, by a conditional UPDATE, and only that
  disable e-mails the Privacy Officers.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from privacyportal import audit
from privacyportal.api.webhooks import netguard, signing
from privacyportal.api.webhooks.events import MAKERS, events_for, payload
from privacyportal.api.webhooks.models import (
    EVENT_TYPES,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from privacyportal.api.webhooks.sending import Result, body_of, headers_for, post
from privacyportal.audit.models import AuditEvent
from privacyportal.audit.services import Actor
from privacyportal.tasks import enqueue

D = WebhookDelivery.Status
SYSTEM = Actor.system("webhook delivery")
# Wait before attempt 2, 3, ...: 1 m, 5 m, 30 m, 2 h, 6 h, 15 h (23 h 36 m in all).
BACKOFF = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=15),
]
MAX_ATTEMPTS = len(BACKOFF) + 1
# Longer than a connect plus a read timeout: a claim this old lost its worker.
LEASE = timedelta(minutes=2)
DISPATCH_BATCH = 500
URL_MAX = WebhookSubscription._meta.get_field("url").max_length


class WebhookError(Exception):
    """A subscription or delivery change refused; the message says why."""


# --- subscriptions ------------------------------------------------------------


def check(name: str, url: str, event_types: Iterable[str]) -> tuple[str, list[str]]:
    """The cleaned name and event types, or WebhookError naming what is wrong."""
    if not name.strip():
        raise WebhookError("A subscription needs a name (the system receiving it).")
    types = sorted(set(event_types))
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown or not types:
        raise WebhookError("Choose at least one of the listed event types.")
    if len(url) > URL_MAX:
        raise WebhookError(f"The URL is longer than {URL_MAX} characters.")
    try:
        netguard.check_url(url)
    except netguard.UnsafeURL as exc:
        raise WebhookError(str(exc)) from None
    return name.strip(), types


def subscription_create(
    *, actor: Any, name: str, url: str, event_types: Iterable[str]
) -> tuple[WebhookSubscription, str]:
    """Create an active subscription; its secret is returned once, kept encrypted."""
    name, types = check(name, url, event_types)
    raw, encrypted = signing.new_secret()
    with transaction.atomic():
        sub = WebhookSubscription.objects.create(
            name=name,
            url=url,
            event_types=types,
            secret_encrypted=encrypted,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit.record(
            "webhooks.subscription.created",
            actor=actor,
            target=sub,
            data={"event_types": types},
        )
    return sub, raw


def subscription_update(
    *,
    actor: Any,
    subscription: WebhookSubscription,
    name: str,
    url: str,
    event_types: Iterable[str],
) -> None:
    name, types = check(name, url, event_types)
    with transaction.atomic():
        WebhookSubscription.objects.filter(pk=subscription.pk).update(
            name=name, url=url, event_types=types
        )
        audit.record(
            "webhooks.subscription.changed",
            actor=actor,
            target=subscription,
            data={"event_types": types},
        )


def subscription_enable(*, actor: Any, subscription: WebhookSubscription) -> bool:
    """Turn a disabled subscription back on, with a clean failure count."""
    with transaction.atomic():
        done = WebhookSubscription.objects.filter(
            pk=subscription.pk, active=False
        ).update(
            active=True, disabled_at=None, disabled_reason="", deliveries_given_up=0
        )
        if done:
            audit.record(
                "webhooks.subscription.enabled", actor=actor, target=subscription
            )
    return bool(done)


def subscription_disable(
    *, actor: Any, subscription: WebhookSubscription, reason: str
) -> bool:
    """Stop sending to a subscription; its pending deliveries wait for re-enabling."""
    with transaction.atomic():
        done = WebhookSubscription.objects.filter(
            pk=subscription.pk, active=True
        ).update(active=False, disabled_at=timezone.now(), disabled_reason=reason)
        if done:
            audit.record(
                "webhooks.subscription.disabled",
                actor=actor,
                target=subscription,
                data={"reason": reason},
            )
    return bool(done)


# --- recording events (the audit subscriber) ------------------------------------


def on_audit_event(event: AuditEvent) -> None:
    """Record a delivery per matching active subscription, in the same transaction."""
    if event.action not in MAKERS:
        return
    subscriptions = list(
        WebhookSubscription.objects.filter(active=True).values_list("pk", "event_types")
    )
    if not subscriptions:
        return
    rows = [
        row
        for made in events_for(event)
        for row in _deliveries(made, subscriptions, event.occurred_at)
    ]
    for row in WebhookDelivery.objects.bulk_create(rows):
        enqueue(_task(), row.pk)


def _deliveries(
    made: Any, subscriptions: list[tuple[int, list[str]]], at: Any
) -> list[WebhookDelivery]:
    event_id = uuid.uuid4()  # the same for every subscription receiving it
    body = payload(made, event_id=str(event_id), occurred_at=at.isoformat())
    return [
        WebhookDelivery(
            subscription_id=pk,
            event_id=event_id,
            event_type=made.type,
            payload=body,
            next_attempt_at=at,
        )
        for pk, types in subscriptions
        if made.type in types
    ]


def _task() -> Any:
    from privacyportal.api.webhooks.tasks import webhook_deliver_task

    return webhook_deliver_task


# --- sending ------------------------------------------------------------------


def delivery_attempt(*, delivery_id: int) -> str:
    """Send a due delivery once; "delivered", "retry", "failed" or "skipped"."""
    now = timezone.now()
    token = _claim(delivery_id, now)
    if token is None:
        return "skipped"  # not due, already sent, or another worker has it
    delivery = WebhookDelivery.objects.select_related("subscription").get(
        pk=delivery_id
    )
    sub = delivery.subscription
    body = body_of(delivery.payload)
    headers = headers_for(
        event_type=delivery.event_type,
        delivery_id=delivery.pk,
        secret=signing.reveal(sub.secret_encrypted),
        body=body,
        timestamp=int(now.timestamp()),
    )
    result = post(sub.url, body, headers)
    return _settle(delivery, token, result, attempted_at=now)


def _claim(delivery_id: int, now: Any) -> uuid.UUID | None:
    token = uuid.uuid4()
    due = Q(status=D.PENDING, next_attempt_at__lte=now) | Q(
        status=D.SENDING, claimed_until__lt=now
    )
    active = WebhookSubscription.objects.filter(active=True).values("pk")
    # Conditions on the delivery's own columns, not through a join: PostgreSQL
    # re-checks those after waiting for a concurrent claim, whereas a join makes
    # Django write "id IN (subquery)", which is not re-checked, and both win.
    claimed = WebhookDelivery.objects.filter(
        due, pk=delivery_id, subscription_id__in=active
    ).update(status=D.SENDING, claim=token, claimed_until=now + LEASE)
    return token if claimed else None


def _settle(
    delivery: WebhookDelivery, token: uuid.UUID, result: Result, *, attempted_at: Any
) -> str:
    number = delivery.attempts + 1
    outcome, fields = _outcome(number, result, attempted_at)
    with transaction.atomic():
        mine = WebhookDelivery.objects.filter(
            pk=delivery.pk, status=D.SENDING, claim=token
        ).update(
            attempts=number,
            last_status_code=result.status_code,
            last_error=result.error,
            claim=None,
            claimed_until=None,
            **fields,
        )
        if not mine:  # our lease ran out and another worker took over
            return "skipped"
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=number,
            attempted_at=attempted_at,
            status_code=result.status_code,
            error=result.error,
            duration_ms=result.duration_ms,
        )
        _count(delivery.subscription, outcome)
    return outcome


def _outcome(number: int, result: Result, now: Any) -> tuple[str, dict]:
    if result.ok:
        return "delivered", {
            "status": D.DELIVERED,
            "delivered_at": timezone.now(),
            "next_attempt_at": None,
        }
    if number >= MAX_ATTEMPTS:
        return "failed", {"status": D.FAILED, "next_attempt_at": None}
    return "retry", {"status": D.PENDING, "next_attempt_at": now + BACKOFF[number - 1]}


def _count(sub: WebhookSubscription, outcome: str) -> None:
    """Given-up deliveries in a row; enough of them disable the subscription."""
    subs = WebhookSubscription.objects.filter(pk=sub.pk)
    if outcome == "delivered":
        subs.exclude(deliveries_given_up=0).update(deliveries_given_up=0)
        return
    if outcome != "failed":
        return
    subs.update(deliveries_given_up=F("deliveries_given_up") + 1)
    given_up = subs.values_list("deliveries_given_up", flat=True).get()
    if given_up >= settings.WEBHOOK_DISABLE_AFTER:
        reason = f"{given_up} deliveries in a row failed for 24 hours"
        if subscription_disable(actor=SYSTEM, subscription=sub, reason=reason):
            _tell_officers(sub, reason)


def _tell_officers(sub: WebhookSubscription, reason: str) -> None:
    from requests_app.services.common import email_staff, privacy_officers

    email_staff(
        privacy_officers(),
        "webhook_disabled",
        f"webhook-disabled:{sub.pk}:{timezone.now():%Y%m%d%H%M%S}",
        {"name": sub.name, "url": sub.url, "reason": reason},
    )


def deliveries_dispatch_due(*, now: Any = None, limit: int = DISPATCH_BATCH) -> int:
    """Enqueue deliveries that are due (retries, and tasks the broker lost)."""
    now = now or timezone.now()
    due = Q(status=D.PENDING, next_attempt_at__lte=now) | Q(
        status=D.SENDING, claimed_until__lt=now
    )
    ids = list(
        WebhookDelivery.objects.filter(due, subscription__active=True)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        enqueue(_task(), pk)  # a refused send is logged; the next run tries again
    return len(ids)


def delivery_redeliver(*, actor: Any, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send an event again as a new delivery (same event id, its own log)."""
    with transaction.atomic():
        # No row lock: FOR UPDATE here, then the audit chain lock, would
        # deadlock with a service that holds the chain lock and inserts a
        # delivery (its foreign key takes a share lock on this row).
        sub = WebhookSubscription.objects.get(pk=delivery.subscription_id)
        if not sub.active:
            raise WebhookError(
                f"{sub.name} is disabled: enable it before sending events again."
            )
        copy = WebhookDelivery.objects.create(
            subscription=sub,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            payload=delivery.payload,
            next_attempt_at=timezone.now(),
            redelivery_of=delivery,
        )
        audit.record(
            "webhooks.delivery.redelivered",
            actor=actor,
            target=copy,
            data={"of": delivery.pk, "event_type": delivery.event_type},
        )
        enqueue(_task(), copy.pk)
    return copy
