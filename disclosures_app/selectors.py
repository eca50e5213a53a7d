"""Reads other screens use: the warnings and figures about disclosures.

The console (or, until it exists, the admin index) shows these; it knows no
model of this app.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.urls import reverse
from django.utils import timezone

from disclosures_app.models import Disclosure, Notice, Recipient
from privacyportal.widgets import Panel, Viewer


@dataclass(frozen=True)
class Figure:
    text: str
    link: str
    warning: bool


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _counts() -> tuple[int, int, int, int]:
    """Sold/shared, withheld, contract problems, undelivered notices: one query.

    The dashboard has a budget of 15 queries; the two log counts use small
    partial indexes, so this stays cheap with millions of disclosures.
    """
    log, rec, notice = (m._meta.db_table for m in (Disclosure, Recipient, Notice))
    sql = (
        f"SELECT (SELECT count(*) FROM {log} WHERE sale_or_sharing = %s),"  # noqa: S608
        f" (SELECT count(*) FROM {log} WHERE withheld_from_subject = %s),"
        f" (SELECT count(*) FROM {rec} WHERE archived_at IS NULL AND kind <> %s"
        f"  AND (contract_reference = '' OR contract_end < %s)),"
        f" (SELECT count(*) FROM {notice} WHERE status IN (%s, %s))"
    )
    params = [
        True,
        True,
        Recipient.Kind.AUTHORITY,
        timezone.localdate(),
        Notice.Status.FAILED,
        Notice.Status.IMPOSSIBLE,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return tuple(cursor.fetchone())


def figures() -> list[Figure]:
    """Only what needs attention or reporting; an empty list means all is well."""
    changelist = reverse("admin:disclosures_app_disclosure_changelist")
    recipients = reverse("admin:disclosures_app_recipient_changelist")
    notices = reverse("admin:disclosures_app_notice_changelist")
    sold, withheld, contracts, stuck = _counts()
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


def warnings_panel(viewer: Viewer) -> list[Panel]:
    """The dashboard's panel: what needs attention about disclosures, in words."""
    found = figures()
    if not found:
        return [
            Panel(
                key="disclosures",
                title="Recipients and disclosures",
                lines=[
                    "Nothing needs attention: contracts in order, every notice "
                    "delivered, nothing sold or shared."
                ],
                link=reverse("admin:disclosures_app_disclosure_changelist"),
                link_text="The disclosure log",
            )
        ]
    first = found[0]
    return [
        Panel(
            key="disclosures",
            title="Recipients and disclosures",
            lines=[f.text for f in found],
            tone="alert" if any(f.warning for f in found) else "",
            link=first.link,
            link_text="See the first of these",
        )
    ]


def yearly_figures(year: int) -> list[tuple[str, int]]:
    """For the yearly requests report: disclosures to authorities in ``year``."""
    zone = timezone.get_current_timezone()
    start = datetime(year, 1, 1, tzinfo=zone)
    end = datetime(year + 1, 1, 1, tzinfo=zone)
    to_authorities = Disclosure.objects.filter(
        disclosed_at__gte=start,
        disclosed_at__lt=end,
        recipient__kind=Recipient.Kind.AUTHORITY,
    )
    return [
        ("Disclosures to public authorities", to_authorities.count()),
        (
            "of which withheld from the person's access export on a documented "
            "legal ground",
            to_authorities.filter(withheld_from_subject=True).count(),
        ),
    ]
