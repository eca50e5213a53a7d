from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from privacyportal.registry import Outcome
from privacyportal.rules import (
    EffectiveDatedRule,
    first_day_field,
    last_day_field,
    version_constraints,
)
from privacyportal.subjects.models import DataSubject
from requests_app import calendars, deadlines
from requests_app.jurisdictions import validate_jurisdiction_code


class DeadlineRule(EffectiveDatedRule):
    """One version of a legal (or the company's) clock, in force between two dates.

    Versions of one law share a ``code``. A request keeps the version in force
    on its day of receipt (``PrivacyRequest.legal_rule``) for its whole life,
    extensions included, so a new version is added, never edited into an old
    one. Seeded by migrations (future versions too), edited by officers.
    """

    class Unit(models.TextChoices):
        DAYS = deadlines.DAYS, "calendar days"
        WORKING_DAYS = deadlines.WORKING_DAYS, "working days"
        MONTHS = deadlines.MONTHS, "calendar months"

    class Calendar(models.TextChoices):
        WEEKENDS = calendars.WEEKENDS, "Weekends and company closures only"
        ESTABLISHMENT = (
            calendars.ESTABLISHMENT,
            "Public holidays where the company is established (EU/UK)",
        )
        JURISDICTION = (
            calendars.JURISDICTION,
            "Public holidays of the requester's state or country",
        )
        UK = calendars.UK, "Bank holidays of England and Wales"
        NZ_PRIVACY_ACT = (
            calendars.NZ_PRIVACY_ACT,
            "New Zealand Privacy Act 2020: its own working days",
        )

    code = models.SlugField(
        max_length=40, help_text="The same for every version of one law."
    )
    name = models.CharField(max_length=120)
    # The company policy applies to everyone; legal rules match jurisdictions.
    is_policy = models.BooleanField(default=False)
    jurisdictions = models.JSONField(
        default=list,
        blank=True,
        help_text='Jurisdiction codes, e.g. ["EU"], ["UK"], ["US-CA", "US-VA"], '
        '["CA-QC"].',
    )
    unit = models.CharField(max_length=12, choices=Unit.choices, default=Unit.DAYS)
    amount = models.PositiveSmallIntegerField()
    calendar = models.CharField(
        max_length=20,
        choices=Calendar.choices,
        default=Calendar.WEEKENDS,
        blank=True,
        help_text="Which days are not working days, for working-day periods "
        "and for moving a deadline off a holiday.",
    )
    roll_to_working_day = models.BooleanField(
        default=False,
        help_text="A deadline on a weekend or holiday moves to the next working day.",
    )
    extension_unit = models.CharField(
        max_length=12, choices=Unit.choices, default=Unit.DAYS
    )
    extension_amount = models.PositiveSmallIntegerField(
        default=0, help_text="0 means the law sets no fixed extension."
    )
    extension_by_notice = models.BooleanField(
        "extension to a date staff name",
        default=False,
        help_text="The law sets no fixed extension but allows a further period "
        "named to the requester (staff choose the new date, at most 90 days "
        "after the current due date).",
    )
    extension_condition = models.CharField(
        max_length=300,
        blank=True,
        help_text="When the law allows more time and what the requester must be "
        "told, and by when.",
    )
    ack_business_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Acknowledge receipt within N business days (the requester's "
        "state's holidays are skipped).",
    )
    pauses_on_needs_info = models.BooleanField(
        "clock stops while we wait",
        default=False,
        help_text="The clock stops while the requester is asked for information.",
    )
    appeal_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Calendar days to decide an appeal of a refusal, where the law "
        "gives one.",
    )
    source_citation = models.CharField(
        max_length=200, blank=True, help_text="The law and its article or section."
    )
    source_url = models.URLField(max_length=300, blank=True)

    class Meta:
        ordering = ["-is_policy", "code", "-effective_from"]
        # services.common.policy_and_legal_rule: one version per code and day
        constraints = version_constraints("code")

    def __str__(self) -> str:
        return f"{self.name} ({self.in_force_label})"

    def clean(self) -> None:
        if not isinstance(self.jurisdictions, list):
            raise ValidationError({"jurisdictions": 'A list of codes, e.g. ["EU"].'})
        for code in self.jurisdictions:
            validate_jurisdiction_code(str(code))
        # Lookups compare codes exactly: store them as requests carry them.
        self.jurisdictions = [str(code).strip().upper() for code in self.jurisdictions]
        super().clean()

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
            calendar=self.calendar,
            extension_by_notice=self.extension_by_notice,
        )


class Holiday(models.Model):
    """A company closure; a blank jurisdiction applies everywhere.

    Public holidays come from the ``holidays`` calendar each rule names
    (requests_app.calendars); this table adds the days the company is shut.
    """

    date = models.DateField()
    name = models.CharField(max_length=120)
    jurisdiction = models.CharField(
        max_length=10,
        blank=True,
        validators=[validate_jurisdiction_code],
        help_text='Empty for everywhere, or a code such as "EU", "UK", "US-CA".',
    )

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["date", "jurisdiction"], name="holiday_unique_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"

    def clean(self) -> None:
        self.jurisdiction = self.jurisdiction.strip().upper()


class ReferenceCounter(models.Model):
    """The last reference number issued in a year (row-locked while issuing)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


OPEN_STATUSES = ("received", "verified", "in_progress", "needs_info")
# Statuses in which staff work runs against the clock.
CLOCK_STATUSES = ("verified", "in_progress", "needs_info")


class DenialCategory(models.TextChoices):
    NOT_VERIFIABLE = "not_verifiable", _("Identity could not be verified")
    NOT_CONSUMER = "not_consumer", _("Not made by the person or their authorised agent")
    EXEMPT = "exempt", _("An exemption applies")
    OTHER = "other", _("Other reason")


class PrivacyRequestQuerySet(models.QuerySet):
    def open(self) -> PrivacyRequestQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def on_the_clock(self) -> PrivacyRequestQuerySet:
        return self.filter(status__in=CLOCK_STATUSES)

    def running(self) -> PrivacyRequestQuerySet:
        """On the clock and not paused: a stopped clock cannot run late.

        A paused request's ``due_at`` moves by the pause when the requester
        answers, so until then it says nothing about lateness.
        """
        return self.on_the_clock().filter(paused_at__isnull=True)

    def overdue(self, now: datetime) -> PrivacyRequestQuerySet:
        return self.running().filter(due_at__lt=now)

    def due_within(self, now: datetime, days: int) -> PrivacyRequestQuerySet:
        return self.running().filter(
            due_at__gte=now, due_at__lt=now + timedelta(days=days)
        )

    def alerts_due(self, now: datetime) -> PrivacyRequestQuerySet:
        return self.filter(next_alert_at__lte=now)


class PrivacyRequest(models.Model):
    class Type(models.TextChoices):
        ACCESS = "access", _("See my information (access)")
        RECTIFICATION = "rectification", _("Correct my information")
        ERASURE = "erasure", _("Delete my information")
        RESTRICTION = "restriction", _("Restrict how it is used")
        OBJECTION = "objection", _("Object to how it is used")
        MARKETING_OPT_OUT = "marketing_opt_out", _("Stop marketing")
        COMPLAINT = "complaint", _("Make a complaint")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        VERIFIED = "verified", _("Verified")
        IN_PROGRESS = "in_progress", _("In progress")
        NEEDS_INFO = "needs_info", _("Waiting for the requester")
        COMPLETED = "completed", _("Completed")
        PARTIALLY_COMPLETED = "partially_completed", _("Partially completed")
        DENIED = "denied", _("Denied")
        WITHDRAWN = "withdrawn", pgettext_lazy("request status", "Withdrawn")
        CLOSED_UNVERIFIED = "closed_unverified", _("Closed (never verified)")
        # A second filing of an open request: linked, never worked twice.
        DUPLICATE = "duplicate", _("Duplicate")

    class Channel(models.TextChoices):
        WEB = "web", _("Web form")
        PHONE = "phone", _("Phone")
        LETTER = "letter", _("Letter")
        EMAIL = "email", _("E-mail")
        # Filed by another system through the API (POST /api/v1/requests).
        API = "api", _("API")
        # Created by the portal itself (a child flagged under 13).
        SYSTEM = "system", _("Automatic")

    class Relationship(models.TextChoices):
        CUSTOMER = "customer", _("Customer or user")
        VISITOR = "visitor", _("Website visitor")
        APPLICANT = "applicant", _("Job applicant")
        EMPLOYEE = "employee", _("Employee or former employee")
        OTHER = "other", _("Other")

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
    # The language it was filed in: every e-mail about it is written in it.
    language = models.CharField(max_length=10, default=settings.LANGUAGE_CODE)
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
    # Why, in the categories CCPA regulation § 7102 reports denials by.
    denial_category = models.CharField(
        max_length=16, choices=DenialCategory.choices, blank=True, db_default=""
    )
    denial_legal_basis = models.CharField(max_length=200, blank=True)
    staff_notes = models.TextField(blank=True)

    # Reminder bookkeeping: the stage already alerted, and when the next is due.
    alert_stage = models.PositiveSmallIntegerField(
        choices=Alert.choices, default=Alert.NONE
    )
    next_alert_at = models.DateTimeField(null=True, blank=True)

    # Erasure: approved, then run ERASURE_DELAY_HOURS later unless cancelled.
    erasure_approved_at = models.DateTimeField(null=True, blank=True)
    erasure_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    erasure_run_after = models.DateTimeField(null=True, blank=True)
    erasure_started_at = models.DateTimeField(null=True, blank=True)
    # A source failed after its last retry (or an export could not be built).
    needs_attention = models.BooleanField(default=False)
    # Set by the retention sweep when the closed request's personal fields go.
    anonymised_at = models.DateTimeField(null=True, blank=True)

    objects = PrivacyRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        permissions = [("view_reports", "Can view request reports")]
        indexes = [
            # admin changelist default ordering
            models.Index(fields=["-received_at", "-id"], name="request_received_idx"),
            # admin "due window" filters and the overdue digest (open requests only)
            models.Index(
                fields=["due_at"],
                name="request_open_due_idx",
                condition=models.Q(status__in=CLOCK_STATUSES),
            ),
            # admin queue default: open requests, most urgent first
            models.Index(
                fields=["due_at", "id"],
                name="request_open_queue_idx",
                condition=models.Q(status__in=OPEN_STATUSES),
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
            # DeadlineRuleAdmin: open requests per rule version (index-only count)
            models.Index(
                fields=["legal_rule"],
                name="request_open_rule_idx",
                condition=models.Q(status__in=OPEN_STATUSES),
            ),
            # admin search by exact e-mail; duplicate detection
            models.Index(fields=["email", "type"], name="request_email_idx"),
            # admin "assigned to me" filter
            models.Index(fields=["assignee", "status"], name="request_assignee_idx"),
            # fulfilment dispatch job: approved erasures whose delay has passed
            models.Index(
                fields=["erasure_run_after"],
                name="request_erasure_due_idx",
                condition=models.Q(
                    erasure_run_after__isnull=False, erasure_started_at__isnull=True
                ),
            ),
            # dashboard chart "open requests by jurisdiction" (index-only scan)
            models.Index(
                fields=["jurisdiction"],
                name="request_open_place_idx",
                condition=models.Q(status__in=OPEN_STATUSES),
            ),
            # dashboard tile "needs attention" (a handful among a million)
            models.Index(
                fields=["id"],
                name="request_attention_idx",
                condition=models.Q(needs_attention=True),
            ),
            # retention: closed requests not yet anonymised
            models.Index(
                fields=["closed_at"],
                name="request_closed_idx",
                condition=models.Q(closed_at__isnull=False, anonymised_at__isnull=True),
            ),
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
        STATUS = "status", _("Status change")
        CREATED = "created", _("Created")
        ASSIGNED = "assigned", _("Assigned")
        EXTENDED = "extended", _("Deadline extended")
        QUESTION = "question", _("Question to the requester")
        ANSWER = "answer", _("Answer from the requester")
        EMAIL = "email", _("E-mail sent")
        NOTE = "note", _("Note")
        OPT_OUT = "opt_out", _("Marketing opt-out")
        DUPLICATE = "duplicate", _("Duplicate filed")
        APPEAL = "appeal", _("Appeal")

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


class SourceOutcome(models.Model):
    """One erasure step: what one registry source did with the subject's data.

    The step is claimed, run and recorded in one transaction, so a committed
    outcome always means the source's own change committed too. A source in
    another database commits on its own; see ``external_started_at``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", pgettext_lazy("step status", "Done")
        FAILED = "failed", _("Failed (needs attention)")

    request = models.ForeignKey(
        PrivacyRequest, on_delete=models.CASCADE, related_name="outcomes"
    )
    source_key = models.CharField(max_length=120)
    label = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    outcome = models.CharField(max_length=20, choices=Outcome.CHOICES, blank=True)
    items = models.PositiveIntegerField(default=0)
    detail = models.TextField(blank=True)
    reason = models.TextField(blank=True)
    legal_basis = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    needs_attention = models.BooleanField(default=False)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # For a source that commits in its own database (external SQL): when an
    # attempt was about to call it, committed first. Still set on a later
    # attempt, it says an earlier one may have done the work unrecorded.
    external_started_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["request", "source_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "source_key"], name="outcome_one_per_source"
            )
        ]
        indexes = [
            # dispatch job: pending steps whose retry time has come
            models.Index(
                fields=["next_attempt_at"],
                name="outcome_pending_idx",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.source_key}: {self.outcome or self.status}"


class ExportPackage(models.Model):
    """An access-export ZIP in private storage and its download link (hash only)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be built"
        BUILDING = "building", "Building"
        READY = "ready", "Link sent"
        FAILED = "failed", "Failed (needs attention)"
        EXPIRED = "expired", "Expired, file deleted"

    request = models.ForeignKey(
        PrivacyRequest, on_delete=models.CASCADE, related_name="exports"
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    # Storage name under MEDIA_ROOT (private: no URL serves MEDIA_ROOT).
    file = models.CharField(max_length=200, blank=True)
    size = models.BigIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    max_downloads = models.PositiveSmallIntegerField(default=3)
    download_count = models.PositiveSmallIntegerField(default=0)
    last_download_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # retention sweep: live packages whose link expired or was used up
            models.Index(
                fields=["expires_at"],
                name="export_live_idx",
                condition=models.Q(status="ready"),
            ),
            # dispatch job: packages to (re)build
            models.Index(
                fields=["next_attempt_at"],
                name="export_pending_idx",
                condition=models.Q(status__in=["pending", "building"]),
            ),
        ]

    def __str__(self) -> str:
        return f"export {self.pk} of request {self.request_id}"

    @property
    def downloads_left(self) -> int:
        return max(self.max_downloads - self.download_count, 0)


class RectificationItem(models.Model):
    """One correction the requester asked for, and the staff decision on it."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Waiting for a decision")
        APPLIED = "applied", _("Corrected")
        REJECTED = "rejected", _("Not corrected")

    request = models.ForeignKey(
        PrivacyRequest, on_delete=models.CASCADE, related_name="corrections"
    )
    # "<source key>.<field>", e.g. "subjects.profile.phone".
    field = models.CharField(max_length=160)
    label = models.CharField(max_length=200, blank=True)
    new_value = models.TextField(max_length=2000)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    # The value held when staff decided (the diff they saw), for the evidence.
    old_value = models.TextField(blank=True)
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["request", "id"]

    def __str__(self) -> str:
        return f"{self.field} ({self.get_status_display()})"


class ExternalSource(models.Model):
    """A table in one of the company's own databases, registered as a source."""

    class IdentityKind(models.TextChoices):
        EMAIL = "email", "E-mail address"
        SUBJECT_ID = "subject_id", "Portal subject id"

    name = models.CharField(max_length=120)
    slug = models.SlugField(
        max_length=60, unique=True, help_text="Registry key: external.<slug>"
    )
    # Fernet-encrypted; the admin shows it with the password hidden.
    url_encrypted = models.TextField()
    table = models.CharField(max_length=128)
    identity_column = models.CharField(max_length=128)
    identity_kind = models.CharField(
        max_length=12, choices=IdentityKind.choices, default=IdentityKind.EMAIL
    )
    export_columns = models.JSONField(default=list)
    # column -> delete_row | set_null | mask | keep
    erase_modes = models.JSONField(default=dict, blank=True)
    mask_value = models.CharField(max_length=100, default="[redacted]")
    keep_legal_basis = models.CharField(
        max_length=300,
        blank=True,
        help_text="Required when nothing is erased (every column is 'keep').",
    )
    categories = models.CharField(max_length=300, blank=True)
    purposes = models.CharField(max_length=300, blank=True)
    recipients = models.CharField(max_length=300, blank=True)
    retention = models.CharField(max_length=300, blank=True)
    origin = models.CharField(max_length=300, blank=True)
    enabled = models.BooleanField(default=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        return f"external.{self.slug}"


class RequestSubmission(models.Model):
    """A public form submission accepted but not yet turned into a request.

    The form POST validates and stores only this row (one INSERT) and enqueues
    its processing; ``request_submit`` then runs in a task. The row is raw,
    already-validated input with a short life: it is deleted in the same
    transaction that creates the request, so personal data does not linger.
    """

    data = models.JSONField(default=dict)
    # /24 (IPv4) or /48 (IPv6) only, for the GPC evidence; never the full address.
    ip = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    gpc = models.BooleanField(default=False)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Re-dispatches so far: a submission that keeps failing stops being sent.
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(
                fields=["received_at"],
                name="reqsub_pending_idx",
                condition=models.Q(processed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"submission {self.pk} ({self.received_at:%Y-%m-%d %H:%M})"


class AppealRule(EffectiveDatedRule):
    """One version of a US state's appeal right, in force between two dates.

    Like ``DeadlineRule`` versions: the version in force on the day a request
    was refused governs its appeal, so a change of law is a new row, never an
    edit of one already used. A jurisdiction without a rule has no appeal (e.g.
    California, Utah, the EU: there the complaint routes apply).
    """

    VERSION_OF = "jurisdiction"
    OVERLAP_MESSAGE = (
        "Another version for this state is in force on some of these "
        "days: end it the day before this one starts."
    )

    jurisdiction = models.CharField(
        max_length=10,
        validators=[validate_jurisdiction_code],
        help_text='The code requests carry, e.g. "US-VA".',
    )
    name = models.CharField(max_length=120)
    effective_from = first_day_field("of a refusal")
    effective_to = last_day_field("of a refusal")
    window_days = models.PositiveSmallIntegerField(
        "days to file an appeal",
        default=45,
        help_text="Calendar days after the decision in which the requester may "
        "appeal. Most laws say only 'a reasonable period'; 45 is the portal's "
        "default.",
    )
    decide_days = models.PositiveSmallIntegerField(
        "days to decide an appeal",
        help_text="Calendar days from the appeal to our written decision.",
    )
    complaint_url = models.URLField(
        "attorney general's complaint page",
        max_length=300,
        help_text="Given to the requester when an appeal is denied.",
    )
    source_citation = models.CharField(
        max_length=200, blank=True, help_text="The law and its section."
    )

    class Meta:
        ordering = ["jurisdiction", "-effective_from"]
        # services.appeals.rule_for: one version per state and day
        constraints = version_constraints("jurisdiction")

    def __str__(self) -> str:
        return f"{self.name} (from {self.effective_from:%-d %b %Y})"

    def clean(self) -> None:
        self.jurisdiction = self.jurisdiction.strip().upper()
        super().clean()


class AppealQuerySet(models.QuerySet):
    def alerts_due(self, now: datetime) -> AppealQuerySet:
        return self.filter(next_alert_at__lte=now, status=Appeal.Status.OPEN)

    def pending(self) -> AppealQuerySet:
        return self.filter(status=Appeal.Status.OPEN)

    # overdue and due_within: the names the queue's "due" filter calls.
    def overdue(self, now: datetime) -> AppealQuerySet:
        return self.pending().filter(due_at__lt=now)

    def due_within(self, now: datetime, days: int) -> AppealQuerySet:
        return self.pending().filter(
            due_at__gte=now, due_at__lt=now + timedelta(days=days)
        )


class Appeal(models.Model):
    """A requester's appeal of a refused (or partly refused) request."""

    class Status(models.TextChoices):
        OPEN = "open", _("Being reviewed")
        UPHELD = "upheld", _("Upheld: we reopened your request")
        DENIED = "denied", pgettext_lazy("appeal status", "Not upheld")

    request = models.ForeignKey(
        PrivacyRequest, on_delete=models.CASCADE, related_name="appeals"
    )
    rule = models.ForeignKey(AppealRule, on_delete=models.PROTECT)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN
    )
    # The decision appealed: the request's status and decider when filed.
    appealed_status = models.CharField(max_length=20)
    appealed_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    text = models.TextField(max_length=5000)
    language = models.CharField(max_length=10, default=settings.LANGUAGE_CODE)
    filed_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reasons = models.TextField(blank=True)
    alert_stage = models.PositiveSmallIntegerField(
        choices=PrivacyRequest.Alert.choices, default=PrivacyRequest.Alert.NONE
    )
    next_alert_at = models.DateTimeField(null=True, blank=True)

    objects = AppealQuerySet.as_manager()

    class Meta:
        ordering = ["-filed_at", "-id"]
        permissions = [("decide_appeal", "Can decide appeals of refused requests")]
        constraints = [
            # services.appeals.appeal_file: one appeal under review per request
            models.UniqueConstraint(
                fields=["request"],
                condition=models.Q(status="open"),
                name="appeal_one_open",
            ),
        ]
        indexes = [
            # hourly job: appeal reminders and escalations due now
            models.Index(
                fields=["next_alert_at"],
                name="appeal_alert_idx",
                condition=models.Q(next_alert_at__isnull=False, status="open"),
            ),
        ]

    def __str__(self) -> str:
        return f"Appeal of {self.request}"
