"""Accept fast, process asynchronously: the public form's intake table.

The form POST validates everything (fields, honeypot, CSRF, rate limits) and
then writes one ``RequestSubmission`` row and enqueues its processing after
commit. The task runs ``request_submit`` (duplicate check, reference,
deadlines from the submission's ``received_at``, timeline, audit event,
verification e-mail, opt-out) in one transaction that also claims and deletes
the submission, so a task delivered twice creates one request and the raw
input does not outlive its request.

The intake row is deliberately not audited: it is raw input, not a decision.
The request and its "received" audit event are created atomically from it, so
the audit trail starts exactly when there is something to account for.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db.models import F
from django.utils import timezone

from privacyportal.audit.services import Actor
from privacyportal.tasks import enqueue
from requests_app.models import PrivacyRequest, RequestSubmission
from requests_app.services.common import atomic
from requests_app.services.intake import Submission, request_submit

log = logging.getLogger(__name__)

# A submission still unprocessed after this long lost its task (broker down).
REDISPATCH_AFTER = timedelta(minutes=2)
# After this many re-dispatches a submission is left for an operator (logged).
MAX_ATTEMPTS = 10
REDISPATCH_BATCH = 500


def submission_accept(
    *, data: dict[str, Any], ip: str = "", user_agent: str = "", gpc: bool = False
) -> RequestSubmission:
    """Store validated form data (one INSERT) and enqueue it after commit."""
    from consent_app.services import truncate_ip
    from requests_app.tasks import submission_process_task

    # One INSERT, committed on its own (no BEGIN/COMMIT round trips around
    # it); ``enqueue`` then sends at once, or after the caller's transaction
    # commits if there is one.
    row = RequestSubmission.objects.create(
        data=data,
        ip=truncate_ip(ip) or "",
        user_agent=user_agent[:300],
        gpc=gpc,
    )
    enqueue(submission_process_task, row.pk)
    return row


def _submission(data: dict[str, Any]) -> Submission:
    corrections = (
        ((data["correction_field"], data["correction_value"]),)
        if data.get("correction_field")
        else ()
    )
    return Submission(
        type=data["type"],
        email=data["email"],
        name=data["name"],
        country=data["country"],
        region=data.get("region", ""),
        relationship=data["relationship"],
        details=data.get("details", ""),
        is_agent=bool(data.get("is_agent")),
        agent_name=data.get("agent_name", ""),
        agent_email=data.get("agent_email", ""),
        corrections=corrections,
    )


def submission_process(*, submission_id: int) -> PrivacyRequest | None:
    """Turn a submission into a request, once; None if it was done already."""
    with atomic():
        # The claim: of two deliveries, only one updates the row; the other
        # waits on its lock, then finds it gone (or processed) and does nothing.
        claimed = RequestSubmission.objects.filter(
            pk=submission_id, processed_at__isnull=True
        ).update(processed_at=timezone.now())
        if claimed != 1:
            return None
        row = RequestSubmission.objects.get(pk=submission_id)
        request = request_submit(
            actor=Actor.subject(None),
            submission=_submission(row.data),
            received_at=row.received_at,
        )
        # Only an opt-out knows its subject now; others are matched at
        # verification (and the status page honours GPC from then on).
        if row.gpc and request.subject_id:
            _honour_gpc(request, row)
        # The raw input (name, e-mail, details, IP) dies with the claim.
        RequestSubmission.objects.filter(pk=submission_id).delete()
    return request


def _honour_gpc(request: PrivacyRequest, row: RequestSubmission) -> None:
    try:
        from consent_app.services import gpc_honour
    except ImportError:
        return
    gpc_honour(subject=request.subject, ip=row.ip or None, user_agent=row.user_agent)


def submissions_redispatch(*, now: Any = None) -> int:
    """Re-send submissions whose task was lost; returns how many were sent."""
    from requests_app.tasks import submission_process_task

    now = now or timezone.now()
    pending = RequestSubmission.objects.filter(
        processed_at__isnull=True,
        received_at__lt=now - REDISPATCH_AFTER,
        attempts__lt=MAX_ATTEMPTS,
    ).order_by("received_at")
    ids = list(pending.values_list("pk", flat=True)[:REDISPATCH_BATCH])
    RequestSubmission.objects.filter(pk__in=ids).update(attempts=F("attempts") + 1)
    for pk in ids:
        enqueue(submission_process_task, pk)
    stuck = RequestSubmission.objects.filter(
        processed_at__isnull=True, attempts__gte=MAX_ATTEMPTS
    ).count()
    if stuck:
        log.error("%d request submission(s) failed %d times", stuck, MAX_ATTEMPTS)
    return len(ids)


def submissions_process_pending(*, now: Any = None) -> int:
    """Process late submissions here and now (the command; no broker needed)."""
    now = now or timezone.now()
    ids = list(
        RequestSubmission.objects.filter(
            processed_at__isnull=True, received_at__lt=now - REDISPATCH_AFTER
        )
        .order_by("received_at")
        .values_list("pk", flat=True)
    )
    return sum(submission_process(submission_id=pk) is not None for pk in ids)
