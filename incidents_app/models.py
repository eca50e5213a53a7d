"""The incident and breach register (GDPR Art. 33(5)): every breach, notified or not."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from incidents_app import clocks
from privacyportal.rules import (
    EffectiveDatedRule,
    first_day_field,
    last_day_field,
    version_constraints,
)
from requests_app.jurisdictions import US_STATES


class IncidentCounter(models.Model):
    """The last incident number of a year (INC-2026-0001); see services."""

    year = models.PositiveIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class IncidentQuerySet(models.QuerySet):
    def awaiting_authority(self) -> IncidentQuerySet:
        """Incidents whose notification to the authority is neither made nor ruled out.

        The reminder scan reads these (index ``incident_status_aware``).
        """
        return self.filter(status__in=[Incident.Status.OPEN, Incident.Status.ASSESSED])

    def not_closed(self) -> IncidentQuerySet:
        return self.exclude(status=Incident.Status.CLOSED)

    def clock_running(self, now: datetime) -> IncidentQuerySet:
        """Awaiting the authority, and the notice period not yet over."""
        start = now - timedelta(hours=clocks.AUTHORITY_HOURS)
        return self.awaiting_authority().filter(became_aware_at__gt=start)

    def notification_overdue(self, now: datetime) -> IncidentQuerySet:
        """Awaiting the authority after the notice period (the scan has escalated)."""
        start = now - timedelta(hours=clocks.AUTHORITY_HOURS)
        return self.awaiting_authority().filter(became_aware_at__lte=start)

    def notices_sending(self) -> IncidentQuerySet:
        """With a notice to the people affected being sent now (one run each)."""
        return self.filter(notice_runs__status=NoticeRun.Status.RUNNING)


class Incident(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open (being assessed)"
        ASSESSED = "assessed", "Assessed: authority to be notified"
        NOTIFIED = "notified", "Authority notified"
        NOT_NOTIFIABLE = "not_notifiable", "Not notifiable"
        CLOSED = "closed", "Closed"

    class Risk(models.TextChoices):
        UNKNOWN = "", "Not yet assessed"
        NONE = "none", "Unlikely to result in a risk"
        RISK = "risk", "Risk to people's rights"
        HIGH = "high", "High risk to people's rights"

    reference = models.CharField(max_length=20, unique=True, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(help_text="What happened, as far as known.")
    became_aware_at = models.DateTimeField(
        "became aware at",
        help_text="When the company became reasonably certain a breach happened; "
        "the hours to notify the authority (72 under the GDPR) run from here.",
    )
    occurred_from = models.DateTimeField(null=True, blank=True)
    occurred_to = models.DateTimeField(null=True, blank=True)
    data_categories = models.JSONField("categories of data", default=list, blank=True)
    other_data_categories = models.CharField(
        "other categories of data", max_length=500, blank=True
    )
    subject_categories = models.CharField(
        "categories of people",
        max_length=500,
        blank=True,
        help_text="e.g. customers, conference participants, job applicants.",
    )
    approx_subjects = models.PositiveIntegerField(
        "approximate number of people", null=True, blank=True
    )
    approx_records = models.PositiveIntegerField(
        "approximate number of records", null=True, blank=True
    )
    consequences = models.TextField("likely consequences", blank=True)
    measures = models.TextField("measures taken or proposed", blank=True)
    jurisdictions = models.JSONField(
        "where the people affected live",
        default=list,
        blank=True,
        help_text="EU / EEA, United Kingdom, US states.",
    )
    risk = models.CharField(max_length=10, choices=Risk.choices, blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.OPEN, editable=False
    )
    notify_authority = models.BooleanField("notify the authority", null=True)
    decision_reasons = models.TextField("reasons for the decision", blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notify_people = models.BooleanField("tell the people affected", null=True)
    people_reason = models.TextField(
        "reason for telling or not telling them", blank=True
    )
    authority_notified_at = models.DateTimeField(null=True, blank=True)
    authority_reference = models.CharField(
        "authority's reference", max_length=100, blank=True
    )
    late_reason = models.TextField("reason for notifying late", blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The last reminder point (elapsed hours, clocks.reminder_hours) claimed by
    # the scan; 0 = none.
    reminded_hours = models.PositiveSmallIntegerField(default=0, editable=False)
    escalated_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-became_aware_at"]
        indexes = [
            # services.incidents_scan: open incidents by awareness time.
            models.Index(
                fields=["status", "became_aware_at"], name="incident_status_aware"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(occurred_to__isnull=True)
                | Q(occurred_from__isnull=True)
                | Q(occurred_to__gte=models.F("occurred_from")),
                name="incident_occurred_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def authority_hours(self) -> int:
        """The notice period in force when the company became aware."""
        return clocks.authority_hours_at(self.became_aware_at, self.jurisdictions)

    @property
    def authority_due_at(self) -> datetime:
        return clocks.authority_due(self.became_aware_at, self.authority_hours)

    @property
    def awaiting_authority(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.ASSESSED)


class StateNoticeRule(EffectiveDatedRule):
    """How many days a US state gives to tell its residents of a breach.

    Seeded from a summary (migration 0002): counsel must verify each row; staff
    edit them here. A state without a version in force on the day the company
    became aware sets no number of days. Rows seeded before versions existed
    start on 1 Jan 2000, before any incident in the register.
    """

    VERSION_OF = "state"
    OVERLAP_MESSAGE = (
        "Another period for this state is in force on some of these days: "
        "end it the day before this one starts."
    )

    state = models.CharField(max_length=2, help_text="e.g. CO")
    effective_from = first_day_field("of becoming aware")
    effective_to = last_day_field("of becoming aware")
    days = models.PositiveSmallIntegerField(
        help_text="Calendar days from becoming aware."
    )
    notes = models.CharField(max_length=300, blank=True)
    verified_by_counsel = models.BooleanField(default=False)

    class Meta:
        ordering = ["state", "-effective_from"]
        verbose_name = "US state notice period"
        # services.state_notice_dates: one version per state and day
        constraints = version_constraints("state")

    def __str__(self) -> str:
        # The change page's heading and the audit trail read this: the state's
        # name, not its two-letter code.
        state = dict(US_STATES).get(self.state, self.state)
        return f"{state}: {self.days} days ({self.in_force_label})"

    def clean(self) -> None:
        self.state = self.state.strip().upper()
        super().clean()


class AuthorityNoticeRule(EffectiveDatedRule):
    """Hours to notify the supervisory authority of a breach (GDPR Art. 33(1)).

    Versions of one law share a ``code``. An incident is counted under the
    versions in force on the day the company became aware; where several apply
    to the people affected, the shortest period wins (clocks.authority_hours).
    """

    OVERLAP_MESSAGE = (
        "Another version of this notice period is in force on some of these "
        "days: end it the day before this one starts."
    )

    code = models.SlugField(
        max_length=40, help_text="The same for every version of one law."
    )
    name = models.CharField(max_length=120)
    jurisdictions = models.JSONField(
        default=list, help_text='Where the people affected live: ["EU"], ["UK"].'
    )
    effective_from = first_day_field("of becoming aware")
    effective_to = last_day_field("of becoming aware")
    hours = models.PositiveSmallIntegerField(
        "hours to notify the authority",
        help_text="Elapsed hours from becoming aware of the breach.",
    )
    source_citation = models.CharField(max_length=200, blank=True)
    source_url = models.URLField(max_length=300, blank=True)

    class Meta:
        ordering = ["code", "-effective_from"]
        verbose_name = "authority notice period"
        # clocks.authority_hours_at: one version per law and day
        constraints = version_constraints("code")

    def __str__(self) -> str:
        return f"{self.name} ({self.in_force_label})"

    def clean(self) -> None:
        if not isinstance(self.jurisdictions, list) or not self.jurisdictions:
            raise ValidationError(
                {"jurisdictions": "Choose where the people affected live."}
            )
        self.jurisdictions = [str(code).strip().upper() for code in self.jurisdictions]
        if self.hours is not None and self.hours < 1:
            raise ValidationError({"hours": "A period of at least one hour."})
        super().clean()


# --- Compromised-account reports ------------------------------------------------
# "If you think that your account or personal information has been compromised,
# please contact us": the public form (public.py) files a report, the reporter
# confirms it by e-mail, and staff may open an Incident from it (services).


class CompromiseCounter(models.Model):
    """The last report number of a year (CR-2026-0001); see services."""

    year = models.PositiveIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class CompromiseReport(models.Model):
    class Status(models.TextChoices):
        UNCONFIRMED = "unconfirmed", "Waiting for the reporter to confirm"
        RECEIVED = "received", "Confirmed: to be looked at"
        INCIDENT_OPENED = "incident_opened", "Incident opened"

    # Given when the reporter confirms, so unconfirmed spam uses no numbers.
    reference = models.CharField(
        max_length=20, unique=True, null=True, blank=True, editable=False
    )
    status = models.CharField(
        max_length=20,
        choices=Status.choices,
        default=Status.UNCONFIRMED,
        editable=False,
    )
    what_happened = models.TextField("what happened")
    happened_on = models.DateField("when it happened", null=True, blank=True)
    email = models.EmailField("reporter's e-mail address", max_length=254)
    phone = models.CharField("reporter's phone", max_length=40, blank=True)
    account_name = models.CharField("account name given", max_length=200, blank=True)
    # The page's language: the acknowledgement is written in it.
    language = models.CharField(max_length=16, blank=True)
    # The confirmation link: only the hash of the token last minted (mail.py).
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    link_expires_at = models.DateTimeField(editable=False)
    created_at = models.DateTimeField(editable=False)
    verified_at = models.DateTimeField("confirmed at", null=True, blank=True)
    incident = models.ForeignKey(
        Incident,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="compromise_reports",
    )
    incident_opened_at = models.DateTimeField(null=True, blank=True)
    incident_opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Set when the reporter's contact details and text were cleared (an
    # erasure request or the retention sweep); reference and dates stay.
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-verified_at", "-created_at"]
        verbose_name = "compromised-account report"
        indexes = [
            # services.compromise_reports_purge: unconfirmed rows by age.
            models.Index(
                fields=["status", "created_at"], name="compromise_status_created"
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"Unconfirmed report {self.pk}"


# --- Telling the people affected (Art. 34, US state laws): see notices.py --------


class AffectedPerson(models.Model):
    """One person to be told of a breach: chosen by a criterion or a CSV list.

    Rows are written in SQL (INSERT ... SELECT), a million at a time; the unique
    address per incident makes adding the same people twice add nothing.
    """

    class Source(models.TextChoices):
        EVERYONE = "everyone", "Everyone with an e-mail address"
        CONSENT = "consent", "Has a consent answer for a chosen purpose"
        CSV = "csv", "Uploaded list"

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="affected", db_index=False
    )
    subject = models.ForeignKey(
        "subjects.DataSubject",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The address (lower case) at the time of choosing: one notice per address.
    email = models.CharField(max_length=254)
    language = models.CharField(max_length=10, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    added_at = models.DateTimeField()
    # When the notice was put in the outbox (sent by the outbox right after).
    notified_at = models.DateTimeField(null=True, blank=True)
    outbox_key = models.CharField(max_length=80, blank=True)

    class Meta:
        verbose_name = "person affected"
        verbose_name_plural = "people affected"
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "email"], name="affected_person_unique"
            ),
        ]
        indexes = [
            # A notice run walks one incident's people in id order.
            models.Index(fields=["incident", "id"], name="affected_incident_order"),
            # sources.BreachNoticeSource: listed addresses of no known subject.
            models.Index(
                fields=["email"],
                name="affected_unlinked_email",
                condition=Q(subject__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.email


class NoticeRun(models.Model):
    """E-mailing the people affected, in batches, like the policy campaign.

    ``cursor`` is the last AffectedPerson id handled; a batch advances it under a
    row lock in the transaction that queues its e-mails, so a task delivered
    twice or resumed after a crash repeats no one (the outbox key, once per
    person and incident, makes that hold across runs too).
    """

    class Status(models.TextChoices):
        RUNNING = "running", "Sending"
        DONE = "done", "Finished"

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="notice_runs"
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.RUNNING
    )
    # The notice as sent (evidence of what people were told).
    what_happened = models.TextField()
    consequences = models.TextField("likely consequences")
    measures = models.TextField("what we are doing")
    advice = models.TextField("what you can do", blank=True)
    cursor = models.BigIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    batches = models.PositiveIntegerField(default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(auto_now_add=True)
    last_batch_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at"]
        verbose_name = "notice to the people affected"
        constraints = [
            models.UniqueConstraint(
                fields=["incident"],
                condition=Q(status="running"),
                name="notice_run_one_running",
            ),
        ]

    def __str__(self) -> str:
        return f"Notice for {self.incident_id}: {self.progress}"

    @property
    def progress(self) -> str:
        """'12,400 of 1,000,000 sent'."""
        return f"{self.sent:,} of {self.total:,} sent"
