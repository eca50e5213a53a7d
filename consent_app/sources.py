"""Registry source for the consent ledger and current answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext_noop

from consent_app.models import ConsentEvent, ConsentState
from privacyportal.registry import ErasureResult, Outcome, SourceInfo


def ledger_rows(subject: Any) -> Iterator[dict[str, Any]]:
    """The subject's consent history, oldest first, as plain values."""
    events = (
        ConsentEvent.objects.filter(subject_id=subject.pk)
        .select_related("purpose", "policy_version")
        .order_by("occurred_at", "pk")
    )
    for event in events.iterator(chunk_size=500):
        yield {
            "id": event.pk,
            "occurred_at": event.occurred_at.isoformat(),
            "purpose": event.purpose.code,
            "action": event.action,
            "source": event.source,
            "reason": event.reason,
            "policy_version": event.policy_version.label
            if event.policy_version
            else None,
            "actor": event.actor_label,
            "ip": event.ip,
            "user_agent": event.user_agent,
            "evidence": event.evidence,
            "redacted": event.redacted,
        }


def state_rows(subject: Any) -> list[dict[str, Any]]:
    states = (
        ConsentState.objects.filter(subject_id=subject.pk)
        .select_related("purpose", "policy_version")
        .order_by("purpose__position", "purpose__code")
    )
    return [
        {
            "purpose": s.purpose.code,
            "granted": s.granted,
            "since": s.since.isoformat(),
            "source": s.source,
            "policy_version": s.policy_version.label if s.policy_version else None,
        }
        for s in states
    ]


class ConsentLedgerSource:
    key = "consent.ledger"
    # Words marked with gettext_noop: see privacyportal.registry.
    label = gettext_noop("Consent choices and their history")
    info = SourceInfo(
        categories=(
            gettext_noop("consent choices"),
            gettext_noop("IP address (network part)"),
            gettext_noop("browser"),
        ),
        purposes=(gettext_noop("proving consent and honouring opt-outs"),),
        retention=gettext_noop(
            "kept as proof of consent; personal fields redacted on erasure"
        ),
        origin=gettext_noop(
            "given by you (forms, preference centre, unsubscribe links, "
            "browser signals) or recorded by staff on your behalf"
        ),
    )

    def export(self, subject: Any) -> dict[str, Any]:
        return {"events": ledger_rows(subject), "current": state_rows(subject)}

    def erase(self, subject: Any, *, actor: Any) -> ErasureResult:
        from consent_app.links import subject_links_delete
        from consent_app.services import ledger_redact

        redacted = ledger_redact(actor=actor, subject=subject)
        subject_links_delete(subject=subject)
        if not ConsentEvent.objects.filter(subject_id=subject.pk).exists():
            return ErasureResult(Outcome.NOTHING)
        return ErasureResult(
            Outcome.RETAINED,
            redacted,
            "IP addresses, browser details and evidence text redacted; the record "
            "of each choice is kept so opt-outs stay honoured",
            reason="proof of consent",
            legal_basis="legal obligation (GDPR Art. 7(1))",
        )
