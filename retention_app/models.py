from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from privacyportal.retention import Action, categories
from privacyportal.subjects.models import DataSubject, Organization

# Longest retention a policy may state; anything above is a typo, not a policy.
MAX_RETENTION_DAYS = 36500


class RecordingSettings(models.Model):
    """A customer's own choices: recording on/off and how long content is kept.

    ``*_days`` None with ``*_until_deleted`` False means "use the default policy".
    """

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="recording_settings"
    )
    recording_enabled = models.BooleanField(default=True)
    recording_days = models.PositiveIntegerField(null=True, blank=True)
    recording_until_deleted = models.BooleanField(default=False)
    transcript_days = models.PositiveIntegerField(null=True, blank=True)
    transcript_until_deleted = models.BooleanField(default=False)
    # End of the grace period of the customer's last shortening change, and
    # per kind the duration in force until then (None: "until deleted", or
    # the kind was not shortened and its own duration applies).
    not_before = models.DateTimeField(null=True, blank=True)
    recording_previous_days = models.PositiveIntegerField(null=True, blank=True)
    transcript_previous_days = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "recording settings"

    def __str__(self) -> str:
        return f"Recording settings of {self.organization}"

    def explicit(self, kind: str) -> bool:
        return bool(
            getattr(self, f"{kind}_until_deleted") or getattr(self, f"{kind}_days")
        )


class RetentionPolicy(models.Model):
    """How long one category is kept, and what happens then (one row per category)."""

    category = models.CharField(max_length=60, unique=True)
    days = models.PositiveIntegerField(
        help_text="Days after the item's start date (or closing date) it is kept."
    )
    action = models.CharField(max_length=16, choices=Action.CHOICES)
    legal_basis = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    # Stored expiry dates reflect this version; the sweep skips the category
    # (finishing the recompute first) while it lags behind ``version``.
    recomputed_version = models.PositiveIntegerField(default=1)
    # A shortening change takes effect only after the grace period; until
    # then the duration it replaced still applies (items due under it go).
    not_before = models.DateTimeField(null=True, blank=True)
    previous_days = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name_plural = "retention policies"
        ordering = ["category"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(days__gte=1, days__lte=MAX_RETENTION_DAYS),
                name="retention_policy_days_sane",
            )
        ]

    def __str__(self) -> str:
        return f"{self.label}: {self.days} days (version {self.version})"

    @property
    def label(self) -> str:
        """The category as staff read it; its code when no app registers it."""
        try:
            return categories.get(self.category).label
        except KeyError:
            return self.category


class HeldQuerySet(models.QuerySet):
    def due(self, now) -> HeldQuerySet:
        # Served by the partial index "<model>_due" on eligible rows.
        return self.filter(held=False, purge_after__isnull=False, purge_after__lte=now)


class Recording(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="recordings"
    )
    meeting_title = models.CharField(max_length=300)
    started_at = models.DateTimeField()
    duration_seconds = models.PositiveIntegerField(default=0)
    participants = models.ManyToManyField(
        DataSubject, blank=True, related_name="recordings"
    )
    # Storage name of the encrypted media in private storage ("" when none).
    media = models.CharField(max_length=300, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    # SHA-256 of the plaintext, checked when the content is opened.
    checksum = models.CharField(max_length=64, blank=True)
    purge_after = models.DateTimeField(null=True, blank=True)
    # Set by the hold services; the sweep's DELETE re-checks it and a trigger
    # refuses to delete a held row on any path.
    held = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = HeldQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            # the sweep's batch query (categories.RecordingCategory)
            models.Index(
                fields=["purge_after"],
                name="recording_due",
                condition=models.Q(held=False, purge_after__isnull=False),
            ),
            # organization holds and the certificate
            models.Index(fields=["organization", "started_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_title} ({self.started_at:%Y-%m-%d})"


class ChatTranscript(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="transcripts"
    )
    # The recording of the same meeting, if any; cleared when it is deleted.
    recording = models.ForeignKey(
        Recording,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="transcripts",
    )
    meeting_title = models.CharField(max_length=300)
    started_at = models.DateTimeField()
    participants = models.ManyToManyField(
        DataSubject, blank=True, related_name="transcripts"
    )
    # Fernet token of the text under the organization's key.
    text_encrypted = models.BinaryField(default=b"")
    size_bytes = models.BigIntegerField(default=0)
    purge_after = models.DateTimeField(null=True, blank=True)
    held = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = HeldQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            # the sweep's batch query (categories.TranscriptCategory)
            models.Index(
                fields=["purge_after"],
                name="transcript_due",
                condition=models.Q(held=False, purge_after__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"Chat of {self.meeting_title} ({self.started_at:%Y-%m-%d})"


class CallRecord(models.Model):
    """A call data record: who, when, how long, how many (no content)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="call_records"
    )
    subject = models.ForeignKey(
        DataSubject,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="call_records",
    )
    started_at = models.DateTimeField()
    duration_seconds = models.PositiveIntegerField(default=0)
    participant_count = models.PositiveIntegerField(default=1)
    purge_after = models.DateTimeField(null=True, blank=True)
    held = models.BooleanField(default=False)

    objects = HeldQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            # the sweep's batch query (categories.CallRecordCategory)
            models.Index(
                fields=["purge_after"],
                name="callrecord_due",
                condition=models.Q(held=False, purge_after__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"Call {self.pk} at {self.started_at:%Y-%m-%d %H:%M}"


class JobApplicant(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "pending", "Pending"
        HIRED = "hired", "Hired"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    name = models.CharField(max_length=200)
    email = models.EmailField()
    subject = models.ForeignKey(
        DataSubject, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    position = models.CharField(max_length=200)
    applied_at = models.DateTimeField()
    outcome = models.CharField(
        max_length=16, choices=Outcome.choices, default=Outcome.PENDING
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # Only unsuccessful applicants get a date: hired people get a personnel file.
    purge_after = models.DateTimeField(null=True, blank=True)
    held = models.BooleanField(default=False)

    objects = HeldQuerySet.as_manager()

    class Meta:
        ordering = ["-applied_at"]
        indexes = [
            # the sweep's batch query (categories.ApplicantCategory)
            models.Index(
                fields=["purge_after"],
                name="applicant_due",
                condition=models.Q(held=False, purge_after__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} for {self.position}"


class ApplicantStatistic(models.Model):
    """What is left of applicants after anonymisation: counts, no persons."""

    position = models.CharField(max_length=200)
    month = models.DateField(help_text="First day of the month of application.")
    outcome = models.CharField(max_length=16)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-month", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["position", "month", "outcome"], name="applicant_stat_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.position} {self.month:%Y-%m} {self.outcome}: {self.count}"


class LegalHold(models.Model):
    class Scope(models.TextChoices):
        ORGANIZATION = "organization", "Organization"
        SUBJECT = "subject", "Data subject"
        RECORDINGS = "recordings", "Listed recordings"

    scope = models.CharField(max_length=16, choices=Scope.choices)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject = models.ForeignKey(
        DataSubject, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Ids, not a relation: the list stays evidence after a released hold's
    # recordings have been deleted.
    recording_ids = models.JSONField(default=list, blank=True)
    reason = models.TextField()
    matter_reference = models.CharField(max_length=120, blank=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    placed_at = models.DateTimeField(default=timezone.now)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-placed_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(reason=""), name="legal_hold_reason_required"
            )
        ]

    def __str__(self) -> str:
        ref = f", matter {self.matter_reference}" if self.matter_reference else ""
        return f"legal hold #{self.pk}{ref}"

    @property
    def is_active(self) -> bool:
        return self.released_at is None


class SweepRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Finished with errors"
        # Its worker died (killed, time limit): found stale by a later sweep.
        INTERRUPTED = "interrupted", "Interrupted"

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Sign of life, written every ~30 s while running: a "running" run silent
    # for longer than the task time limit died and is marked interrupted.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.RUNNING
    )
    dry_run = models.BooleanField(default=False)
    triggered_by = models.CharField(max_length=150, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    bytes_freed = models.BigIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    # Oddities that did not stop anything (a media file already missing).
    anomalies = models.JSONField(default=list, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    # Longest single batch transaction: batches must stay short (< 1 s).
    slowest_batch_seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Sweep {self.pk} at {self.started_at:%Y-%m-%d %H:%M}"


class DeletionRecord(models.Model):
    """Proof of disposition: one row per item deleted or anonymised. No personal data.

    A ledger: never updated or deleted (a PostgreSQL trigger refuses both).
    """

    class Reason(models.TextChoices):
        RETENTION = "retention", "Retention policy"
        CUSTOMER = "customer", "Customer request"
        ERASURE = "erasure", "Erasure request"

    category = models.CharField(max_length=60)
    item_id = models.CharField(max_length=64)
    organization_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=16, choices=Action.CHOICES)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    policy_key = models.CharField(max_length=60, blank=True)
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    deleted_at = models.DateTimeField(default=timezone.now)
    bytes = models.BigIntegerField(default=0)
    # No database constraint or index: a sweep writes thousands of receipts
    # per second and a per-row foreign-key check on the same run doubled the
    # cost of each receipt. Runs are never deleted (read-only in the admin).
    sweep_run = models.ForeignKey(
        SweepRun,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )

    class Meta:
        ordering = ["-deleted_at"]
        indexes = [
            # the deletion certificate: one organization over a period
            models.Index(fields=["organization_id", "deleted_at"]),
            # "was this item deleted?" (reliability test, support questions)
            models.Index(fields=["category", "item_id"]),
        ]

    def __str__(self) -> str:
        return (
            f"{self.category} {self.item_id} {self.action} {self.deleted_at:%Y-%m-%d}"
        )


class FileRemoval(models.Model):
    """Outbox of files to remove once the deletion that queued them has committed."""

    name = models.CharField(max_length=300)
    queued_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            # file_removals_process picks pending rows
            models.Index(
                fields=["queued_at"],
                name="fileremoval_pending",
                condition=models.Q(done_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.name


class OrganizationKey(models.Model):
    """A customer's content key, wrapped (encrypted) by the master key."""

    organization = models.OneToOneField(
        Organization, on_delete=models.PROTECT, related_name="+"
    )
    wrapped_key = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Key of organization {self.organization_id}"


class AccessGrant(models.Model):
    """The customer's permission for staff to open its content, for a while."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.CharField(
        max_length=200, help_text="Who at our company asked to open the content."
    )
    approved_by = models.CharField(
        max_length=200, help_text="Who approved it for the customer."
    )
    purpose = models.TextField()
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-granted_at"]

    def __str__(self) -> str:
        return f"Access grant #{self.pk} for {self.organization}"

    def active_at(self, when) -> bool:
        return self.revoked_at is None and self.granted_at <= when < self.expires_at
