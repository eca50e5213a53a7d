from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.db.models.functions import Lower, Trim


def normalize_email(value: str | None) -> str | None:
    """The form in which e-mails are stored and matched: trimmed, lower-case."""
    value = (value or "").strip().lower()
    return value or None


class DataSubjectQuerySet(models.QuerySet):
    def by_email(self, email: str | None) -> DataSubjectQuerySet:
        # Same expression as subject_email_ci_unique, so the lookup uses that index.
        return self.alias(email_ci=Lower(Trim("email"))).filter(
            email_ci=normalize_email(email)
        )

    def by_emails(self, emails: Iterable[str | None]) -> DataSubjectQuerySet:
        """Several addresses at once (the API's batch read), by the same index."""
        wanted = {normalize_email(e) for e in emails} - {None}
        return self.alias(email_ci=Lower(Trim("email"))).filter(email_ci__in=wanted)


class DataSubject(models.Model):
    """A person the company holds data on, with the policy's categories."""

    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(max_length=254, null=True, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    postal_address = models.TextField(blank=True)
    title = models.CharField(max_length=150, blank=True)
    company = models.CharField(max_length=200, blank=True)
    account_username = models.CharField(max_length=150, blank=True)
    ip_addresses = models.JSONField(default=list, blank=True)
    domain = models.CharField(max_length=253, blank=True)
    demographics = models.JSONField(default=dict, blank=True)
    is_under_13 = models.BooleanField(default=False)
    under_13_marked_at = models.DateTimeField(null=True, blank=True)
    # Known only because they filed a request: no account, no product data.
    requester_only = models.BooleanField(default=False)
    anonymised_at = models.DateTimeField(null=True, blank=True)
    # Restriction (GDPR Art. 18): only what the law requires may still be done;
    # consent_allows answers no for every purpose while it is set.
    processing_restricted = models.BooleanField(default=False, db_default=False)
    restricted_at = models.DateTimeField(null=True, blank=True)
    # Objection (GDPR Art. 21) to direct marketing and to profiling.
    objects_to_marketing = models.BooleanField(default=False, db_default=False)
    objects_to_profiling = models.BooleanField(default=False, db_default=False)
    objected_at = models.DateTimeField(null=True, blank=True)
    # (db_default: rows inserted by bulk SQL — imports, benchmarks — get False too.)
    # A marketing opt-out received as a request (recorded even with no consent yet).
    marketing_opted_out_at = models.DateTimeField(null=True, blank=True)
    # The language they last confirmed a request in: e-mails not about one
    # request (a policy change) are written in it. Empty: LANGUAGE_CODE.
    language = models.CharField(max_length=10, blank=True, default="", db_default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DataSubjectQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            # The database itself refuses "A@x.org " beside "a@x.org", whatever
            # path the row took (form, import, raw SQL).
            models.UniqueConstraint(
                Lower(Trim("email")),
                name="subject_email_ci_unique",
                condition=models.Q(email__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.email or self.name or f"subject #{self.pk}"


class Device(models.Model):
    """A device used with the service (policy: serial, software, hardware, settings)."""

    subject = models.ForeignKey(
        DataSubject, on_delete=models.CASCADE, related_name="devices"
    )
    serial_number = models.CharField(max_length=120, blank=True)
    software_version = models.CharField(max_length=60, blank=True)
    connected_hardware = models.TextField(blank=True)
    custom_settings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.serial_number or f"device #{self.pk}"


class Organization(models.Model):
    """A customer account: it owns recordings and chooses their retention."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
