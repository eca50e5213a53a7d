"""The recipient register, the disclosure log and the notices sent to recipients."""

from __future__ import annotations

from datetime import date

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from privacyportal.subjects.models import DataSubject


class Recipient(models.Model):
    """Someone who receives personal data: the policy's closed list, and others."""

    class Kind(models.TextChoices):
        PROCESSOR = "processor", _("Service provider (processor)")
        SUBPROCESSOR = "subprocessor", _("Sub-processor")
        CHANNEL_PARTNER = "channel_partner", _("Channel partner")
        AFFILIATE = "affiliate", _("Affiliate")
        AUTHORITY = "authority", _("Public authority")
        ACQUIRER = "acquirer", _("Acquirer (merger or sale)")
        THIRD_PARTY = "third_party", _("Other third party")

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.TextField(blank=True)
    purposes = models.JSONField(
        default=list, blank=True, help_text="What the data is disclosed for."
    )
    data_categories = models.JSONField(default=list, blank=True)
    listed_in_policy = models.BooleanField(
        default=False,
        help_text="Does the privacy policy name this kind of recipient and these "
        "purposes? If not, each disclosure needs the person's consent.",
    )
    consent_purpose = models.SlugField(
        "consent that allows other disclosures",
        max_length=60,
        default="third-party-disclosure",
        help_text="The consent purpose checked when the policy does not cover a "
        "disclosure.",
    )
    sale_or_sharing = models.BooleanField(
        "sale or sharing (CCPA)",
        default=False,
        help_text="Is disclosing to this recipient a sale or sharing under CCPA? "
        "The policy says no disclosure is.",
    )
    contract_reference = models.CharField(max_length=120, blank=True)
    contract_start = models.DateField(null=True, blank=True)
    contract_end = models.DateField(null=True, blank=True)
    notice_email = models.EmailField("e-mail address for notices", blank=True)
    notice_url = models.URLField(
        "web address for notices",
        blank=True,
        help_text="An HTTPS address that accepts signed notices (JSON, POST).",
    )
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def needs_contract(self) -> bool:
        # Authorities act under law, not under a contract with us.
        return self.kind != self.Kind.AUTHORITY

    def contract_problem(self, today: date | None = None) -> str:
        """'' when the contract is in order, else what is wrong, in words."""
        if not self.needs_contract:
            return ""
        if not self.contract_reference:
            return "no contract recorded"
        today = today or timezone.localdate()
        if self.contract_end and self.contract_end < today:
            return f"contract expired on {self.contract_end:%Y-%m-%d}"
        return ""


class Transfer(models.Model):
    """A country the recipient holds data in, and what protects it there."""

    class Safeguard(models.TextChoices):
        ADEQUACY = "adequacy", _("Adequacy decision")
        SCC = "scc", _("Standard contractual clauses")
        BCR = "bcr", _("Binding corporate rules")
        CONSENT = "consent", _("The person's explicit consent")
        NONE = "none", pgettext_lazy("transfer safeguard", "None")

    recipient = models.ForeignKey(
        Recipient, on_delete=models.CASCADE, related_name="transfers"
    )
    country = models.CharField(max_length=80)
    safeguard = models.CharField(max_length=10, choices=Safeguard.choices)

    class Meta:
        ordering = ["country"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "country"], name="transfer_one_per_country"
            )
        ]

    def __str__(self) -> str:
        return f"{self.country}: {self.get_safeguard_display()}"


class LegalBasis(models.TextChoices):
    CONSENT = "consent", _("Consent (GDPR Art. 6(1)(a))")
    CONTRACT = "contract", _("Contract (GDPR Art. 6(1)(b))")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation (GDPR Art. 6(1)(c))")
    VITAL_INTERESTS = "vital_interests", _("Vital interests (GDPR Art. 6(1)(d))")
    PUBLIC_TASK = "public_task", _("Public task (GDPR Art. 6(1)(e))")
    LEGITIMATE_INTERESTS = (
        "legitimate_interests",
        _("Legitimate interests (GDPR Art. 6(1)(f))"),
    )


class DisclosureQuerySet(models.QuerySet):
    def for_subject(self, subject_id: int) -> DisclosureQuerySet:
        return self.filter(subject_id=subject_id)

    def visible_to_subject(self) -> DisclosureQuerySet:
        return self.filter(withheld_from_subject=False)


class Disclosure(models.Model):
    """One disclosure of one person's data: append-only evidence."""

    class Channel(models.TextChoices):
        SERVICE = "service", "Recorded by the portal"
        ADMIN = "admin", "Entered by staff"
        IMPORT = "import", "Imported from another system"
        API = "api", "Reported over the API"

    subject = models.ForeignKey(DataSubject, on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(
        Recipient, on_delete=models.PROTECT, related_name="disclosures"
    )
    categories = models.JSONField(default=list)
    purpose = models.CharField(max_length=200)
    legal_basis = models.CharField(max_length=24, choices=LegalBasis.choices)
    disclosed_at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.CharField(max_length=150, help_text="A person or a system.")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # Law enforcement: the order or statute compelling the disclosure.
    legal_reference = models.CharField(max_length=200, blank=True)
    withheld_from_subject = models.BooleanField(default=False)
    withheld_ground = models.TextField(blank=True)
    consent_relied_on = models.BooleanField(default=False)
    sale_or_sharing = models.BooleanField(default=False)

    objects = DisclosureQuerySet.as_manager()

    class Meta:
        ordering = ["-disclosed_at"]
        indexes = [
            # the export source and the Art. 19 fan-out read one subject's rows
            models.Index(fields=["subject", "disclosed_at"], name="disclosure_subject"),
            # the dashboard's warnings count these few rows, never the whole log
            models.Index(
                fields=["disclosed_at"],
                name="disclosure_sold",
                condition=models.Q(sale_or_sharing=True),
            ),
            models.Index(
                fields=["disclosed_at"],
                name="disclosure_withheld",
                condition=models.Q(withheld_from_subject=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(withheld_from_subject=False)
                | ~models.Q(withheld_ground=""),
                name="disclosure_withheld_has_ground",
            )
        ]

    def __str__(self) -> str:
        return f"Disclosure to {self.recipient} on {self.disclosed_at:%Y-%m-%d}"


class Notice(models.Model):
    """An Art. 19 notice to one recipient about one completed request."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        ACKNOWLEDGED = "acknowledged", "Acknowledged by the recipient"
        FAILED = "failed", "Failed"
        IMPOSSIBLE = "impossible", "Impossible"

    class Change(models.TextChoices):
        ERASURE = "erasure", "Erasure"
        RECTIFICATION = "rectification", "Rectification"
        RESTRICTION = "restriction", "Restriction"

    recipient = models.ForeignKey(
        Recipient, on_delete=models.PROTECT, related_name="notices"
    )
    subject = models.ForeignKey(DataSubject, on_delete=models.PROTECT, related_name="+")
    request_reference = models.CharField(max_length=40)
    change = models.CharField(max_length=16, choices=Change.choices)
    categories = models.JSONField(default=list)
    # For a rectification: the corrected values of the data this recipient
    # received ([{"what", "now"}]), so it can apply them. Personal data: kept
    # only until the notice is settled (sent, acknowledged, failed), then cleared.
    corrections = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=14, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # "A notice is sent once however often the job runs."
            models.UniqueConstraint(
                fields=["recipient", "request_reference"], name="notice_once"
            )
        ]
        indexes = [
            # notices_dispatch: the pending notices that are due
            models.Index(fields=["status", "next_attempt_at"], name="notice_due"),
        ]

    def __str__(self) -> str:
        return f"Notice to {self.recipient} about {self.request_reference}"
