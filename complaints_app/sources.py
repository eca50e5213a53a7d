"""Registry source: the complaints a person made, with the notes about them.

Investigation notes are exported: they are written about the complainant and
their complaint, so they are the complainant's personal data (GDPR Art. 15).
Who wrote a note is not: staff names are left out, the text is given whole.

Erasure mirrors the person's own requests (requests_app): a complaint is the
record of how their complaint was handled. One being handled is kept until it
is decided; a decided one is kept KEEP_MONTHS after the decision, then the
retention sweep anonymises it (complaints_app/categories.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext_noop

from complaints_app.models import Complaint, ComplaintNote
from privacyportal.registry import ErasureResult, Outcome, SourceInfo

KEEP_MONTHS = 24
OPEN_BASIS = (
    "legal obligation: answering your complaint (GDPR Art. 12 and 77), "
    "GDPR Art. 17(3)(b)"
)
DECIDED_BASIS = (
    "legal obligation and legal claims: showing how your complaint was handled "
    "(GDPR Art. 5(2), Art. 17(3)(b) and (e))"
)
FIELDS = (
    "reference",
    "status",
    "received_at",
    "acknowledged_at",
    "due_at",
    "decided_at",
    "name",
    "email",
    "country",
    "region",
    "text",
    "outcome",
    "escalated_at",
    "escalated_to",
)
HEADINGS = {
    "received_at": "received",
    "acknowledged_at": "acknowledged",
    "due_at": "decide by",
    "decided_at": "decided",
    "text": "complaint",
    "outcome": "outcome sent to you",
    "escalated_at": "taken further",
    "escalated_to": "taken to",
}


class ComplaintSource:
    key = "complaints.complaints"
    # Words marked with gettext_noop: see privacyportal.registry.
    label = gettext_noop("Your complaints")
    info = SourceInfo(
        categories=(
            gettext_noop("complaints you made"),
            gettext_noop("contact details given in them"),
            gettext_noop("notes of our investigation"),
        ),
        purposes=(
            gettext_noop("handling your complaints"),
            gettext_noop("proving that we did"),
        ),
        # The number is in the msgid: an interpolated msgid is never found.
        retention=gettext_noop(
            "until decided, then 24 months after the decision, then anonymised"
        ),
        origin=gettext_noop(
            "provided by you in the complaint; notes written by our privacy staff"
        ),
        record_of_handling=True,
    )

    def _complaints(self, subject: Any):
        return Complaint.objects.filter(subject=subject)

    def export(self, subject: Any) -> dict[str, Any]:
        return {
            "complaints": self._rows(subject),
            "investigation notes": self._notes(subject),
        }

    def _rows(self, subject: Any) -> Iterator[dict]:
        rows = self._complaints(subject).order_by("received_at", "pk")
        for row in rows.values(*FIELDS).iterator():
            row["status"] = str(Complaint.Status(row["status"]).label)
            yield {HEADINGS.get(name, name): value for name, value in row.items()}

    def _notes(self, subject: Any) -> Iterator[dict]:
        notes = (
            ComplaintNote.objects.filter(complaint__subject=subject)
            .select_related("complaint")
            .order_by("created_at", "pk")
        )
        for note in notes.iterator():
            yield {
                "complaint": note.complaint.reference,
                "written": note.created_at,
                "note": note.text,
            }

    def erase(self, subject: Any, *, actor: Any) -> ErasureResult:
        held = self._complaints(subject).filter(anonymised_at__isnull=True)
        total = held.count()
        if not total:
            if self._complaints(subject).exists():
                return ErasureResult(Outcome.ANONYMISED, 0, "already anonymised")
            return ErasureResult(Outcome.NOTHING)
        being_handled = held.open().count()
        if being_handled:
            return _kept_open(total, being_handled)
        return ErasureResult(
            Outcome.RETAINED,
            total,
            f"{total} decided complaint(s) kept",
            reason=_decided_reason(),
            legal_basis=DECIDED_BASIS,
        )


def _decided_reason() -> str:
    return (
        f"record that your complaints were handled, kept {KEEP_MONTHS} months "
        "after each was decided, then anonymised"
    )


def _kept_open(total: int, being_handled: int) -> ErasureResult:
    reason = (
        f"{being_handled} complaint(s) still being handled: kept until we have "
        "decided and told you the outcome"
    )
    basis = OPEN_BASIS
    if total > being_handled:
        reason += f"; the others are the {_decided_reason()}"
        basis += f"; for the others, {DECIDED_BASIS}"
    return ErasureResult(
        Outcome.RETAINED,
        total,
        f"{total} complaint(s) kept, {being_handled} still being handled",
        reason=reason,
        legal_basis=basis,
    )
