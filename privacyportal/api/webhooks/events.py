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
    # Every item the event is about, when it names several (recording.deleted).
    objects: list[dict[str, Any]] | None = None


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


# Reason codes of DeletionRecord; anything else could be words someone typed,
# which stay out of the payload.
REASONS = ("retention", "customer", "erasure")
# Recordings named by one recording.deleted event: a sweep batch (2,000 by
# default) fits in one; a larger batch or erasure is split, keeping a body
# under ~75 KB.
MAX_OBJECTS = 2000


def _recordings(
    ids: list[str], reason: str | None, object_: dict[str, Any]
) -> list[Event]:
    """recording.deleted naming every recording by id in ``objects``.

    One event per deletion batch, not per recording: a million-row sweep
    then writes hundreds of delivery rows per subscription, not a million.
    """
    known = reason if reason in REASONS else None
    chunks = [ids[i : i + MAX_OBJECTS] for i in range(0, len(ids), MAX_OBJECTS)]
    return [
        Event(
            "recording.deleted",
            object_,
            {"reason": known, "recordings": len(chunk)},
            objects=[{"type": "recording", "id": str(pk)} for pk in chunk],
        )
        for chunk in chunks
    ]


def _recording_deleted(event: AuditEvent) -> list[Event]:
    if event.data.get("found") == 0:  # already gone: this call deleted nothing
        return []
    recording = {"type": "recording", "id": event.target_id}
    return _recordings([event.target_id], event.data.get("reason"), recording)


def _deleted_batch(event: AuditEvent) -> list[Event]:
    """Several recordings deleted at once on the customer's instruction (staff's
    "Delete recordings now", recording turned off with existing deleted)."""
    ids = event.data.get("ids", [])
    if not ids:  # all held: nothing was deleted
        return []
    return _recordings(ids, event.data.get("reason"), {"type": "customer_instruction"})


def _sweep_batch(event: AuditEvent) -> list[Event]:
    """A sweep batch's recordings (its audit event carries their ids)."""
    from retention_app.categories import RECORDINGS

    if event.data.get("category") != RECORDINGS:
        return []
    run = {"type": "retention_sweep", "id": event.target_id}
    return _recordings(event.data.get("ids", []), event.data.get("reason"), run)


def _erasure_recordings(event: AuditEvent) -> list[Event]:
    """Recordings an erasure deleted; no subject: recordings have many people."""
    ids = event.data.get("recording_ids", [])
    return _recordings(ids, "erasure", {"type": "erasure"})


def _erased(event: AuditEvent) -> list[Event]:
    ref = subject_ref(event.subject_id)
    return [Event("subject.erased", {"type": "subject", "id": ref}, {}, ref)]


MAKERS: dict[str, Callable[[AuditEvent], list[Event]]] = {
    "requests.request.verified": _verified,
    "requests.request.completed": _completed,
    "consent.consent.granted": _consent,
    "consent.consent.withdrawn": _consent,
    "retention.recording.deleted": _recording_deleted,
    "retention.recordings.deleted": _deleted_batch,
    "retention.sweep.batch": _sweep_batch,
    "retention.erasure.recordings": _erasure_recordings,
    "subjects.subject.anonymised": _erased,
}


def events_for(event: AuditEvent) -> list[Event]:
    maker = MAKERS.get(event.action)
    return maker(event) if maker else []


def payload(event: Event, *, event_id: str, occurred_at: str) -> dict[str, Any]:
    body = {
        "id": event_id,
        "type": event.type,
        "occurred_at": occurred_at,
        "object": event.object,
        "subject": event.subject,
        "data": event.data,
    }
    if event.objects is not None:
        body["objects"] = event.objects
    return body
