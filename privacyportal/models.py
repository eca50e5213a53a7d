from __future__ import annotations

from django.db import models


class OutboundEmail(models.Model):
    """The e-mail outbox: what must be sent, recorded in the sender's transaction.

    The broker only carries "send #id"; if it is down, the row stays pending and
    the re-dispatch job sends it later. ``key`` makes sending idempotent: a
    reminder or campaign e-mail with the same key is queued once, ever.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    key = models.CharField(max_length=200, unique=True)
    to = models.EmailField(max_length=254)
    template = models.CharField(max_length=100)
    context = models.JSONField(default=dict, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # mail.redispatch_pending scans only the unsent rows, oldest first.
            models.Index(
                fields=["created_at"],
                name="outbox_pending_idx",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template} → {self.to} ({self.status})"


class PendingTask(models.Model):
    """A task the broker refused, kept until the re-dispatch job can send it.

    Only for work that exists nowhere else (a public "send me a link" request
    carries its e-mail address in the task itself); work recorded in its own
    table is re-dispatched from there. The row is deleted once sent.
    """

    name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.created_at:%Y-%m-%d %H:%M})"
