"""What the consent ledger tells of one person (the subject page's story)."""

from __future__ import annotations

from typing import Any

from consent_app.models import ConsentEvent
from privacyportal.subjects.story import ROW_LIMIT, Section, when


def consent_sections(subject: Any) -> list[Section]:
    events = list(
        ConsentEvent.objects.filter(subject=subject)
        .select_related("purpose", "policy_version")
        .order_by("-occurred_at", "-id")[: ROW_LIMIT + 1]
    )
    return [
        Section(
            "consent",
            "Consent history",
            ("When", "Purpose", "Choice", "How", "Policy version", "Reason"),
            [
                (
                    when(e.occurred_at),
                    e.purpose.name,
                    e.get_action_display(),
                    e.get_source_display(),
                    e.policy_version.label if e.policy_version else "",
                    e.reason,
                )
                for e in events[:ROW_LIMIT]
            ],
            note="The ledger is append-only; erasure redacts evidence, not choices.",
            truncated=len(events) > ROW_LIMIT,
        )
    ]
