"""Reads other screens use: the warnings and figures about disclosures.

The console (or, until it exists, the admin index) shows these; it knows no
model of this app.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from disclosures_app.models import Disclosure, Notice, Recipient


@dataclass(frozen=True)
class Figure:
    text: str
    link: str
    warning: bool


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _contract_problems() -> int:
    today = timezone.localdate()
    in_use = Recipient.objects.filter(archived_at__isnull=True).exclude(
        kind=Recipient.Kind.AUTHORITY
    )
    return in_use.filter(Q(contract_reference="") | Q(contract_end__lt=today)).count()


def figures() -> list[Figure]:
    """Only what needs attention or reporting; an empty list means all is well."""
    changelist = reverse("admin:disclosures_app_disclosure_changelist")
    recipients = reverse("admin:disclosures_app_recipient_changelist")
    notices = reverse("admin:disclosures_app_notice_changelist")
    sold = Disclosure.objects.filter(sale_or_sharing=True).count()
    withheld = Disclosure.objects.filter(withheld_from_subject=True).count()
    contracts = _contract_problems()
    stuck = Notice.objects.filter(
        status__in=[Notice.Status.FAILED, Notice.Status.IMPOSSIBLE]
    ).count()
    found = [
        (
            sold,
            f"{_plural(sold, 'disclosure was', 'disclosures were')} recorded as "
            "a sale or sharing of personal data (CCPA); the privacy policy says none "
            "is.",
            f"{changelist}?sale_or_sharing__exact=1",
            True,
        ),
        (
            contracts,
            f"{_plural(contracts, 'recipient in use has', 'recipients in use have')} "
            "no contract recorded, or an expired one.",
            recipients,
            True,
        ),
        (
            stuck,
            f"{_plural(stuck, 'notice', 'notices')} to recipients could not be "
            "delivered.",
            f"{notices}?status__in=failed,impossible",
            True,
        ),
        (
            withheld,
            f"{_plural(withheld, 'disclosure', 'disclosures')} to authorities "
            "withheld from the person's export on a documented legal ground.",
            f"{changelist}?withheld_from_subject__exact=1",
            False,
        ),
    ]
    return [Figure(text, link, warn) for n, text, link, warn in found if n]
