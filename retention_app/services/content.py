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

import hashlib
import io
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any

from django.conf import settings
from django.core.files.base import File
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
from retention_app.services.holds import (
    HeldError,
    covering,
    holds_covering,
    lock_holds,
    unreleased_holds,
)
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
    media: bytes | IO[bytes] | None = None,
) -> Recording:
    """Store a recording (media encrypted) with its expiry; refused if disabled.

    ``media`` may be bytes or an open binary file: a file is read and
    encrypted a chunk at a time, so a video of any size costs a few MiB.
    """
    own = RecordingSettings.objects.filter(organization_id=organization_id).first()
    if own is not None and not own.recording_enabled:
        raise RecordingDisabledError("recording is disabled for this organization")
    participant_ids = participant_ids or []
    stored = _store(organization_id, media) if media is not None else _NO_MEDIA
    name = stored.name
    try:
        with transaction.atomic():
            lock_holds(shared=True)
            recording = Recording.objects.create(
                organization_id=organization_id,
                meeting_title=meeting_title,
                started_at=started_at,
                duration_seconds=duration_seconds,
                media=name,
                size_bytes=stored.size,
                checksum=stored.checksum,
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
                data={"organization_id": organization_id, "bytes": stored.size},
            )
    except Exception:
        if name:  # the row never existed: its file must not either
            default_storage.delete(name)
        raise
    return recording


@dataclass(frozen=True)
class StoredMedia:
    name: str
    size: int
    checksum: str


_NO_MEDIA = StoredMedia("", 0, "")


def _store(organization_id: int, media: bytes | IO[bytes]) -> StoredMedia:
    source = io.BytesIO(media) if isinstance(media, bytes) else media
    name = f"recordings/{organization_id}/{uuid.uuid4().hex}.bin"
    # Encrypted into a temporary file a chunk at a time, then copied into the
    # storage (which also copies in chunks): memory stays flat for any size.
    with tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR) as spool:
        size, digest = crypto.encrypt_stream(organization_id, source, spool, name=name)
        spool.seek(0)
        try:
            saved = default_storage.save(name, File(spool, name=name))
        except BaseException:
            # A save that failed part-way (disk full) may leave a partial
            # file under the name; nothing else knows it, so remove it here.
            default_storage.delete(name)
            raise
    if saved != name:  # the name is bound into the ciphertext: it cannot move
        default_storage.delete(saved)
        raise crypto.ContentError(f"the storage renamed {name} to {saved}")
    return StoredMedia(name, size, digest)


class ContentConflict(ValueError):
    """A recording's media cannot be stored as sent; the message says why."""


def recording_content_store(
    *, actor: Any, recording: Recording, media: IO[bytes], checksum: str = ""
) -> tuple[Recording, bool]:
    """Store the media of a recording registered without it; (recording, stored).

    Read and encrypted a chunk at a time, as an upload is. ``checksum`` (the
    SHA-256 of the plaintext the sender computed), when given, must match what
    arrived. The same content sent again changes nothing (stored False);
    other content for a recording that has media already is refused: media is
    never replaced. Nothing stays of a refused upload.
    """
    stored = _store(recording.organization_id, media)
    try:
        if checksum and checksum.lower() != stored.checksum:
            raise ContentConflict("the content does not match the checksum sent")
        with transaction.atomic():
            updated = Recording.objects.filter(pk=recording.pk, media="").update(
                media=stored.name, size_bytes=stored.size, checksum=stored.checksum
            )
            if updated:
                audit.record(
                    "retention.recording.content_stored",
                    actor=actor,
                    target=recording,
                    data={"bytes": stored.size},
                )
    except BaseException:
        default_storage.delete(stored.name)
        raise
    if not updated:
        default_storage.delete(stored.name)
        _refuse_replacement(recording.pk, stored.checksum)
    return Recording.objects.get(pk=recording.pk), bool(updated)


def _refuse_replacement(recording_id: int, checksum: str) -> None:
    """Pass if the recording holds this very content; else say why not."""
    current = Recording.objects.filter(pk=recording_id).values_list(
        "checksum", flat=True
    )
    if not current:
        raise Recording.DoesNotExist(f"recording {recording_id} was deleted")
    if current[0] != checksum:
        raise ContentConflict("the recording has other content already")


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
        gone, texts = _delete_with_transcripts([recording.pk], reason)
        audit.record(
            "retention.recording.deleted",
            actor=actor,
            target=("retention_app.recording", recording.pk),
            data={"reason": reason, "transcripts": len(texts), "found": len(gone)},
        )
    return len(gone) + len(texts)


# Recordings deleted per transaction by ``recordings_delete``: as many as one
# webhook ``recording.deleted`` event names (MAX_OBJECTS), so a customer's
# "delete everything" of 100,000 recordings makes 50 events, not 100,000.
DELETE_CHUNK = 2000


@dataclass(frozen=True)
class BatchDeleted:
    deleted: int  # recordings and transcripts
    refused: dict[int, list]  # recording id -> the holds that keep it


def recordings_delete(
    *,
    actor: Any,
    ids: list[int],
    reason: str = DeletionRecord.Reason.CUSTOMER,
) -> BatchDeleted:
    """Delete these recordings and their transcripts now, DELETE_CHUNK per
    transaction; a held one is kept and named with its holds, not an error.

    Each transaction writes one audit event naming its recordings' ids.
    """
    deleted, refused = 0, {}
    for start in range(0, len(ids), DELETE_CHUNK):
        chunk = _delete_chunk(actor, ids[start : start + DELETE_CHUNK], reason)
        deleted += chunk.deleted
        refused |= chunk.refused
    return BatchDeleted(deleted, refused)


def _delete_chunk(actor: Any, ids: list[int], reason: str) -> BatchDeleted:
    with transaction.atomic():
        lock_holds(shared=True)
        refused = _holds_on_many(ids)
        gone, texts = _delete_with_transcripts(
            [pk for pk in ids if pk not in refused], reason
        )
        if gone or texts or refused:
            audit.record(
                "retention.recordings.deleted",
                actor=actor,
                data={
                    "reason": reason,
                    "ids": [item.item_id for item in gone],
                    "transcripts": len(texts),
                    "held": sorted(refused),
                },
            )
    return BatchDeleted(len(gone) + len(texts), refused)


def _delete_with_transcripts(ids: list[int], reason: str) -> tuple[list, list]:
    """Delete these (unheld) recordings and their unheld transcripts, each with
    its deletion record; the caller holds the hold lock and audits."""
    transcript_ids = list(
        ChatTranscript.objects.filter(recording_id__in=ids, held=False).values_list(
            "pk", flat=True
        )
    )
    gone = recording_category.delete_ids(ids)
    texts = transcript_category.delete_ids(transcript_ids)
    for items, category in ((gone, recording_category), (texts, transcript_category)):
        record_disposals(
            items,
            category=category.key,
            action="delete",
            reason=reason,
            policy_key=reason,
        )
    return gone, texts


def _holds_on_many(ids: list[int]) -> dict[int, list]:
    """The held recordings among ``ids`` with their holds: three queries, not
    three per recording."""
    holds = unreleased_holds()
    people: dict[int, set[int]] = {}
    links = Recording.participants.through.objects.filter(recording_id__in=ids)
    for recording_id, subject_id in links.values_list("recording_id", "datasubject_id"):
        people.setdefault(recording_id, set()).add(subject_id)
    refused = {}
    rows = Recording.objects.filter(pk__in=ids).values_list(
        "pk", "organization_id", "held"
    )
    for pk, organization_id, held in rows:
        found = covering(
            holds,
            organization_id=organization_id,
            subject_ids=people.get(pk, set()),
            recording_id=pk,
        )
        if found or held:
            refused[pk] = found
    return refused


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
    ids = list(
        Recording.objects.filter(organization_id=organization_id, held=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    purged = recordings_delete(actor=actor, ids=ids).deleted
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
    """Decrypt an item's content for staff: needs an active grant; audited.

    Whole in memory: for transcripts and small media. The admin streams
    recordings with ``recording_stream``.
    """
    if isinstance(item, Recording):
        stream = recording_stream(actor=actor, recording=item)
        try:
            return b"".join(stream)
        finally:
            stream.close()
    grant = _grant_for(item)
    data = crypto.decrypt(item.organization_id, bytes(item.text_encrypted))
    _audit_opened(actor, item, grant)
    return data


def recording_stream(*, actor: Any, recording: Recording) -> MediaStream:
    """A recording's media, decrypted a verified chunk at a time.

    The grant is checked and the first chunk decrypted and authenticated
    before the opening is audited and this returns, so a refusal, a wrong key
    or a swapped file fails before any content is sent.
    """
    grant = _grant_for(recording)
    if not recording.media:
        raise crypto.ContentError("this recording has no media file")
    handle = default_storage.open(recording.media, "rb")
    try:
        chunks = crypto.decrypt_stream(
            recording.organization_id, handle, name=recording.media
        )
        first = next(chunks)  # every stream has at least one (maybe empty) chunk
        _audit_opened(actor, recording, grant)
    except BaseException:
        handle.close()
        raise
    return MediaStream(_checked(first, chunks, recording.checksum), handle)


class MediaStream:
    """Chunks of a recording, and ``close()`` that releases its file.

    A streaming response calls ``close()`` when it ends, also when it is
    abandoned or never read, so the file is closed either way.
    """

    def __init__(self, chunks: Iterator[bytes], handle: IO[bytes]) -> None:
        self._chunks, self._handle = chunks, handle

    def __iter__(self) -> Iterator[bytes]:
        return self._chunks

    def close(self) -> None:
        close = getattr(self._chunks, "close", None)
        if close:
            close()
        self._handle.close()


def _checked(first: bytes, chunks: Iterator[bytes], expected: str) -> Iterator[bytes]:
    """Pass chunks on, holding the last back until the whole file matches.

    Each chunk is authenticated already; the checksum taken at ingest is the
    last word. On a mismatch the final chunk is never sent, so a download cut
    short shows (its length falls short of ``size_bytes``).
    """
    digest, pending = hashlib.sha256(first), first
    for chunk in chunks:
        digest.update(chunk)
        yield pending
        pending = chunk
    if digest.hexdigest() != expected:
        raise crypto.ContentError("the recording does not match its checksum")
    yield pending


def _grant_for(item: Recording | ChatTranscript) -> AccessGrant:
    grant = active_grant(item.organization_id)
    if grant is None:
        raise ContentAccessError("no active access grant from this customer")
    return grant


def _audit_opened(
    actor: Any, item: Recording | ChatTranscript, grant: AccessGrant
) -> None:
    with transaction.atomic():
        audit.record(
            "retention.content.opened",
            actor=actor,
            target=item,
            data={"grant_id": grant.pk, "organization_id": item.organization_id},
        )
