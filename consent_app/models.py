"""Purposes, policy versions, the consent ledger and the current state.

``ConsentEvent`` is the evidence (append-only; a PostgreSQL trigger refuses any
change but redaction). ``ConsentState`` is the answer, derived from the ledger
in the same transaction under a row lock.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from privacyportal.subjects.models import DataSubject


class Purpose(models.Model):
    """One use of personal data that a person may agree to or refuse."""

    class LegalBasis(models.TextChoices):
        CONSENT = "consent", "Consent (GDPR Art. 6(1)(a))"
        LEGITIMATE_INTERESTS = (
            "legitimate_interests",
            "Legitimate interests (GDPR Art. 6(1)(f))",
        )
        CONTRACT = "contract", "Contract (GDPR Art. 6(1)(b))"

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(help_text="Shown to the public.")
    legal_basis = models.CharField(
        max_length=32, choices=LegalBasis.choices, default=LegalBasis.CONSENT
    )
    is_marketing = models.BooleanField(
        default=False, help_text="Marketing: one-click unsubscribe applies."
    )
    default_granted = models.BooleanField(
        default=False, help_text="The answer when a person has never chosen."
    )
    children_allowed = models.BooleanField(
        default=False, help_text="May this purpose ever apply to a child under 13?"
    )
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)
    # Set when a less-protective policy version affects this purpose: consents
    # given before it do not cover data collected before it (see consent_allows).
    reconsent_since = models.DateTimeField(null=True, blank=True, editable=False)
    reconsent_version = models.ForeignKey(
        "PolicyVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name


class PolicyVersionQuerySet(models.QuerySet):
    def published(self) -> PolicyVersionQuerySet:
        return self.filter(status=PolicyVersion.Status.PUBLISHED)

    def current(self, at=None) -> PolicyVersion | None:
        today = timezone.localdate(at) if at else timezone.localdate()
        return (
            self.published()
            .filter(effective_on__lte=today)
            .order_by("-effective_on", "-published_at")
            .first()
        )


class PolicyVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    label = models.CharField(max_length=60, unique=True)
    effective_on = models.DateField()
    text = models.TextField(help_text="Markdown; rendered without raw HTML.")
    summary_of_changes = models.TextField(blank=True)
    material = models.BooleanField(
        default=False, help_text="Material: every subject with an address is told."
    )
    less_protective = models.BooleanField(
        default=False,
        help_text="Less protective: consents to the affected purposes must be "
        "given again before data collected earlier may be used.",
    )
    affected_purposes = models.ManyToManyField(
        Purpose,
        blank=True,
        related_name="+",
        help_text="Purposes a less-protective change affects (none = all).",
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PolicyVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-effective_on", "-id"]

    def __str__(self) -> str:
        return self.label


class PolicyCampaign(models.Model):
    """E-mailing every subject about a material policy change, in batches.

    ``cursor`` is the last subject id handled: a batch advances it under a row
    lock, so a task delivered twice or resumed after a crash never repeats a
    subject (and the outbox key makes each e-mail unique on top of that).
    """

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    version = models.OneToOneField(
        PolicyVersion, on_delete=models.PROTECT, related_name="campaign"
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.RUNNING
    )
    cursor = models.BigIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    batches = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    last_batch_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Campaign for {self.version}"

    @property
    def progress(self) -> str:
        if not self.total:
            return f"{self.sent} sent"
        return f"{self.sent} / {self.total} ({100 * self.sent // self.total}%)"


# Labels are marked for translation: the preference centre's history shows them
# to the public ("How" a choice was made).
class Source(models.TextChoices):
    FORM = "form", _("Form")
    PREFERENCE_CENTRE = "preference_centre", _("Preference centre")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe link")
    REQUEST = "request", _("Privacy request")
    STAFF = "staff", _("Staff on behalf")
    IMPORT = "import", _("Import")
    API = "api", _("API")
    GPC = "gpc", _("Global Privacy Control")
    SYSTEM = "system", _("System rule")


class ConsentEvent(models.Model):
    """One grant or withdrawal: the ledger. Never changed except by redaction."""

    class Action(models.TextChoices):
        # Context: "Withdrawn" of a consent and of a request differ in gender.
        GRANTED = "granted", pgettext_lazy("consent", "Granted")
        WITHDRAWN = "withdrawn", pgettext_lazy("consent", "Withdrawn")

    subject = models.ForeignKey(
        DataSubject, on_delete=models.PROTECT, related_name="consent_events"
    )
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=16, choices=Action.choices)
    policy_version = models.ForeignKey(
        PolicyVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(max_length=32, choices=Source.choices)
    # Why staff or a rule acted (not personal: "child under 13", "phone call").
    reason = models.CharField(max_length=300, blank=True)
    actor_label = models.CharField(max_length=150, blank=True)
    # Personal fields: the only ones redaction clears.
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    evidence = models.TextField(blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    redacted = models.BooleanField(default=False)
    redacted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            # subject history (preference centre, evidence export, GPC-once check)
            models.Index(fields=["subject", "purpose", "occurred_at"]),
            # admin date filter and date hierarchy
            models.Index(fields=["occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.subject_id} {self.action} {self.purpose_id}"


class ConsentState(models.Model):
    """The current answer for (subject, purpose); written with its event."""

    subject = models.ForeignKey(
        DataSubject, on_delete=models.PROTECT, related_name="consent_states"
    )
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="+")
    granted = models.BooleanField()
    since = models.DateTimeField()
    policy_version = models.ForeignKey(
        PolicyVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(max_length=32, choices=Source.choices)
    last_event = models.ForeignKey(
        ConsentEvent, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            # consent_allows looks a state up by this pair: this is its index.
            models.UniqueConstraint(
                fields=["subject", "purpose"], name="consent_state_unique"
            ),
        ]
        indexes = [
            # admin filters: purpose + answer
            models.Index(fields=["purpose", "granted"]),
        ]

    def __str__(self) -> str:
        answer = "granted" if self.granted else "withdrawn"
        return f"{self.subject_id} {self.purpose_id} {answer}"


class ConsentLink(models.Model):
    """A secret link sent to a person: only its SHA-256 is stored."""

    class Kind(models.TextChoices):
        PREFERENCES = "preferences", "Preference centre"
        UNSUBSCRIBE = "unsubscribe", "One-click unsubscribe"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    subject = models.ForeignKey(
        DataSubject, on_delete=models.CASCADE, related_name="consent_links"
    )
    purpose = models.ForeignKey(
        Purpose, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # the periodic clean-up deletes expired links by this column
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} link #{self.pk}"
