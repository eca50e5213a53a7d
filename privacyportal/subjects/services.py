"""Every write to subjects, devices and organizations.

Each function runs in one transaction and records an AuditEvent in it. Events
name subjects by id; values that are personal data go in the redactable field.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from privacyportal import audit
from privacyportal.subjects.models import (
    DataSubject,
    Device,
    Organization,
    normalize_email,
)

# Fields of a subject that staff or a rectification may change.
EDITABLE_FIELDS = (
    "name",
    "email",
    "phone",
    "postal_address",
    "title",
    "company",
    "account_username",
    "ip_addresses",
    "domain",
    "demographics",
)


class SubjectError(ValueError):
    """A change to a subject that the rules refuse."""


def subject_create(
    *, actor: Any, email: str | None, requester_only: bool = False, **fields: Any
) -> DataSubject:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise SubjectError(f"unknown subject fields: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        subject = DataSubject.objects.create(
            email=normalize_email(email), requester_only=requester_only, **fields
        )
        audit.record(
            "subjects.subject.created",
            actor=actor,
            target=subject,
            subject_id=subject.pk,
            data={"requester_only": requester_only},
            personal={"email": subject.email},
        )
    return subject


def subject_get_or_create(
    *, actor: Any, email: str, requester_only: bool = True, name: str = ""
) -> tuple[DataSubject, bool]:
    """Find the subject by normalised e-mail or create one (race-safe)."""
    existing = DataSubject.objects.by_email(email).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            subject = subject_create(
                actor=actor, email=email, requester_only=requester_only, name=name
            )
        return subject, True
    except IntegrityError:
        # Another writer created the same address between our read and insert.
        found = DataSubject.objects.by_email(email).first()
        if found is None:
            raise
        return found, False


def subject_update(
    *, actor: Any, subject: DataSubject, changes: dict[str, Any], reason: str = ""
) -> list[str]:
    """Apply field changes; returns the names of the fields that changed."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise SubjectError(f"unknown subject fields: {', '.join(sorted(unknown))}")
    if "email" in changes:
        changes = {**changes, "email": normalize_email(changes["email"])}
    with transaction.atomic():
        locked = DataSubject.objects.select_for_update().get(pk=subject.pk)
        changed = [f for f, v in changes.items() if getattr(locked, f) != v]
        if not changed:
            return []
        old = {f: getattr(locked, f) for f in changed}
        for name in changed:
            setattr(locked, name, changes[name])
        locked.save(update_fields=[*changed, "updated_at"])
        audit.record(
            "subjects.subject.updated",
            actor=actor,
            target=locked,
            subject_id=locked.pk,
            data={"fields": changed, "reason": reason},
            personal={"old": old, "new": {f: changes[f] for f in changed}},
        )
    for name in changed:
        setattr(subject, name, changes[name])
    return changed


def subject_mark_under_13(*, actor: Any, subject: DataSubject) -> bool:
    """Flag a child; returns False if already flagged. Other apps react via hooks."""
    with transaction.atomic():
        updated = DataSubject.objects.filter(pk=subject.pk, is_under_13=False).update(
            is_under_13=True, under_13_marked_at=timezone.now()
        )
        if not updated:
            return False
        audit.record(
            "subjects.subject.marked_under_13",
            actor=actor,
            target=subject,
            subject_id=subject.pk,
        )
        for hook in UNDER_13_HOOKS:
            hook(subject=subject, actor=actor)
    subject.is_under_13 = True
    return True


# Callables(subject=, actor=) run in the same transaction when a child is flagged;
# the consent and request apps register theirs in AppConfig.ready().
UNDER_13_HOOKS: list = []


def subject_anonymise(*, actor: Any, subject: DataSubject) -> int:
    """Clear every personal field, delete devices; keep the row for ledger links."""
    with transaction.atomic():
        devices, _ = Device.objects.filter(subject=subject).delete()
        blank = {
            f: DataSubject._meta.get_field(f).get_default() for f in EDITABLE_FIELDS
        }
        blank["email"] = None
        DataSubject.objects.filter(pk=subject.pk).update(
            **blank, anonymised_at=timezone.now(), updated_at=timezone.now()
        )
        audit.record(
            "subjects.subject.anonymised",
            actor=actor,
            target=subject,
            subject_id=subject.pk,
            data={"devices_deleted": devices},
        )
    return devices


def subject_set_restriction(
    *, actor: Any, subject: DataSubject, restricted: bool, reason: str = ""
) -> bool:
    """Restrict (or lift the restriction of) processing; False if already so."""
    with transaction.atomic():
        updated = DataSubject.objects.filter(
            pk=subject.pk, processing_restricted=not restricted
        ).update(
            processing_restricted=restricted,
            restricted_at=timezone.now() if restricted else None,
        )
        if updated:
            audit.record(
                "subjects.subject.restricted"
                if restricted
                else "subjects.subject.restriction_lifted",
                actor=actor,
                target=subject,
                subject_id=subject.pk,
                data={"reason": reason},
            )
    subject.processing_restricted = restricted
    return bool(updated)


def subject_record_objection(
    *,
    actor: Any,
    subject: DataSubject,
    marketing: bool,
    profiling: bool,
    reason: str = "",
) -> list[str]:
    """Record an objection to marketing and/or profiling; returns what changed."""
    changes = {}
    if marketing and not subject.objects_to_marketing:
        changes["objects_to_marketing"] = True
    if profiling and not subject.objects_to_profiling:
        changes["objects_to_profiling"] = True
    if not changes:
        return []
    with transaction.atomic():
        DataSubject.objects.filter(pk=subject.pk).update(
            **changes, objected_at=timezone.now()
        )
        audit.record(
            "subjects.subject.objected",
            actor=actor,
            target=subject,
            subject_id=subject.pk,
            data={"to": sorted(changes), "reason": reason},
        )
    for name, value in changes.items():
        setattr(subject, name, value)
    return sorted(changes)


def subject_record_marketing_opt_out(*, actor: Any, subject: DataSubject) -> bool:
    """Note a marketing opt-out on the subject itself; False if already noted."""
    with transaction.atomic():
        updated = DataSubject.objects.filter(
            pk=subject.pk, marketing_opted_out_at__isnull=True
        ).update(marketing_opted_out_at=timezone.now())
        if updated:
            audit.record(
                "subjects.subject.marketing_opted_out",
                actor=actor,
                target=subject,
                subject_id=subject.pk,
            )
    return bool(updated)


def device_add(*, actor: Any, subject: DataSubject, **fields: Any) -> Device:
    with transaction.atomic():
        device = Device.objects.create(subject=subject, **fields)
        audit.record(
            "subjects.device.added", actor=actor, target=device, subject_id=subject.pk
        )
    return device


def organization_create(
    *, actor: Any, name: str, slug: str, contact_name: str = "", contact_email: str = ""
) -> Organization:
    with transaction.atomic():
        org = Organization.objects.create(
            name=name, slug=slug, contact_name=contact_name, contact_email=contact_email
        )
        audit.record("subjects.organization.created", actor=actor, target=org)
    return org


def subject_viewed(*, actor: Any, subject_id: int) -> None:
    """Staff opened a subject's record: that look is itself evidence."""
    with transaction.atomic():
        audit.record(
            "subjects.subject.viewed",
            actor=actor,
            target=("subjects.datasubject", subject_id),
            subject_id=subject_id,
        )


def organization_update(
    *, actor: Any, organization: Organization, fields: list[str]
) -> None:
    """Save the named fields of an organization edited in the admin."""
    allowed = [
        f for f in fields if f in {"name", "slug", "contact_name", "contact_email"}
    ]
    if not allowed:
        return
    with transaction.atomic():
        organization.save(update_fields=allowed)
        audit.record(
            "subjects.organization.updated",
            actor=actor,
            target=organization,
            data={"fields": allowed},
        )


def subject_evidence_pack(*, actor: Any, subject: DataSubject) -> bytes:
    """Build a person's evidence pack; handing it out is itself recorded."""
    from privacyportal.subjects import evidence, story

    sections = story.sections(subject)
    pack = evidence.build(subject, sections, prepared_by=audit_label(actor))
    with transaction.atomic():
        audit.record(
            "subjects.subject.evidence_pack",
            actor=actor,
            target=subject,
            subject_id=subject.pk,
            data={"rows": {s.key: len(s.rows) for s in sections}},
        )
    return pack


def audit_label(actor: Any) -> str:
    from privacyportal.audit.services import as_actor

    return as_actor(actor).label
