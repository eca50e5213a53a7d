"""API keys (hashed, scoped) and the stored answers to idempotent calls."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiKeyQuerySet(models.QuerySet):
    def live(self, at=None) -> ApiKeyQuerySet:
        now = at or timezone.now()
        return self.filter(revoked_at__isnull=True).exclude(expires_at__lte=now)


class ApiKey(models.Model):
    """A key for one integration; only the SHA-256 of the key is stored."""

    name = models.CharField(
        max_length=120, unique=True, help_text="The system that uses this key."
    )
    prefix = models.CharField(max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list, blank=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty: the key works until revoked."
    )
    allowed_ips = models.TextField(
        blank=True,
        help_text="Addresses or networks (CIDR) the key may be used from, one a "
        "line. Empty: any address.",
    )
    rate_per_minute = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Calls per minute. Empty: the portal's default.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_live(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()


class IdempotentCall(models.Model):
    """The first answer to a POST sent with an ``Idempotency-Key`` header.

    Written in the transaction that does the call's work, so it exists iff
    that work was committed (see ``privacyportal.api.idempotency``).
    """

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    body = models.JSONField(null=True)
    # the hourly sweep deletes by this column
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            # one first answer per key and Idempotency-Key; a concurrent
            # duplicate waits on this index, then replays
            models.UniqueConstraint(
                fields=["api_key", "key"], name="api_idempotent_call_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Idempotent call {self.key} of key #{self.api_key_id}"
