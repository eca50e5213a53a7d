"""Complaints to the Privacy Officer: their own workflow and clocks.

A complaint is filed through the public request form ("Make a complaint") and
confirmed by e-mail like any request; on confirmation the request record is
handed over and a Complaint is created from it (services.complaint_from_request).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from privacyportal.rules import EffectiveDatedRule, version_constraints
from privacyportal.subjects.models import DataSubject
from requests_app.jurisdictions import validate_jurisdiction_code


class ComplaintRule(EffectiveDatedRule):
    """A law's complaint clock, in force between two dates (one version per row).

    The company's own periods (COMPLAINT_ACK_DAYS, COMPLAINT_RESOLUTION_DAYS)
    apply to everyone; a rule in force for the complainant's jurisdiction on
    the day of receipt applies where it is sooner. A complaint keeps the
    version it was received under.
    """

    code = models.SlugField(
        max_length=40, help_text="The same for every version of one law."
    )
    name = models.CharField(max_length=120)
    jurisdictions = models.JSONField(
        default=list, help_text='Jurisdiction codes, e.g. ["UK"], ["US-CA"].'
    )
    ack_days = models.PositiveSmallIntegerField("acknowledge within (calendar days)")
    resolution_days = models.PositiveSmallIntegerField(
        "decide within (calendar days)",
        null=True,
        blank=True,
        help_text="Empty where the law sets no number of days.",
    )
    source_citation = models.CharField(max_length=200, blank=True)
    source_url = models.URLField(max_length=300, blank=True)

    class Meta:
        ordering = ["code", "-effective_from"]
        constraints = version_constraints("code")

    def __str__(self) -> str:
        return f"{self.name} (from {self.effective_from:%-d %b %Y})"

    def clean(self) -> None:
        if not isinstance(self.jurisdictions, list) or not self.jurisdictions:
            raise ValidationError({"jurisdictions": "Choose where this rule applies."})
        for code in self.jurisdictions:
            validate_jurisdiction_code(str(code))
        self.jurisdictions = [str(code).strip().upper() for code in self.jurisdictions]
        super().clean()


class SupervisoryAuthority(models.Model):
    """Where a complainant may go next: a data-protection authority or an AG.

    ``code`` is a country (``DE``, ``GB``) or a US state (``US-CA``); a
    complainant is matched by state first, then country. Several rows may share
    a code (California: the CPPA and the Attorney General).
    """

    code = models.CharField(
        max_length=10,
        help_text='A country ("DE", "GB") or a US state ("US-CA").',
    )
    name = models.CharField(max_length=200)
    complaint_url = models.URLField("complaint page", max_length=300)
    order = models.PositiveSmallIntegerField(
        default=0, help_text="Lower first, where a place has several."
    )

    class Meta:
        ordering = ["code", "order", "name"]
        verbose_name_plural = "supervisory authorities"
        constraints = [
            models.UniqueConstraint(fields=["code", "name"], name="authority_unique")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.code = self.code.strip().upper()


class ComplaintCounter(models.Model):
    """The last complaint number given out in a year (CP-2026-0001)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


def _running_due(lookup: str, value: datetime) -> models.Q:
    """``running_due_at`` in SQL: the acknowledgement date until acknowledged,
    then the decision date, compared by ``lookup`` ("lt", "gte")."""
    return models.Q(
        acknowledged_at__isnull=True, **{f"ack_due_at__{lookup}": value}
    ) | models.Q(acknowledged_at__isnull=False, **{f"due_at__{lookup}": value})


class ComplaintQuerySet(models.QuerySet):
    def open(self) -> ComplaintQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, now: datetime) -> ComplaintQuerySet:
        """Open, and past the date of the clock running now."""
        return self.overdue_to_acknowledge(now) | self.overdue_to_decide(now)

    def overdue_to_acknowledge(self, now: datetime) -> ComplaintQuerySet:
        return self.open().filter(acknowledged_at__isnull=True, ack_due_at__lt=now)

    def overdue_to_decide(self, now: datetime) -> ComplaintQuerySet:
        return self.open().filter(acknowledged_at__isnull=False, due_at__lt=now)

    def due_within(self, now: datetime, days: int) -> ComplaintQuerySet:
        """Open, with the running clock ending in the next ``days`` days."""
        soon = _running_due("gte", now) & _running_due("lt", now + timedelta(days=days))
        return self.open().filter(soon)

    def alerts_due(self, now) -> ComplaintQuerySet:
        return self.filter(next_alert_at__lte=now)


class Complaint(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        INVESTIGATING = "investigating", _("Under investigation")
        RESOLVED = "resolved", _("Resolved")
        NOT_UPHELD = "not_upheld", pgettext_lazy("complaint status", "Not upheld")
        ESCALATED = "escalated", _("Taken further")

    class Alert(models.IntegerChoices):
        NONE = 0, "none"
        DAYS_7 = 1, "7 days left"
        DAYS_2 = 2, "2 days left"
        OVERDUE = 3, "overdue"

    reference = models.CharField(max_length=20, unique=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.RECEIVED
    )
    subject = models.ForeignKey(
        DataSubject,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)
    # Every e-mail to the complainant is written in the language they filed in.
    language = models.CharField(max_length=10, default=settings.LANGUAGE_CODE)
    country = models.CharField(max_length=2)
    region = models.CharField(max_length=10, blank=True)
    jurisdiction = models.CharField(max_length=10)
    text = models.TextField("complaint", max_length=5000)
    requests = models.ManyToManyField(
        "requests_app.PrivacyRequest",
        blank=True,
        related_name="complaints",
        verbose_name="privacy requests",
    )
    # Written only by services.complaint_link_incident / complaint_unlink_incident.
    incidents = models.ManyToManyField(
        "incidents_app.Incident",
        through="IncidentLink",
        blank=True,
        related_name="complaints",
    )
    rule = models.ForeignKey(
        ComplaintRule,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name="law applied",
    )

    received_at = models.DateTimeField()
    ack_due_at = models.DateTimeField("acknowledge by")
    due_at = models.DateTimeField("decide by")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    investigation_started_at = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_complaints",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    outcome = models.TextField("written outcome", blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.CharField("taken to", max_length=200, blank=True)
    # Set when the retention sweep cleared the personal fields (sources.py,
    # categories.py): the reference, status and dates stay for statistics.
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Reminder bookkeeping, as for requests: the stage alerted for the clock
    # running now (acknowledgement, then decision) and when the next is due.
    alert_stage = models.PositiveSmallIntegerField(
        choices=Alert.choices, default=Alert.NONE
    )
    next_alert_at = models.DateTimeField(null=True, blank=True)

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            # services.complaints_alert: reminders and escalations due now
            models.Index(
                fields=["next_alert_at"],
                name="complaint_alert_idx",
                condition=models.Q(next_alert_at__isnull=False),
            ),
            # admin changelist default ordering
            models.Index(fields=["-received_at", "-id"], name="complaint_received_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def running_due_at(self):
        """The date the clock running now counts to, or None when decided."""
        if not self.is_open:
            return None
        return self.ack_due_at if self.acknowledged_at is None else self.due_at


OPEN_STATUSES = (
    Complaint.Status.RECEIVED,
    Complaint.Status.ACKNOWLEDGED,
    Complaint.Status.INVESTIGATING,
)


class ComplaintNote(models.Model):
    """A staff-only investigation note; never changed or deleted."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    text = models.TextField(max_length=5000)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Note on {self.complaint_id} at {self.created_at:%Y-%m-%d %H:%M}"


class IncidentLink(models.Model):
    """A complaint linked to an incident in the breach register, with who and when.

    It lives here because complaints link to incidents, not the other way round:
    incidents_app only reads it (an incident's page lists its complaints).
    """

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="incident_links"
    )
    incident = models.ForeignKey(
        "incidents_app.Incident",
        on_delete=models.PROTECT,
        related_name="complaint_links",
    )
    linked_at = models.DateTimeField()
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["linked_at", "id"]
        verbose_name = "complaint linked to an incident"
        constraints = [
            # services.complaint_link_incident: linking twice adds nothing
            models.UniqueConstraint(
                fields=["complaint", "incident"], name="complaint_incident_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint.reference} ↔ {self.incident.reference}"
