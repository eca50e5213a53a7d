"""What retention tells of one person (the subject page's story)."""

from __future__ import annotations

from typing import Any

from privacyportal.subjects.story import Section, when
from retention_app.models import LegalHold


def retention_sections(subject: Any) -> list[Section]:
    holds = LegalHold.objects.filter(subject=subject).order_by("-placed_at")
    return [
        Section(
            "legal_holds",
            "Legal holds on this person's data",
            ("Placed", "Reason", "Matter", "Released", "Release reason"),
            [
                (
                    when(h.placed_at),
                    h.reason,
                    h.matter_reference,
                    when(h.released_at),
                    h.release_reason,
                )
                for h in holds
            ],
            note="A hold always wins over retention and erasure.",
        )
    ]
