"""Registry sources: recordings, transcripts, call records, applications of a subject.

Erasure deletes through the same path as the sweep (receipts, file outbox);
what a legal hold protects is retained, and the outcome names the hold.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop

from privacyportal import audit
from privacyportal.registry import ErasureResult, Outcome, SourceInfo
from retention_app import crypto
from retention_app.categories import (
    applicant_category,
    call_record_category,
    recording_category,
    transcript_category,
)
from retention_app.models import (
    CallRecord,
    ChatTranscript,
    DeletionRecord,
    JobApplicant,
    Recording,
)
from retention_app.services.holds import holds_covering, lock_holds
from retention_app.services.records import record_disposals

HOLD_BASIS = "Legal hold: preservation for legal proceedings (GDPR Art. 17(3)(e))"


def _transcripts(subject: Any):
    return ChatTranscript.objects.filter(participants=subject).order_by("pk")


def _export_recordings(subject: Any) -> Iterator[dict]:
    for rec in Recording.objects.filter(participants=subject).order_by("pk"):
        yield {
            "id": rec.pk,
            "organization_id": rec.organization_id,
            "meeting_title": rec.meeting_title,
            "started_at": rec.started_at.isoformat(),
            "duration_seconds": rec.duration_seconds,
            "size_bytes": rec.size_bytes,
            "purge_after": rec.purge_after.isoformat() if rec.purge_after else None,
        }


def _export_transcripts(subject: Any) -> Iterator[dict]:
    for item in _transcripts(subject).iterator():
        text = crypto.decrypt(item.organization_id, bytes(item.text_encrypted))
        yield {
            "id": item.pk,
            "meeting_title": item.meeting_title,
            "started_at": item.started_at.isoformat(),
            "text": text.decode(),
        }


def _held_result(deleted: int, holds: list, what: str) -> ErasureResult:
    names = ", ".join(sorted({str(h) for h in holds}))
    return ErasureResult(
        Outcome.RETAINED,
        deleted,
        f"{deleted} {what} deleted; the rest retained under {names}",
        reason=f"retained under {names}",
        legal_basis=HOLD_BASIS,
    )


def _erase(category: Any, rows: list, holds_of: Any) -> tuple[list[str], list]:
    """Delete the unheld rows with receipts; returns (ids deleted, holds kept)."""
    held = [r for r in rows if r.held]
    gone = category.delete_ids([r.pk for r in rows if not r.held])
    record_disposals(
        gone,
        category=category.key,
        action="delete",
        reason=DeletionRecord.Reason.ERASURE,
        policy_key="erasure request",
    )
    holds = [h for r in held for h in holds_of(r)]
    return [item.item_id for item in gone], holds


class RecordingSource:
    key = "retention.recordings"
    # Words marked with gettext_noop: see privacyportal.registry.
    label = gettext_noop("Conference recordings and chat transcripts")
    info = SourceInfo(
        categories=(gettext_noop("recording"), gettext_noop("chat")),
        purposes=(gettext_noop("providing recorded conferences to the customer"),),
        recipients=(
            gettext_noop("the customer organization that recorded the conference"),
        ),
        retention=gettext_noop(
            "as the customer configures, then deleted by the retention sweep"
        ),
        origin=gettext_noop("recorded by the customer's conference"),
    )

    def export(self, subject: Any) -> dict[str, Any]:
        return {
            "recordings": _export_recordings(subject),
            "transcripts": _export_transcripts(subject),
        }

    def erase(self, subject: Any, *, actor: Any) -> ErasureResult:
        with transaction.atomic():
            lock_holds(shared=True)
            recs = list(Recording.objects.filter(participants=subject))
            texts = list(_transcripts(subject))
            if not recs and not texts:
                return ErasureResult(Outcome.NOTHING)
            ids, h1 = _erase(recording_category, recs, _rec_holds)
            texts_gone, h2 = _erase(transcript_category, texts, _text_holds)
            n1, n2 = len(ids), len(texts_gone)
            audit.record(
                "retention.erasure.recordings",
                actor=actor,
                subject_id=subject.pk,
                # The recordings' ids (no titles) reach webhook subscribers.
                data={
                    "deleted": n1 + n2,
                    "held": len(h1) + len(h2),
                    "recording_ids": ids,
                },
            )
        if h1 or h2:
            return _held_result(n1 + n2, h1 + h2, "recordings and transcripts")
        return ErasureResult(Outcome.DELETED, n1 + n2, "recordings and transcripts")


def _rec_holds(rec: Recording) -> list:
    subjects = set(rec.participants.values_list("pk", flat=True))
    return holds_covering(
        organization_id=rec.organization_id, subject_ids=subjects, recording_id=rec.pk
    )


def _text_holds(item: ChatTranscript) -> list:
    subjects = set(item.participants.values_list("pk", flat=True))
    return holds_covering(
        organization_id=item.organization_id,
        subject_ids=subjects,
        recording_id=item.recording_id,
    )


class CallRecordSource:
    key = "retention.call_records"
    label = gettext_noop("Call data records")
    info = SourceInfo(
        categories=(gettext_noop("call records"),),
        purposes=(
            gettext_noop("billing"),
            gettext_noop("support"),
            gettext_noop("security of the service"),
        ),
        recipients=(gettext_noop("service providers acting on our instructions"),),
        retention=gettext_noop(
            "as the call-records retention policy states, then deleted"
        ),
        origin=gettext_noop("generated when you take part in a call"),
    )

    def export(self, subject: Any) -> dict[str, Any]:
        # Tuples, not model instances: a person may have 100,000 calls, and
        # building a model object per row was a quarter of the export's time.
        rows = (
            CallRecord.objects.filter(subject=subject)
            .order_by("pk")
            .values_list("pk", "started_at", "duration_seconds", "participant_count")
        )
        return {
            "call_records": (
                {
                    "id": pk,
                    "started_at": started.isoformat(),
                    "duration_seconds": duration,
                    "participants": participants,
                }
                for pk, started, duration, participants in rows.iterator()
            )
        }

    def erase(self, subject: Any, *, actor: Any) -> ErasureResult:
        with transaction.atomic():
            lock_holds(shared=True)
            rows = list(CallRecord.objects.filter(subject=subject))
            if not rows:
                return ErasureResult(Outcome.NOTHING)
            gone, holds = _erase(call_record_category, rows, _call_holds)
            deleted = len(gone)
            audit.record(
                "retention.erasure.call_records",
                actor=actor,
                subject_id=subject.pk,
                data={"deleted": deleted, "held": len(rows) - deleted},
            )
        if holds:
            return _held_result(deleted, holds, "call records")
        return ErasureResult(Outcome.DELETED, deleted, "call records")


def _call_holds(row: CallRecord) -> list:
    return holds_covering(
        organization_id=row.organization_id, subject_ids={row.subject_id}
    )


class ApplicantSource:
    """Job applications: found by the subject link or the e-mail address."""

    key = "retention.applicants"
    label = gettext_noop("Job applications")
    info = SourceInfo(
        categories=(
            gettext_noop("name"),
            gettext_noop("contact details"),
            gettext_noop("application"),
        ),
        purposes=(gettext_noop("recruitment"),),
        recipients=(gettext_noop("hiring managers"),),
        retention=gettext_noop(
            "unsuccessful applications as the applicants policy states, then "
            "reduced to statistics without names"
        ),
        origin=gettext_noop("your application"),
    )

    def _rows(self, subject: Any):
        by_email = JobApplicant.objects.filter(email__iexact=subject.email or "")
        linked = JobApplicant.objects.filter(subject=subject)
        return (linked | by_email).order_by("pk") if subject.email else linked

    def export(self, subject: Any) -> dict[str, Any]:
        return {
            "applications": (
                {
                    "name": a.name,
                    "email": a.email,
                    "position": a.position,
                    "applied_at": a.applied_at.isoformat(),
                    "outcome": a.outcome,
                }
                for a in self._rows(subject).iterator()
            )
        }

    def erase(self, subject: Any, *, actor: Any) -> ErasureResult:
        """Anonymise into statistics (as the sweep does); a subject hold retains."""
        with transaction.atomic():
            lock_holds(shared=True)
            rows = list(self._rows(subject))
            if not rows:
                return ErasureResult(Outcome.NOTHING)
            gone = applicant_category.anonymise_ids([r.pk for r in rows if not r.held])
            record_disposals(
                gone,
                category=applicant_category.key,
                action="anonymise",
                reason=DeletionRecord.Reason.ERASURE,
                policy_key="erasure request",
            )
            audit.record(
                "retention.erasure.applicants",
                actor=actor,
                subject_id=subject.pk,
                data={"anonymised": len(gone), "held": len(rows) - len(gone)},
            )
        held = {r.subject_id for r in rows if r.held}
        if held:
            names = ", ".join(str(h) for h in holds_covering(subject_ids=held))
            return ErasureResult(
                Outcome.RETAINED,
                len(gone),
                f"{len(gone)} applications anonymised; the rest retained under "
                f"{names or 'a legal hold'}",
                reason=f"retained under {names or 'a legal hold'}",
                legal_basis=HOLD_BASIS,
            )
        return ErasureResult(Outcome.ANONYMISED, len(gone), "job applications")
