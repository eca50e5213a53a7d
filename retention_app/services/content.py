"""Customer content: ingest, deletion on instruction, and guarded opening.

Invariants:
- content is stored encrypted under the organization's key; it is decrypted
  only by ``content_open``, under an active AccessGrant, and every opening is
  audited;
- a new item gets its ``purge_after`` from the rule in force and is born held
  when an active hold covers it (under the shared hold lock);
- deleting on a customer's instruction or for an erasure takes the same path
  as the sweep (held rows refused, DeletionRecord in the same transaction,
  files removed after commit).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from privacyportal import audit
from retention_app import crypto, expiry
from retention_app.categories import recording_category, transcript_category
from retention_app.models import (
    AccessGrant,
    ChatTranscript,
    DeletionRecord,
    Recording,
    RecordingSettings,
)
from retention_app.services.holds import HeldError, holds_covering, lock_holds
from retention_app.services.policies import content_rule
from retention_app.services.records import record_disposals


class ContentAccessError(PermissionError):
    """Content opened without an active grant from the customer."""


class RecordingDisabledError(ValueError):
    """The organization has turned recording off."""


def recording_register(
    *,
    actor: Any,
    organization_id: int,
    meeting_title: str,
    started_at: datetime,
    duration_seconds: int = 0,
    participant_ids: list[int] | None = None,
    media: bytes | None = None,
) -> Recording:
    """Store a recording (media encrypted) with its expiry; refused if disabled."""
    own = RecordingSettings.objects.filter(organization_id=organization_id).first()
    if own is not None and not own.recording_enabled:
        raise RecordingDisabledError("recording is disabled for this organization")
    participant_ids = participant_ids or []
    name = _store(organization_id, media) if media is not None else ""
    try:
        with transaction.atomic():
            lock_holds(shared=True)
            recording = Recording.objects.create(
                organization_id=organization_id,
                meeting_title=meeting_title,
                started_at=started_at,
                duration_seconds=duration_seconds,
                media=name,
                size_bytes=len(media or b""),
                checksum=crypto.checksum(media) if media is not None else "",
                purge_after=expiry.purge_after(
                    started_at, content_rule(organization_id, "recording")
                ),
                held=bool(
                    holds_covering(
                        organization_id=organization_id,
                        subject_ids=set(participant_ids),
                    )
                ),
            )
            recording.participants.set(participant_ids)
            audit.record(
                "retention.recording.registered",
                actor=actor,
                target=recording,
                data={"organization_id": organization_id, "bytes": len(media or b"")},
            )
    except Exception:
        if name:  # the row never existed: its file must not either
            default_storage.delete(name)
        raise
    return recording


def _store(organization_id: int, media: bytes) -> str:
    token = crypto.encrypt(organization_id, media)
    name = f"recordings/{organization_id}/{uuid.uuid4().hex}.bin"
    return default_storage.save(name, ContentFile(token))


def transcript_register(
    *,
    actor: Any,
    organization_id: int,
    meeting_title: str,
    started_at: datetime,
    text: str,
    participant_ids: list[int] | None = None,
    recording: Recording | None = None,
) -> ChatTranscript:
    participant_ids = participant_ids or []
    data = text.encode()
    with transaction.atomic():
        lock_holds(shared=True)
        held = holds_covering(
            organization_id=organization_id,
            subject_ids=set(participant_ids),
            recording_id=recording.pk if recording else None,
        )
        transcript = ChatTranscript.objects.create(
            organization_id=organization_id,
            recording=recording,
            meeting_title=meeting_title,
            started_at=started_at,
            text_encrypted=crypto.encrypt(organization_id, data),
            size_bytes=len(data),
            purge_after=expiry.purge_after(
                started_at, content_rule(organization_id, "transcript")
            ),
            held=bool(held),
        )
        transcript.participants.set(participant_ids)
        audit.record(
            "retention.transcript.registered",
            actor=actor,
            target=transcript,
            data={"organization_id": organization_id, "bytes": len(data)},
        )
    return transcript


def _holds_on(recording: Recording) -> list:
    return holds_covering(
        organization_id=recording.organization_id,
        subject_ids=set(recording.participants.values_list("pk", flat=True)),
        recording_id=recording.pk,
    )


def recording_delete(
    *, actor: Any, recording: Recording, reason: str = DeletionRecord.Reason.CUSTOMER
) -> int:
    """Delete a recording and its transcripts now; refused (naming the holds) if held.

    Returns the number of items deleted.
    """
    with transaction.atomic():
        lock_holds(shared=True)
        holds = _holds_on(recording)
        if holds:
            raise HeldError(holds)
        transcript_ids = list(
            ChatTranscript.objects.filter(recording=recording, held=False).values_list(
                "pk", flat=True
            )
        )
        gone = recording_category.delete_ids([recording.pk])
        record_disposals(
            gone,
            category=recording_category.key,
            action="delete",
            reason=reason,
            policy_key=reason,
        )
        texts = transcript_category.delete_ids(transcript_ids)
        record_disposals(
            texts,
            category=transcript_category.key,
            action="delete",
            reason=reason,
            policy_key=reason,
        )
        audit.record(
            "retention.recording.deleted",
            actor=actor,
            target=("retention_app.recording", recording.pk),
            data={"reason": reason, "transcripts": len(texts), "found": len(gone)},
        )
    return len(gone) + len(texts)


@dataclass(frozen=True)
class DisableResult:
    purged: int
    held: int


def recording_disable(
    *, actor: Any, organization_id: int, purge_existing: bool = False
) -> DisableResult:
    """Turn recording off for a customer; optionally delete what exists (not held)."""
    with transaction.atomic():
        own, _ = RecordingSettings.objects.get_or_create(
            organization_id=organization_id
        )
        RecordingSettings.objects.filter(pk=own.pk).update(recording_enabled=False)
        audit.record(
            "retention.recording.disabled",
            actor=actor,
            target=own,
            data={"organization_id": organization_id, "purge": purge_existing},
        )
    if not purge_existing:
        return DisableResult(0, 0)
    purged = 0
    for recording in Recording.objects.filter(
        organization_id=organization_id, held=False
    ).iterator():
        try:
            purged += recording_delete(actor=actor, recording=recording)
        except HeldError:
            continue
    held = Recording.objects.filter(organization_id=organization_id).count()
    return DisableResult(purged, held)


def recording_enable(*, actor: Any, organization_id: int) -> None:
    with transaction.atomic():
        own, _ = RecordingSettings.objects.get_or_create(
            organization_id=organization_id
        )
        RecordingSettings.objects.filter(pk=own.pk).update(recording_enabled=True)
        audit.record(
            "retention.recording.enabled",
            actor=actor,
            target=own,
            data={"organization_id": organization_id},
        )


# --- Access grants and opening content ------------------------------------------


def grant_create(
    *,
    actor: Any,
    organization_id: int,
    requested_by: str,
    approved_by: str,
    purpose: str,
    hours: int = 24,
) -> AccessGrant:
    if not (requested_by.strip() and approved_by.strip() and purpose.strip()):
        raise ValueError("a grant names who asked, who approved and why")
    if not 1 <= hours <= 24 * 30:
        raise ValueError("a grant lasts 1 hour to 30 days")
    user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        grant = AccessGrant.objects.create(
            organization_id=organization_id,
            requested_by=requested_by.strip(),
            approved_by=approved_by.strip(),
            purpose=purpose.strip(),
            expires_at=timezone.now() + timedelta(hours=hours),
            recorded_by=user,
        )
        audit.record(
            "retention.grant.created",
            actor=actor,
            target=grant,
            data={"organization_id": organization_id, "hours": hours},
        )
    return grant


def grant_revoke(*, actor: Any, grant: AccessGrant) -> bool:
    with transaction.atomic():
        done = AccessGrant.objects.filter(pk=grant.pk, revoked_at=None).update(
            revoked_at=timezone.now()
        )
        if done == 1:
            audit.record("retention.grant.revoked", actor=actor, target=grant)
    return done == 1


def active_grant(organization_id: int) -> AccessGrant | None:
    now = timezone.now()
    return (
        AccessGrant.objects.filter(
            organization_id=organization_id,
            revoked_at=None,
            granted_at__lte=now,
            expires_at__gt=now,
        )
        .order_by("-expires_at")
        .first()
    )


def content_open(*, actor: Any, item: Recording | ChatTranscript) -> bytes:
    """Decrypt an item's content for staff: needs an active grant; audited."""
    grant = active_grant(item.organization_id)
    if grant is None:
        raise ContentAccessError("no active access grant from this customer")
    if isinstance(item, Recording):
        with default_storage.open(item.media, "rb") as handle:
            data = crypto.decrypt(item.organization_id, handle.read())
        if crypto.checksum(data) != item.checksum:
            raise crypto.ContentError("the recording does not match its checksum")
    else:
        data = crypto.decrypt(item.organization_id, bytes(item.text_encrypted))
    with transaction.atomic():
        audit.record(
            "retention.content.opened",
            actor=actor,
            target=item,
            data={"grant_id": grant.pk, "organization_id": item.organization_id},
        )
    return data
