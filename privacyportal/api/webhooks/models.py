from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

EVENT_TYPES = {
    "request.verified": "A privacy request was verified",
    "request.completed": "A privacy request was completed",
    "request.erasure_completed": "An erasure request was completed",
    "consent.changed": "A consent was granted or withdrawn",
    "recording.deleted": "A recording was deleted",
    "subject.erased": "A data subject's record was erased",
}


class WebhookSubscription(models.Model):
    """An endpoint that receives signed POSTs for the event types it chose."""

    name = models.CharField(max_length=120, help_text="The system that receives it.")
    url = models.URLField("Endpoint URL", max_length=500)
    event_types = models.JSONField(default=list)
    # Fernet token of the signing secret (HMAC needs the raw secret to sign).
    secret_encrypted = models.TextField(editable=False)
    active = models.BooleanField("enabled", default=True, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=300, blank=True, editable=False)
    # Deliveries given up in a row since the last successful one.
    deliveries_given_up = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = "webhook subscription"

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One event for one subscription, with its attempts; the DB is the queue."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up"

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    # Shared by the deliveries of one event to several subscriptions.
    event_id = models.UUIDField(default=uuid.uuid4, editable=False)
    event_type = models.CharField(max_length=40, choices=list(EVENT_TYPES.items()))
    payload = models.JSONField()
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set while a worker sends; a claim older than this was lost with its worker.
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim = models.UUIDField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # A manual redelivery names the delivery it repeats.
    redelivery_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at"]
        indexes = [
            # deliveries_dispatch_due and the claim: only unfinished rows are
            # indexed, so the scan stays small however long the log grows
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due",
                condition=models.Q(status__in=["pending", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        what = EVENT_TYPES.get(self.event_type, self.event_type)
        return f"{what}, to {self.subscription}"


class WebhookAttempt(models.Model):
    """One POST: what came back, never the response body."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveSmallIntegerField()
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["delivery", "number"]
        verbose_name = "attempt"
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "number"], name="webhook_attempt_once"
            )
        ]

    def __str__(self) -> str:
        return f"Attempt {self.number}"
