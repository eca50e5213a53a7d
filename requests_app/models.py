from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from privacyportal.subjects.models import DataSubject
from requests_app import deadlines


class DeadlineRule(models.Model):
    """A legal (or the company's) clock; seeded by migration, edited by officers."""

    class Unit(models.TextChoices):
        DAYS = deadlines.DAYS, "calendar days"
        MONTHS = deadlines.MONTHS, "calendar months"

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    # The company policy applies to everyone; legal rules match jurisdictions.
    is_policy = models.BooleanField(default=False)
    jurisdictions = models.JSONField(
        default=list,
        blank=True,
        help_text='Jurisdiction codes, e.g. ["EU"], ["UK"], ["US-CA", "US-VA"].',
    )
    unit = models.CharField(max_length=10, choices=Unit.choices, default=Unit.DAYS)
    amount = models.PositiveSmallIntegerField()
    roll_to_working_day = models.BooleanField(
        default=False,
        help_text="A deadline on a weekend or holiday moves to the next working day.",
    )
    extension_unit = models.CharField(
        max_length=10, choices=Unit.choices, default=Unit.DAYS
    )
    extension_amount = models.PositiveSmallIntegerField(
        default=0, help_text="0 means the law allows no extension."
    )
    ack_business_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Acknowledge receipt within N business days."
    )
    pauses_on_needs_info = models.BooleanField(
        default=False,
        help_text="The clock stops while the requester is asked for information.",
    )

    class Meta:
        ordering = ["-is_policy", "code"]

    def __str__(self) -> str:
        return self.name

    def spec(self) -> deadlines.RuleSpec:
        return deadlines.RuleSpec(
            code=self.code,
            unit=self.unit,
            amount=self.amount,
            roll_to_working_day=self.roll_to_working_day,
            extension_unit=self.extension_unit,
            extension_amount=self.extension_amount,
            ack_business_days=self.ack_business_days,
            pauses_on_needs_info=self.pauses_on_needs_info,
        )


class Holiday(models.Model):
    """A non-working day; a blank jurisdiction applies everywhere."""

    date = models.DateField()
    name = models.CharField(max_length=120)
    jurisdiction = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["date", "jurisdiction"], name="holiday_unique_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class ReferenceCounter(models.Model):
    """The last reference number issued in a year (row-locked while issuing)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


OPEN_STATUSES = ("received", "verified", "in_progress", "needs_info")
# Statuses in which staff work runs against the clock.
CLOCK_STATUSES = ("verified", "in_progress", "needs_info")


class PrivacyRequestQuerySet(models.QuerySet):
    def open(self) -> PrivacyRequestQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def on_the_clock(self) -> PrivacyRequestQuerySet:
        return self.filter(status__in=CLOCK_STATUSES)

    def overdue(self, now: datetime) -> PrivacyRequestQuerySet:
        return self.on_the_clock().filter(due_at__lt=now)

    def due_within(self, now: datetime, days: int) -> PrivacyRequestQuerySet:
        return self.on_the_clock().filter(
            due_at__gte=now, due_at__lt=now + timedelta(days=days)
        )

    def alerts_due(self, now: datetime) -> PrivacyRequestQuerySet:
        return self.filter(next_alert_at__lte=now)


class PrivacyRequest(models.Model):
    class Type(models.TextChoices):
        ACCESS = "access", "See my information (access)"
        RECTIFICATION = "rectification", "Correct my information"
        ERASURE = "erasure", "Delete my information"
        RESTRICTION = "restriction", "Restrict how it is used"
        OBJECTION = "objection", "Object to how it is used"
        MARKETING_OPT_OUT = "marketing_opt_out", "Stop marketing"
        COMPLAINT = "complaint", "Make a complaint"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        VERIFIED = "verified", "Verified"
        IN_PROGRESS = "in_progress", "In progress"
        NEEDS_INFO = "needs_info", "Waiting for the requester"
        COMPLETED = "completed", "Completed"
        PARTIALLY_COMPLETED = "partially_completed", "Partially completed"
        DENIED = "denied", "Denied"
        WITHDRAWN = "withdrawn", "Withdrawn"
        CLOSED_UNVERIFIED = "closed_unverified", "Closed (never verified)"
        # A second filing of an open request: linked, never worked twice.
        DUPLICATE = "duplicate", "Duplicate"

    class Channel(models.TextChoices):
        WEB = "web", "Web form"
        PHONE = "phone", "Phone"
        LETTER = "letter", "Letter"
        EMAIL = "email", "E-mail"

    class Relationship(models.TextChoices):
        CUSTOMER = "customer", "Customer or user"
        VISITOR = "visitor", "Website visitor"
        APPLICANT = "applicant", "Job applicant"
        EMPLOYEE = "employee", "Employee or former employee"
        OTHER = "other", "Other"

    class Alert(models.IntegerChoices):
        NONE = 0, "none"
        DAYS_7 = 1, "7 days left"
        DAYS_2 = 2, "2 days left"
        OVERDUE = 3, "overdue"

    reference = models.CharField(max_length=20, unique=True)
    type = models.CharField(max_length=20, choices=Type.choices)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    channel = models.CharField(
        max_length=10, choices=Channel.choices, default=Channel.WEB
    )
    subject = models.ForeignKey(
        DataSubject,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="privacy_requests",
    )
    # What the requester typed; e-mail is stored normalised.
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2)
    region = models.CharField(max_length=10, blank=True)
    jurisdiction = models.CharField(max_length=10)
    relationship = models.CharField(max_length=12, choices=Relationship.choices)
    details = models.TextField(blank=True, max_length=5000)
    is_agent = models.BooleanField(default=False)
    agent_name = models.CharField(max_length=200, blank=True)
    agent_email = models.EmailField(max_length=254, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
    )

    received_at = models.DateTimeField(default=timezone.now)
    verified_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    ack_due_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField()
    policy_due_at = models.DateTimeField()
    legal_due_at = models.DateTimeField(null=True, blank=True)
    legal_rule = models.ForeignKey(
        DeadlineRule, on_delete=models.PROTECT, null=True, blank=True
    )
    extended_at = models.DateTimeField(null=True, blank=True)
    extension_reason = models.TextField(blank=True)
    extended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_days = models.PositiveIntegerField(default=0)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_privacy_requests",
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="entered_privacy_requests",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome_summary = models.TextField(blank=True)
    denial_reason = models.TextField(blank=True)
    denial_legal_basis = models.CharField(max_length=200, blank=True)
    staff_notes = models.TextField(blank=True)

    # Reminder bookkeeping: the stage already alerted, and when the next is due.
    alert_stage = models.PositiveSmallIntegerField(
        choices=Alert.choices, default=Alert.NONE
    )
    next_alert_at = models.DateTimeField(null=True, blank=True)

    objects = PrivacyRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            # admin changelist default ordering
            models.Index(fields=["-received_at", "-id"], name="request_received_idx"),
            # admin "due window" filters and the overdue digest (open requests only)
            models.Index(
                fields=["due_at"],
                name="request_open_due_idx",
                condition=models.Q(status__in=CLOCK_STATUSES),
            ),
            # hourly job: reminders and escalations due now
            models.Index(
                fields=["next_alert_at"],
                name="request_alert_idx",
                condition=models.Q(next_alert_at__isnull=False),
            ),
            # hourly job: close unverified requests
            models.Index(
                fields=["received_at"],
                name="request_unverified_idx",
                condition=models.Q(status="received"),
            ),
            # hourly job: acknowledgements a law demands
            models.Index(
                fields=["ack_due_at"],
                name="request_ack_pending_idx",
                condition=models.Q(
                    acknowledged_at__isnull=True,
                    ack_due_at__isnull=False,
                    status__in=OPEN_STATUSES,
                ),
            ),
            # admin search by exact e-mail; duplicate detection
            models.Index(fields=["email", "type"], name="request_email_idx"),
            # admin "assigned to me" filter
            models.Index(fields=["assignee", "status"], name="request_assignee_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def days_left(self) -> int:
        return deadlines.days_left(
            self.due_at, timezone.now(), timezone.get_current_timezone()
        )


class RequestEvent(models.Model):
    """One entry of a request's timeline; messages to or from the requester too."""

    class Kind(models.TextChoices):
        STATUS = "status", "Status change"
        CREATED = "created", "Created"
        ASSIGNED = "assigned", "Assigned"
        EXTENDED = "extended", "Deadline extended"
        QUESTION = "question", "Question to the requester"
        ANSWER = "answer", "Answer from the requester"
        EMAIL = "email", "E-mail sent"
        NOTE = "note", "Note"
        OPT_OUT = "opt_out", "Marketing opt-out"
        DUPLICATE = "duplicate", "Duplicate filed"

    request = models.ForeignKey(
        PrivacyRequest, on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    actor_label = models.CharField(max_length=150, blank=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    message = models.TextField(blank=True)
    # Shown on the requester's status page (staff questions, the requester's answers).
    public = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["request", "at"], name="request_event_idx")]

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class RequestLink(models.Model):
    """A secret link sent to the requester; only the token's SHA-256 is stored."""

    class Purpose(models.TextChoices):
        VERIFY = "verify", "Verify the e-mail address"
        STATUS = "status", "See the request's status"

    request = models.ForeignKey(
        PrivacyRequest, on_delete=models.CASCADE, related_name="links"
    )
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    # Verification links are single-use; a resend retires the older ones too.
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # retention of stale links; resend retires a request's live links
            models.Index(fields=["request", "purpose"], name="request_link_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} link of request {self.request_id}"
