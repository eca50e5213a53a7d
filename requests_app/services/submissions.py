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

Waking the worker is coalesced. Publishing a Celery task costs more CPU than
the rest of the POST together (client set-up, message building, settings
look-ups), so the POST only sets a short-lived wake-up key (one Redis SET NX)
after its INSERT commits; the POST that finds the key absent publishes one
``submissions_drain_task``, which deletes the key before it reads and then
files every fresh submission in id order. A submission committed while the key
is set is therefore read by the drain that deletes it next. At a trickle every
POST still publishes (the key is gone by the next one); under load one task
serves hundreds of submissions. A lost wake-up (broker down, a crash between
commit and publish, a drain task lost with its worker) is made good by the
next POST after ``WAKE_TTL`` seconds, or at the latest by the re-dispatch job,
which files anything older than ``REDISPATCH_AFTER`` (beat: every 3 minutes),
so a quiet site's worst case is about five minutes.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from privacyportal import fastcache
from privacyportal.audit.services import Actor
from privacyportal.mail import sending_here
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
WAKE_KEY = "requests:submissions:wake"
# A wake-up whose task never ran stops suppressing new ones after this long.
WAKE_TTL = 10
DRAIN_BATCH = 200
# A drain hands its worker back after this long (checked between batches of
# DRAIN_BATCH, so it may run one batch over) and wakes a successor.
DRAIN_BUDGET_SECONDS = 30.0


def submission_accept(
    *, data: dict[str, Any], ip: str = "", user_agent: str = "", gpc: bool = False
) -> RequestSubmission:
    """Store validated form data (one INSERT) and wake the drain after commit."""
    from consent_app.services import truncate_ip

    # One INSERT, committed on its own (no BEGIN/COMMIT round trips around
    # it); the wake-up follows its commit (at once, or when the caller's
    # transaction commits if there is one).
    row = RequestSubmission.objects.create(
        data=data,
        ip=truncate_ip(ip) or "",
        user_agent=user_agent[:300],
        gpc=gpc,
    )
    transaction.on_commit(wake_drain)
    return row


def wake_drain() -> None:
    """Publish a drain unless one is already due to run; never raises."""
    from requests_app.tasks import submissions_drain_task

    try:
        if not fastcache.add(WAKE_KEY, WAKE_TTL):
            return  # a drain is queued and has not started reading yet
    except fastcache.CacheUnavailable:
        # fastcache has logged the outage once. In the documented setup the
        # broker is the same Redis: publishing would only hold this POST for
        # its retries. The re-dispatch job files the row.
        return
    try:
        submissions_drain_task.apply_async()
    except Exception:  # broker down: the re-dispatch job catches up
        log.warning("could not wake the submission drain", exc_info=True)
        fastcache.delete(WAKE_KEY)  # let the next POST try again


def submissions_drain(*, budget: float = DRAIN_BUDGET_SECONDS) -> int:
    """File every fresh submission (first attempt); returns how many were filed.

    Retries of failed ones are the re-dispatch job's, with its delay as their
    back-off. Several drains may run at once: each claims with SKIP LOCKED.
    """
    fastcache.delete(WAKE_KEY)  # before reading: later POSTs wake a successor
    deadline = time.monotonic() + budget
    filed, after = 0, 0
    while time.monotonic() < deadline:
        ids = list(
            RequestSubmission.objects.filter(
                pk__gt=after, processed_at__isnull=True, attempts=0
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:DRAIN_BATCH]
        )
        if not ids:
            return filed
        for pk in ids:
            filed += _drain_one(pk)
            after = pk
    wake_drain()  # out of time with work left: hand over to a fresh task
    return filed


def _drain_one(pk: int) -> int:
    try:
        return int(submission_process(submission_id=pk) is not None)
    except Exception:
        # One bad submission must not hold up the others: counted as an
        # attempt, it is retried by the re-dispatch job.
        log.exception("request submission %s failed", pk)
        RequestSubmission.objects.filter(pk=pk).update(attempts=F("attempts") + 1)
        return 0


def submission_from(
    data: dict[str, Any], channel: str = PrivacyRequest.Channel.WEB
) -> Submission:
    """A Submission from the public form's cleaned data (the API sends the same)."""
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
        language=data.get("language", ""),
        channel=channel,
    )


def submission_process(*, submission_id: int) -> PrivacyRequest | None:
    """Turn a submission into a request, once; None if it was done already."""
    with atomic():
        # The claim: of two deliveries (or drains), one locks the row; the
        # other skips it and does nothing. The row is deleted at the end, so a
        # later delivery finds nothing either.
        row = (
            RequestSubmission.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=submission_id, processed_at__isnull=True)
            .order_by("pk")
            .first()
        )
        if row is None:
            return None
        request = request_submit(
            actor=Actor.subject(None),
            submission=submission_from(row.data),
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
    """Process late submissions here and now (the command; no broker needed).

    Their e-mails are sent from here too: the broker is usually why they are
    late, and trying it for each e-mail cost seconds per submission.
    """
    now = now or timezone.now()
    ids = list(
        RequestSubmission.objects.filter(
            processed_at__isnull=True, received_at__lt=now - REDISPATCH_AFTER
        )
        .order_by("received_at")
        .values_list("pk", flat=True)
    )
    with sending_here():
        return sum(submission_process(submission_id=pk) is not None for pk in ids)
