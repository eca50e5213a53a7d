"""Registry source: who received the subject's data, from the disclosure log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Count, Max, Min
from django.utils.translation import gettext_noop

from disclosures_app.models import Disclosure, LegalBasis, Recipient
from privacyportal.registry import ErasureResult, Outcome, SourceInfo, shown

KEEP_REASON = (
    "the record of who received your data is kept: we must be able to tell "
    "each recipient about your erasure and show who received what"
)
KEEP_BASIS = "Legal obligation: GDPR Art. 19 and Art. 5(2) (accountability)"


def _names() -> dict[int, tuple[str, str]]:
    # The register is small: one read instead of a join on every log row.
    # Labels are resolved now, in the export's (the requester's) language.
    return {
        pk: (name, str(Recipient.Kind(kind).label))
        for pk, name, kind in Recipient.objects.values_list("pk", "name", "kind")
    }


def _day(value: Any) -> str:
    return value.date().isoformat() if value else ""


class DisclosureLogSource:
    key = "disclosures.log"
    # Words marked with gettext_noop: see privacyportal.registry.
    label = gettext_noop("Who received your data")
    info = SourceInfo(
        categories=(gettext_noop("disclosures of your data"),),
        purposes=(gettext_noop("showing who received your data (GDPR Art. 15(1)(c))"),),
        retention=gettext_noop(
            "kept as evidence for as long as the disclosures it records"
        ),
        origin=gettext_noop("recorded whenever your data was disclosed"),
        # Must outlive the data: it proves who was told of the erasure (Art. 19).
        record_of_handling=True,
    )

    def _rows(self, subject: Any):
        return Disclosure.objects.for_subject(subject.pk).visible_to_subject()

    def export(self, subject: Any) -> dict[str, Any]:
        names = _names()
        return {
            "recipients": self._recipients(subject, names),
            "disclosures": self._disclosures(subject, names),
        }

    def _recipients(self, subject: Any, names: dict) -> Iterator[dict]:
        summary = (
            self._rows(subject)
            .values("recipient_id")
            .annotate(
                n=Count("id"), first=Min("disclosed_at"), last=Max("disclosed_at")
            )
            .order_by("recipient_id")
        )
        for row in summary.iterator():
            name, kind = names[row["recipient_id"]]
            yield {
                "recipient": name,
                "kind of recipient": kind,
                "disclosures": row["n"],
                "first": _day(row["first"]),
                "last": _day(row["last"]),
            }

    def _disclosures(self, subject: Any, names: dict) -> Iterator[dict]:
        rows = self._rows(subject).order_by("disclosed_at", "pk")
        fields = ("recipient_id", "categories", "purpose", "legal_basis")
        for row in rows.values(*fields, "disclosed_at").iterator(chunk_size=2_000):
            name, kind = names[row["recipient_id"]]
            yield {
                "recipient": name,
                "kind of recipient": kind,
                "date": _day(row["disclosed_at"]),
                # Recorded from the registry's English words: shown translated.
                "categories": [shown(c) for c in row["categories"]],
                "purpose": row["purpose"],
                "legal basis": str(LegalBasis(row["legal_basis"]).label),
            }

    def erase(self, subject: Any, *, actor: Any) -> ErasureResult:
        held = Disclosure.objects.for_subject(subject.pk).count()
        if not held:
            return ErasureResult(Outcome.NOTHING)
        return ErasureResult(
            Outcome.RETAINED, held, reason=KEEP_REASON, legal_basis=KEEP_BASIS
        )
