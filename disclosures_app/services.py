"""Every write to the recipient register and the disclosure log.

Invariants kept here:
- a disclosure is stored only if the policy allows it: the recipient is listed
  for that purpose, or the consent service says the person agreed; a sale or
  sharing (CCPA) is stored only for a person who has not opted out;
- the log is append-only (a PostgreSQL trigger refuses UPDATE and DELETE);
- an applicant is told, by an e-mail queued in the same transaction, whenever
  their data goes to a third party;
- a recipient that disclosures refer to is never deleted: it is archived;
- every change writes an AuditEvent in the same transaction (a bulk recording
  writes one per batch, naming how many rows and for which recipients).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from consent_app.services import UnknownPurpose, consent_allows
from disclosures_app.models import Disclosure, LegalBasis, Recipient, Transfer
from privacyportal import audit, mail
from privacyportal.audit.services import as_actor
from privacyportal.registry import registry
from privacyportal.subjects.models import DataSubject

K = Recipient.Kind
# CCPA's opt-out of sale and sharing is the targeted-advertising refusal that a
# Global Privacy Control signal records (consent_app.services.GPC_PURPOSE).
SALE_OPT_OUT_PURPOSE = "targeted-advertising"
# Processors act on our instructions: they are not "third parties" (Art. 4(10)).
NOT_THIRD_PARTIES = {K.PROCESSOR, K.SUBPROCESSOR}
# The registry source whose data makes a disclosure "an applicant's data".
APPLICANT_SOURCE = "retention.applicants"
BATCH = 2_000


class DisclosureRefused(ValueError):
    """The policy does not allow this disclosure; the message says why."""


class RecipientInUse(ValueError):
    """A recipient that disclosures refer to cannot be deleted."""


@dataclass
class DisclosureInput:
    """One disclosure to record, before the policy check."""

    subject: DataSubject
    recipient: Recipient
    categories: list[str]
    purpose: str
    legal_basis: str
    disclosed_at: datetime | None = None
    legal_reference: str = ""
    withheld_ground: str = ""
    sale_or_sharing: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


# --- the register -----------------------------------------------------------------


def registry_categories() -> list[str]:
    """Every data category some registered source holds, sorted."""
    return sorted({c for source in registry for c in source.info.categories})


def recipient_save(*, actor: Any, recipient: Recipient, fields: list[str]) -> Recipient:
    """Create or edit a recipient (Privacy Officers, in the admin)."""
    with transaction.atomic():
        created = recipient.pk is None
        recipient.save()
        audit.record(
            f"disclosures.recipient.{'created' if created else 'updated'}",
            actor=actor,
            target=recipient,
            data={"name": recipient.name, "fields": fields},
        )
    return recipient


def recipient_transfers_save(
    *,
    actor: Any,
    recipient: Recipient,
    changed: list[Transfer],
    deleted: list[Transfer],
) -> None:
    """Save the countries a recipient holds data in, and their safeguards."""
    if not (changed or deleted):
        return
    with transaction.atomic():
        for transfer in deleted:
            transfer.delete()
        for transfer in changed:
            transfer.recipient = recipient
            transfer.save()
        audit.record(
            "disclosures.recipient.transfers_changed",
            actor=actor,
            target=recipient,
            data={
                "saved": [f"{t.country}: {t.safeguard}" for t in changed],
                "removed": [t.country for t in deleted],
            },
        )


def recipient_archive(*, actor: Any, recipient: Recipient) -> bool:
    """Stop new disclosures to a recipient; its history stays. False if already."""
    with transaction.atomic():
        updated = Recipient.objects.filter(
            pk=recipient.pk, archived_at__isnull=True
        ).update(archived_at=timezone.now())
        if updated:
            audit.record(
                "disclosures.recipient.archived",
                actor=actor,
                target=recipient,
                data={"name": recipient.name},
            )
    return bool(updated)


def recipient_delete(*, actor: Any, recipient: Recipient) -> None:
    """Delete a recipient no disclosure refers to; otherwise refuse (archive it)."""
    with transaction.atomic():
        if Disclosure.objects.filter(recipient=recipient).exists():
            raise RecipientInUse(
                f"{recipient.name} received personal data: archive it instead, "
                "so the record of those disclosures stays complete"
            )
        audit.record(
            "disclosures.recipient.deleted",
            actor=actor,
            target=recipient,
            data={"name": recipient.name},
        )
        recipient.delete()


# --- the policy ---------------------------------------------------------------------


def covered_by_policy(recipient: Recipient, purpose: str) -> bool:
    return recipient.listed_in_policy and purpose in recipient.purposes


def _consented(subject: DataSubject, code: str) -> bool:
    try:
        return consent_allows(subject, code)
    except UnknownPurpose:
        return False


def refusal(item: DisclosureInput) -> str | None:
    """Why the policy refuses this disclosure, in words; None when it allows it."""
    r = item.recipient
    if r.archived_at:
        return f"{r.name} is archived: nothing more may be disclosed to it"
    if not item.categories:
        return "no data categories given"
    if not item.purpose.strip():
        return "no purpose given"
    if item.legal_basis not in LegalBasis.values:
        return f"unknown legal basis {item.legal_basis!r}"
    if getattr(item.subject, "processing_restricted", False) and r.kind != K.AUTHORITY:
        # Art. 18: restricted data is only stored, or used where the law requires.
        return "processing of this person's data is restricted"
    if r.kind == K.AUTHORITY and not item.legal_reference.strip():
        return "a disclosure to an authority needs the order's or law's reference"
    if item.withheld_ground and r.kind != K.AUTHORITY:
        return "only a disclosure to an authority may be withheld from the person"
    if not covered_by_policy(r, item.purpose) and not _consented(
        item.subject, r.consent_purpose
    ):
        return _not_covered(r, item.purpose)
    if (item.sale_or_sharing or r.sale_or_sharing) and not _consented(
        item.subject, SALE_OPT_OUT_PURPOSE
    ):
        return "the person has opted out of the sale or sharing of their data"
    return None


def _not_covered(recipient: Recipient, purpose: str) -> str:
    if not recipient.listed_in_policy:
        why = f"the privacy policy does not list {recipient.name}"
    else:
        why = f"the privacy policy does not cover disclosing to {recipient.name} "
        why += f"for “{purpose}”"
    return f"{why}, and the person has not consented"


# --- recording ----------------------------------------------------------------------


def disclosure_record(*, actor: Any, item: DisclosureInput, channel: str) -> Disclosure:
    """Record one disclosure, or raise DisclosureRefused saying why."""
    reason = refusal(item)
    if reason:
        raise DisclosureRefused(reason)
    with transaction.atomic():
        row = _row(item, channel, as_actor(actor).label, timezone.now())
        row.save(force_insert=True)
        audit.record(
            "disclosures.disclosure.recorded",
            actor=actor,
            target=row,
            subject_id=item.subject.pk,
            data={"recipient": item.recipient.name, "categories": item.categories},
        )
        _tell_applicant(row, item, applicant_categories())
    return row


def disclosures_record_bulk(
    *, actor: Any, items: Iterable[DisclosureInput], channel: str
) -> int:
    """Record many disclosures all-or-nothing; the first refusal stops everything.

    Rows are checked, then inserted in batches inside one transaction, with one
    AuditEvent per batch (count and recipients), so a million rows do not take a
    million turns of the audit chain's lock.
    """
    label, now, count = as_actor(actor).label, timezone.now(), 0
    applicant = applicant_categories()
    with transaction.atomic():
        for batch in _batches(items):
            rows = []
            for item in batch:
                reason = refusal(item)
                if reason:
                    raise DisclosureRefused(reason)
                rows.append(_row(item, channel, label, now))
            Disclosure.objects.bulk_create(rows, batch_size=BATCH)
            _audit_batch(actor, rows)
            for row, item in zip(rows, batch, strict=True):
                _tell_applicant(row, item, applicant)
            count += len(rows)
    return count


def _batches(items: Iterable[DisclosureInput]) -> Iterator[list[DisclosureInput]]:
    it = iter(items)
    while batch := list(islice(it, BATCH)):
        yield batch


def _row(item: DisclosureInput, channel: str, label: str, now: datetime) -> Disclosure:
    withheld = bool(item.withheld_ground.strip())
    return Disclosure(
        subject=item.subject,
        recipient=item.recipient,
        categories=list(item.categories),
        purpose=item.purpose,
        legal_basis=item.legal_basis,
        disclosed_at=item.disclosed_at or now,
        recorded_at=now,
        recorded_by=label,
        channel=channel,
        legal_reference=item.legal_reference,
        withheld_from_subject=withheld,
        withheld_ground=item.withheld_ground.strip(),
        consent_relied_on=not covered_by_policy(item.recipient, item.purpose),
        sale_or_sharing=item.sale_or_sharing or item.recipient.sale_or_sharing,
    )


def _audit_batch(actor: Any, rows: list[Disclosure]) -> None:
    audit.record(
        "disclosures.disclosure.imported",
        actor=actor,
        data={
            "rows": len(rows),
            "recipients": sorted({r.recipient.name for r in rows}),
        },
    )


# --- applicants ---------------------------------------------------------------------


def applicant_categories() -> set[str]:
    """Categories only the applicants source holds: disclosing one is an
    applicant's data (name and contact details are everyone's)."""
    try:
        own = set(registry.get(APPLICANT_SOURCE).info.categories)
    except KeyError:
        return set()
    others = {
        c for s in registry if s.key != APPLICANT_SOURCE for c in s.info.categories
    }
    return own - others


def _applicant_emails(subject: DataSubject) -> list[str]:
    source = registry.get(APPLICANT_SOURCE)
    rows = source.export(subject).get("applications", ())
    found = {row["email"].lower() for row in rows if row.get("email")}
    return sorted(found) or ([subject.email] if subject.email else [])


def _tell_applicant(
    row: Disclosure, item: DisclosureInput, applicant: set[str]
) -> None:
    """The policy: applicants are told before their data goes to a third party."""
    if item.recipient.kind in NOT_THIRD_PARTIES:
        return
    if not set(item.categories) & applicant:
        return
    for email in _applicant_emails(item.subject):
        mail.queue_email(
            key=f"disclosures.applicant.{row.pk}.{email}",
            to=email,
            template="disclosures_applicant_notice",
            context={
                "recipient": item.recipient.name,
                "purpose": item.purpose,
                "categories": list(item.categories),
                "disclosed_at": row.disclosed_at.strftime("%Y-%m-%d"),
            },
            # No request, so no language of theirs: the portal's own.
            language=settings.LANGUAGE_CODE,
        )
