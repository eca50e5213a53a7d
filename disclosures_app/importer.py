"""Importing disclosures other systems made: all rows or none.

Every row is parsed and put through the policy check before anything is
written; one bad row means nothing is stored and the report names each bad row
by its line number. Subjects are found, never created: an unknown person in a
partner's feed is an error to look into, not a new record.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from disclosures_app.models import Disclosure, LegalBasis, Recipient
from disclosures_app.services import (
    DisclosureInput,
    disclosures_record_bulk,
    refusal,
    registry_categories,
)
from privacyportal.subjects.models import DataSubject

REQUIRED = ("email", "recipient", "categories", "purpose", "legal_basis")
OPTIONAL = ("disclosed_at", "legal_reference", "withheld_ground", "sale_or_sharing")
TRUE = {"1", "yes", "true", "y"}


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    dry_run: bool = False
    errors: list[tuple[int, str]] = field(default_factory=list)


class _Lookups:
    """Subjects and recipients, each read once however many rows name them."""

    def __init__(self) -> None:
        self.recipients = {r.name.casefold(): r for r in Recipient.objects.all()}
        self.subjects: dict[str, DataSubject | None] = {}
        self.categories = set(registry_categories())

    def subject(self, email: str) -> DataSubject | None:
        if email not in self.subjects:
            self.subjects[email] = DataSubject.objects.by_email(email).first()
        return self.subjects[email]


def _when(text: str) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def _parse(record: dict[str, str], look: _Lookups) -> DisclosureInput:
    """One CSV row as a disclosure; ValueError says what is wrong with it."""
    subject = look.subject(record["email"])
    if subject is None:
        raise ValueError(f"no data subject with the e-mail address {record['email']!r}")
    recipient = look.recipients.get(record["recipient"].casefold())
    if recipient is None:
        raise ValueError(f"no recipient named {record['recipient']!r} in the register")
    categories = [c.strip() for c in record["categories"].split(";") if c.strip()]
    unknown = [c for c in categories if c not in look.categories]
    if unknown:
        raise ValueError(f"unknown data categories: {', '.join(unknown)}")
    if record["legal_basis"] not in LegalBasis.values:
        raise ValueError(f"unknown legal basis {record['legal_basis']!r}")
    try:
        when = _when(record.get("disclosed_at", ""))
    except ValueError:
        raise ValueError("disclosed_at is not an ISO date-time") from None
    return DisclosureInput(
        subject=subject,
        recipient=recipient,
        categories=categories,
        purpose=record["purpose"],
        legal_basis=record["legal_basis"],
        disclosed_at=when,
        legal_reference=record.get("legal_reference", ""),
        withheld_ground=record.get("withheld_ground", ""),
        sale_or_sharing=record.get("sale_or_sharing", "").lower() in TRUE,
    )


def read_rows(lines: Iterable[str]) -> tuple[list[tuple[int, dict]], str]:
    """(line number, cleaned row) pairs, or an error for a bad header."""
    reader = csv.DictReader(lines)
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        return [], f"missing column(s): {', '.join(missing)}"
    rows = [
        (reader.line_num, {k: (v or "").strip() for k, v in record.items() if k})
        for record in reader
    ]
    return rows, ""


def disclosures_import(
    *,
    actor: Any,
    rows: list[tuple[int, dict]],
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    channel: str = Disclosure.Channel.IMPORT,
) -> ImportReport:
    """Check every row, then (unless a dry run) record them all in one transaction.

    The API records its batches through here too (``channel`` api), so a row is
    read and checked the same way whichever way it arrives."""
    report, look, items = ImportReport(rows=len(rows), dry_run=dry_run), _Lookups(), []
    for done, (line, record) in enumerate(rows, start=1):
        if progress:
            progress(done)
        try:
            item = _parse(record, look)
        except ValueError as exc:
            report.errors.append((line, str(exc)))
            continue
        reason = refusal(item)
        if reason:
            report.errors.append((line, f"refused: {reason}"))
        items.append(item)
    if report.errors or dry_run:
        return report
    report.imported = disclosures_record_bulk(actor=actor, items=items, channel=channel)
    return report
