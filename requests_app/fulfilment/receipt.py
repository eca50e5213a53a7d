"""The receipt of a request: what was exported, deleted, kept and why.

Staff download it from the admin as evidence; every download is audited.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from requests_app.models import PrivacyRequest
from requests_app.services import common

# Sections other apps add to the receipt, by key: section(request) -> plain values
# (disclosures_app: the recipients told of an erasure or correction, Art. 19).
RECEIPT_SECTIONS: dict[str, Callable[[PrivacyRequest], Any]] = {}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def request_receipt(request: PrivacyRequest) -> dict[str, Any]:
    """Plain values only: no name or e-mail, the subject is named by id."""
    return {
        "receipt": "privacy-portal/request-receipt/v1",
        "generated_at": timezone.now().isoformat(),
        "reference": request.reference,
        "type": request.type,
        "status": request.status,
        "subject_id": request.subject_id,
        "received_at": _iso(request.received_at),
        "verified_at": _iso(request.verified_at),
        "erasure_approved_at": _iso(request.erasure_approved_at),
        "erasure_started_at": _iso(request.erasure_started_at),
        "completed_at": _iso(request.completed_at),
        "sources": [
            {
                "source": o.source_key,
                "label": o.label,
                "status": o.status,
                "outcome": o.outcome,
                "items": o.items,
                "detail": o.detail,
                "reason": o.reason,
                "legal_basis": o.legal_basis,
                "attempts": o.attempts,
                "error": o.last_error if o.status != "done" else "",
                "finished_at": _iso(o.finished_at),
            }
            for o in request.outcomes.all()
        ],
        "exports": [
            {
                "id": p.pk,
                "status": p.status,
                "ready_at": _iso(p.ready_at),
                "expires_at": _iso(p.expires_at),
                "bytes": p.size,
                "downloads": p.download_count,
                "max_downloads": p.max_downloads,
                "deleted_at": _iso(p.deleted_at),
                "contents": p.summary,
            }
            for p in request.exports.all()
        ],
        "corrections": [
            {
                "field": c.field,
                "status": c.status,
                "reason": c.reason,
                "decided_at": _iso(c.decided_at),
            }
            for c in request.corrections.all()
        ],
        **{key: section(request) for key, section in RECEIPT_SECTIONS.items()},
    }


def receipt_download(*, actor: Any, request: PrivacyRequest) -> bytes:
    """The receipt as JSON; the download itself is recorded in the audit trail."""
    body = json.dumps(request_receipt(request), indent=2, ensure_ascii=False)
    with transaction.atomic():
        common.record("receipt_downloaded", request, actor=actor)
    return body.encode()
