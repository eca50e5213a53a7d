"""The subject page's section: who received this person's data."""

from __future__ import annotations

from typing import Any

from disclosures_app.models import Disclosure
from privacyportal.subjects.story import ROW_LIMIT, Section, when


def disclosure_sections(subject: Any) -> list[Section]:
    rows = (
        Disclosure.objects.for_subject(subject.pk)
        .select_related("recipient")
        .order_by("-disclosed_at")[: ROW_LIMIT + 1]
    )
    lines = [
        (
            when(d.disclosed_at),
            d.recipient.name,
            ", ".join(d.categories),
            d.purpose,
            d.get_legal_basis_display(),
            "Withheld from the person: " + d.withheld_ground
            if d.withheld_from_subject
            else "Shown to the person",
        )
        for d in rows
    ]
    return [
        Section(
            "disclosures",
            "Disclosures to recipients",
            ("When", "Recipient", "Data", "Purpose", "Legal basis", "In their export"),
            lines[:ROW_LIMIT],
            truncated=len(lines) > ROW_LIMIT,
        )
    ]
