from __future__ import annotations

from django.db import models


class AuditEvent(models.Model):
    """One link of the audit chain. Never updated except by redaction.

    ``hash`` is an HMAC over a canonical form of every column below except
    ``personal``: for that field only its salted digest is covered, so erasure
    can clear the value, set ``redacted`` and leave the chain verifiable.
    """

    class ActorType(models.TextChoices):
        USER = "user", "Staff user"
        SUBJECT = "subject", "Data subject"
        SYSTEM = "system", "System"
        API_KEY = "api_key", "API key"

    # seq orders the chain; it is assigned under the append lock, never reused.
    seq = models.BigIntegerField(unique=True, editable=False)
    occurred_at = models.DateTimeField(db_index=True)
    actor_type = models.CharField(max_length=16, choices=ActorType.choices)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=100, db_index=True)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    # The data subject the event is about, so erasure can find and redact it.
    subject_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    data = models.JSONField(default=dict, blank=True)
    personal = models.JSONField(default=dict, blank=True)
    personal_salt = models.CharField(max_length=32, blank=True)
    personal_digest = models.CharField(max_length=64, blank=True)
    redacted = models.BooleanField(default=False)
    redacted_at = models.DateTimeField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]
        indexes = [
            # admin filters "target" and the object history links
            models.Index(fields=["target_type", "target_id"]),
            # admin filter "actor"
            models.Index(fields=["actor_type", "actor_id"]),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.target_type}:{self.target_id}"
