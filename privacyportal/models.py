from __future__ import annotations

from django.conf import settings
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
    # Rendered in this language when sent (the request's, or the page's).
    language = models.CharField(max_length=10, default=settings.LANGUAGE_CODE)
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


class DailyCount(models.Model):
    """One figure for one day, counted each night from an app's own tables.

    The dashboard's charts read these rows instead of counting a million
    requests or six million consent events per page view: a chart costs the
    same at any table size. Derived and recomputable (``figures_rollup``
    rewrites a day), so it is a cache, not evidence.
    """

    series = models.CharField(max_length=40)
    day = models.DateField()
    key = models.CharField(max_length=80)
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            # also the index for the charts: one series over a date range
            models.UniqueConstraint(
                fields=["series", "day", "key"], name="daily_count_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.day} {self.key}: {self.value}"


class AuditVerification(models.Model):
    """The result of one walk of the audit chain (the nightly check)."""

    run_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    ok = models.BooleanField()
    events_checked = models.BigIntegerField(default=0)
    # Plain words for the dashboard, e.g. "Event 1234 was changed after it was
    # written"; empty when the chain is intact.
    message = models.CharField(max_length=300, blank=True)
    # The first broken event; a break is e-mailed once, not every night.
    broken_seq = models.BigIntegerField(null=True, blank=True)
    alerted = models.BooleanField(default=False)

    class Meta:
        ordering = ["-run_at"]
        get_latest_by = "run_at"

    def __str__(self) -> str:
        state = "intact" if self.ok else "broken"
        return f"Audit check {self.run_at:%Y-%m-%d %H:%M}: {state}"
