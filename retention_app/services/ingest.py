"""Ingest of recordings and transcripts (manifest import, staff upload).

Invariants:
- all or nothing: every item is registered in one transaction; if any item
  fails, no row stays and no stored media file stays either;
- each item goes through ``recording_register`` / ``transcript_register``, so
  it is audited, encrypted at rest, checksummed, sized, born held when a hold
  covers it, and gets its ``purge_after`` from the rule in force;
- participants are found or created as data subjects by e-mail;
- call records and applicants get their ``purge_after`` from their category's
  policy (applicants: only unsuccessful ones, from the decision date) and are
  born held when a hold covers them.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from django.core.files.storage import default_storage
from django.db import transaction

from privacyportal import audit
from privacyportal.subjects.services import subject_get_or_create
from retention_app import expiry
from retention_app.categories import applicant_category, call_record_category
from retention_app.models import CallRecord, JobApplicant
from retention_app.services.content import recording_register, transcript_register
from retention_app.services.holds import holds_covering, lock_holds
from retention_app.services.policies import policy_get, policy_rule


@dataclass(frozen=True)
class IngestItem:
    """One validated meeting: a recording (media file or bytes) and/or a chat.

    Media is read when it is stored, a chunk at a time: from ``media_path``
    (an import), ``media_file`` (an upload, already spooled to disk by
    Django for anything large) or ``media_bytes`` (generated demo data).
    """

    organization_id: int
    meeting_title: str
    started_at: datetime
    duration_seconds: int = 0
    participant_emails: tuple[str, ...] = ()
    media_path: Path | None = None
    media_bytes: bytes | None = None
    media_file: IO[bytes] | None = None
    transcript: str | None = None
    # Register the recording now, its media to follow (the API's upload, in
    # a second call: ``recording_content_store``).
    media_later: bool = False

    @property
    def has_media(self) -> bool:
        return any(
            m is not None for m in (self.media_path, self.media_bytes, self.media_file)
        )

    @contextmanager
    def open_media(self) -> Iterator[IO[bytes]]:
        if self.media_path is not None:
            with self.media_path.open("rb") as handle:
                yield handle
        elif self.media_file is not None:
            self.media_file.seek(0)
            yield self.media_file
        else:
            yield io.BytesIO(self.media_bytes or b"")


@dataclass
class IngestResult:
    recordings: int = 0
    transcripts: int = 0
    bytes: int = 0
    recording_ids: list[int] = field(default_factory=list)
    transcript_ids: list[int] = field(default_factory=list)


def recordings_import(
    *,
    actor: Any,
    items: Iterable[IngestItem],
    source: str = "",
    progress: Callable[[int], None] | None = None,
) -> IngestResult:
    """Register every item in one transaction; any failure imports nothing."""
    result, stored = IngestResult(), []
    try:
        with transaction.atomic():
            for item in items:
                _import_one(actor, item, result, stored)
                if progress:
                    progress(1)
            audit.record(
                "retention.import.finished",
                actor=actor,
                data={
                    "source": source,
                    "recordings": result.recordings,
                    "transcripts": result.transcripts,
                    "bytes": result.bytes,
                },
            )
    except BaseException:
        # The rows rolled back; the encrypted files written for them must go too.
        for name in stored:
            default_storage.delete(name)
        raise
    return result


def _import_one(
    actor: Any, item: IngestItem, result: IngestResult, stored: list[str]
) -> None:
    """Register one item; its stored file name goes into ``stored`` at once."""
    participant_ids = [
        subject_get_or_create(actor=actor, email=email, requester_only=False)[0].pk
        for email in item.participant_emails
    ]
    recording = None
    if item.has_media or item.media_later:
        with item.open_media() as media:
            recording = recording_register(
                actor=actor,
                organization_id=item.organization_id,
                meeting_title=item.meeting_title,
                started_at=item.started_at,
                duration_seconds=item.duration_seconds,
                participant_ids=participant_ids,
                media=None if item.media_later else media,
            )
        if recording.media:
            stored.append(recording.media)
        result.recordings += 1
        result.bytes += recording.size_bytes
        result.recording_ids.append(recording.pk)
    if item.transcript is not None:
        transcript = transcript_register(
            actor=actor,
            organization_id=item.organization_id,
            meeting_title=item.meeting_title,
            started_at=item.started_at,
            text=item.transcript,
            participant_ids=participant_ids,
            recording=recording,
        )
        result.transcript_ids.append(transcript.pk)
        result.transcripts += 1
        result.bytes += len(item.transcript.encode())


# --- Call data records and job applicants ----------------------------------------


def _policy_rule(category) -> expiry.Rule:
    policy = policy_get(category)
    return policy_rule(policy)


def call_record_register(
    *,
    actor: Any,
    organization_id: int,
    started_at: datetime,
    duration_seconds: int = 0,
    participant_count: int = 1,
    subject_id: int | None = None,
) -> CallRecord:
    with transaction.atomic():
        lock_holds(shared=True)
        held = holds_covering(
            organization_id=organization_id,
            subject_ids={subject_id} if subject_id else set(),
        )
        record = CallRecord.objects.create(
            organization_id=organization_id,
            subject_id=subject_id,
            started_at=started_at,
            duration_seconds=duration_seconds,
            participant_count=participant_count,
            purge_after=expiry.purge_after(
                started_at, _policy_rule(call_record_category)
            ),
            held=bool(held),
        )
        audit.record(
            "retention.call_record.registered",
            actor=actor,
            target=record,
            subject_id=subject_id,
            data={"organization_id": organization_id},
        )
    return record


def applicant_register(
    *,
    actor: Any,
    name: str,
    email: str,
    position: str,
    applied_at: datetime,
    outcome: str = JobApplicant.Outcome.PENDING,
    decided_at: datetime | None = None,
) -> JobApplicant:
    """Record an applicant; an unsuccessful one expires from the decision date."""
    if outcome not in JobApplicant.Outcome.values:
        raise ValueError(f"unknown outcome {outcome!r}")
    unsuccessful = outcome in applicant_category.UNSUCCESSFUL
    base = decided_at if unsuccessful else None
    with transaction.atomic():
        applicant = JobApplicant.objects.create(
            name=name,
            email=email,
            position=position,
            applied_at=applied_at,
            outcome=outcome,
            decided_at=decided_at,
            purge_after=expiry.purge_after(base, _policy_rule(applicant_category)),
        )
        audit.record(
            "retention.applicant.registered",
            actor=actor,
            target=applicant,
            data={"position": position, "outcome": outcome},
            personal={"name": name, "email": email},
        )
    return applicant
