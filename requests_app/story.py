"""What the privacy-request workflow tells of one person (the subject page's story)."""

from __future__ import annotations

from typing import Any

from privacyportal.emailtitles import sent
from privacyportal.registry import Outcome
from privacyportal.subjects.story import Section, cut, when
from requests_app.models import PrivacyRequest, RequestEvent, SourceOutcome

STATUS_LABELS = dict(PrivacyRequest.Status.choices)
OUTCOME_LABELS = dict(Outcome.CHOICES)


def _event_text(event: RequestEvent) -> str:
    """One timeline entry in words: a status change by its status names."""
    if event.kind == RequestEvent.Kind.STATUS:
        before = STATUS_LABELS.get(event.from_status, event.from_status)
        after = STATUS_LABELS.get(event.to_status, event.to_status)
        text = f"Status: {before} → {after}" if before else f"Status: {after}"
    elif event.kind == RequestEvent.Kind.EMAIL:
        # The message of an e-mail event is its template name: say what it was.
        return sent(event.message)
    else:
        text = event.get_kind_display()
    return f"{text}. {event.message}" if event.message else text


def request_sections(subject: Any) -> list[Section]:
    requests = list(
        PrivacyRequest.objects.filter(subject=subject).order_by("-received_at")
    )
    refs = {r.pk: r.reference for r in requests}
    events = RequestEvent.objects.filter(request_id__in=refs).order_by("at", "id")
    outcomes = SourceOutcome.objects.filter(request_id__in=refs).order_by(
        "request_id", "label"
    )
    timeline, more = cut(
        [
            (refs[e.request_id], when(e.at), _event_text(e), e.actor_label or "")
            for e in events
        ]
    )
    return [
        Section(
            "requests",
            "Privacy requests",
            ("Reference", "Type", "Status", "Received", "Due", "Closed"),
            [
                (
                    r.reference,
                    r.get_type_display(),
                    r.get_status_display(),
                    when(r.received_at),
                    when(r.due_at),
                    when(r.closed_at),
                )
                for r in requests
            ],
        ),
        Section(
            "request_timelines",
            "Request timelines",
            ("Reference", "When", "What happened", "By"),
            timeline,
            truncated=more,
        ),
        Section(
            "erasure_outcomes",
            "What each system did on erasure (receipts)",
            (
                "Reference",
                "System",
                "Outcome",
                "Items",
                "Reason",
                "Legal basis",
                "When",
            ),
            [
                (
                    refs[o.request_id],
                    o.label or o.source_key,
                    OUTCOME_LABELS.get(o.outcome, o.get_status_display()),
                    str(o.items),
                    o.reason or o.detail,
                    o.legal_basis,
                    when(o.finished_at),
                )
                for o in outcomes
            ],
            note="Retained data always names its reason and legal basis.",
        ),
    ]
