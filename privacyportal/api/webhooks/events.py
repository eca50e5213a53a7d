"""Which audit events become which webhook events, and what their payload says.

Payloads name things by id and type only: a request's reference, a purpose
code, an opaque subject id. Never an e-mail address, a name or free text a
person typed (a deletion reason, a note).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from privacyportal.api.webhooks.signing import derive
from privacyportal.audit.models import AuditEvent


@dataclass(frozen=True)
class Event:
    type: str
    object: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict)
    subject: str | None = None


def subject_ref(subject_id: int | None) -> str | None:
    """A stable opaque id: receivers can match events about one person, not count
    or enumerate the portal's subjects."""
    if subject_id is None:
        return None
    key = derive(b"privacyportal webhook subject ids v1")
    digest = hmac.new(key, str(subject_id).encode(), hashlib.sha256).hexdigest()
    return f"sub_{digest[:24]}"


def _request_type(request_id: str) -> str | None:
    from requests_app.models import PrivacyRequest

    return (
        PrivacyRequest.objects.filter(pk=request_id)
        .values_list("type", flat=True)
        .first()
    )


def _request(event: AuditEvent, kind: str, **data: Any) -> Event:
    return Event(
        kind,
        {
            "type": "privacy_request",
            "id": event.target_id,
            "reference": event.data.get("reference"),
        },
        data,
        subject_ref(event.subject_id),
    )


def _verified(event: AuditEvent) -> list[Event]:
    kind = _request_type(event.target_id)
    return [_request(event, "request.verified", request_type=kind)]


def _completed(event: AuditEvent) -> list[Event]:
    kind = _request_type(event.target_id)
    data = {"request_type": kind, "status": event.data.get("to")}
    done = [_request(event, "request.completed", **data)]
    if kind == "erasure":
        done.append(_request(event, "request.erasure_completed", **data))
    return done


def _consent(event: AuditEvent) -> list[Event]:
    purpose = event.data.get("purpose")
    granted = event.action.endswith(".granted")
    return [
        Event(
            "consent.changed",
            {"type": "consent", "purpose": purpose},
            {
                "purpose": purpose,
                "granted": granted,
                "source": event.data.get("source"),
            },
            subject_ref(event.subject_id),
        )
    ]


def _recording_deleted(event: AuditEvent) -> list[Event]:
    reason = event.data.get("reason")
    # The deletion services pass a DeletionRecord reason code; anything else
    # could be words someone typed, which stay out of the payload.
    known = reason if reason in ("retention", "customer", "erasure") else None
    return [
        Event(
            "recording.deleted",
            {"type": "recording", "id": event.target_id},
            {"reason": known},
        )
    ]


def _sweep(event: AuditEvent) -> list[Event]:
    """A sweep announces its recording deletions once per run, as a count.

    It writes no audit event per item (it disposes of thousands a second), so
    the run's own finished/interrupted event is where webhooks hear of them.
    """
    from retention_app.categories import RECORDINGS
    from retention_app.models import SweepRun

    run = SweepRun.objects.filter(pk=event.target_id).values("dry_run", "counts")
    row = run.first()
    count = (row or {}).get("counts", {}).get(RECORDINGS, 0)
    if not row or row["dry_run"] or not count:
        return []
    return [
        Event(
            "recording.deleted",
            {"type": "retention_sweep", "id": event.target_id},
            {"reason": "retention", "recordings": count},
        )
    ]


def _erased(event: AuditEvent) -> list[Event]:
    ref = subject_ref(event.subject_id)
    return [Event("subject.erased", {"type": "subject", "id": ref}, {}, ref)]


MAKERS: dict[str, Callable[[AuditEvent], list[Event]]] = {
    "requests.request.verified": _verified,
    "requests.request.completed": _completed,
    "consent.consent.granted": _consent,
    "consent.consent.withdrawn": _consent,
    "retention.recording.deleted": _recording_deleted,
    "retention.sweep.finished": _sweep,
    "retention.sweep.interrupted": _sweep,
    "subjects.subject.anonymised": _erased,
}


def events_for(event: AuditEvent) -> list[Event]:
    maker = MAKERS.get(event.action)
    return maker(event) if maker else []


def payload(event: Event, *, event_id: str, occurred_at: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": event.type,
        "occurred_at": occurred_at,
        "object": event.object,
        "subject": event.subject,
        "data": event.data,
    }
