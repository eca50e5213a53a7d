"""Erasure across every registered source, one step per source.

Invariants:
- an erasure runs ERASURE_DELAY_HOURS after approval; until it starts the
  requester (status page) or staff (admin) can cancel it;
- starting creates one SourceOutcome per registry source; a source added while
  the erasure runs gets its step before the request can finish;
- a step is claimed (row lock, SKIP LOCKED), run and recorded in ONE
  transaction: a worker killed mid-step rolls the source's change back with
  the claim, so the step runs again and no source is erased twice or skipped;
- the claim locks the step's row only (never its request's), so the steps of
  one request run side by side; a step found locked by another attempt is
  "busy" and its task looks again a few seconds later;
- a source that commits in its own database (``commits_elsewhere``: external
  SQL) cannot share that transaction. Its step commits a marker
  (``external_started_at``) before the call and records the outcome after it;
  a later attempt that finds the marker knows an earlier one may have erased
  without recording it, and a "nothing held" answer is then recorded as done
  by that attempt, count unknown, rather than as nothing held. While the
  marker is younger than EXTERNAL_LEASE another attempt may be running, so
  the step waits for the dispatch job;
- a failing step is retried with backoff; after MAX_ATTEMPTS it is marked
  ``needs_attention`` with the error and the request cannot finish;
- the subject's profile (its e-mail) is erased last: other sources, external
  databases included, find the subject by it;
- a subject under an active legal hold keeps everything (retained, with the
  hold's name), whatever the source;
- the request ends completed or partially completed only when every step has
  an outcome; the audit trail about the subject is then redacted (never
  deleted) and the requester is told what was removed, what was kept and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from privacyportal import retention
from privacyportal.audit.services import Actor, redact_subject
from privacyportal.registry import ErasureResult, Outcome, registry
from requests_app.models import PrivacyRequest, RequestEvent, SourceOutcome
from requests_app.services import common
from requests_app.services.common import RequestError, S, TransitionError

MAX_ATTEMPTS = 4
EXTERNAL_LEASE = timedelta(minutes=30)
# Seconds to wait before attempts 2, 3 and 4.
BACKOFF = (60, 300, 1800)
AUDIT_KEY = "audit.trail"

# Sources holding the identifiers (e-mail) other sources find the subject by:
# erased only after every other source, or those could no longer find it.
IDENTITY_KEYS = {"subjects.profile"}
HOLD_BASIS = "Legal claims: active legal hold (GDPR Art. 17(3)(e))"
SYSTEM = Actor.system("erasure")


@dataclass(frozen=True)
class StepResult:
    state: str  # done | retry | failed | skipped | waiting | busy
    request_id: int | None = None
    retry_in: int = 0


def _locked(request_id: int) -> PrivacyRequest:
    return PrivacyRequest.objects.select_for_update().get(pk=request_id)


def _lock_steps(*, skip_locked: bool = False, **filters: Any) -> QuerySet:
    # Meta.ordering sorts by request, which joins the request table; FOR
    # UPDATE would then lock the request row too and serialise every step of
    # the request. Ordered by pk and locked OF self, only the step row is.
    return (
        SourceOutcome.objects.select_for_update(skip_locked=skip_locked, of=("self",))
        .filter(**filters)
        .order_by("pk")
    )


def _email(request: PrivacyRequest, template: str, key: str, **context: Any) -> None:
    # Automatic requests (a child flagged by staff) may have no address.
    if request.email:
        common.email_requester(request, template, key, **context)


# --- approval and the cancel window ----------------------------------------------


def erasure_approve(*, actor: Any, request: PrivacyRequest) -> PrivacyRequest:
    """Schedule the erasure ERASURE_DELAY_HOURS from now and tell the requester."""
    now = timezone.now()
    run_after = now + timedelta(hours=settings.ERASURE_DELAY_HOURS)
    with transaction.atomic():
        request = _locked(request.pk)
        if request.type != PrivacyRequest.Type.ERASURE:
            raise RequestError(f"{request.reference} is not an erasure request.")
        if request.verified_at is None:
            raise RequestError(f"{request.reference} is not verified.")
        if request.status not in {S.VERIFIED, S.IN_PROGRESS}:
            raise TransitionError(f"{request.reference} is not being worked on.")
        if request.erasure_approved_at is not None:
            raise RequestError(f"{request.reference}: erasure already approved.")
        if request.status == S.VERIFIED:
            common.transition(request, S.IN_PROGRESS, actor=actor, action="started")
        PrivacyRequest.objects.filter(pk=request.pk).update(
            erasure_approved_at=now,
            erasure_approved_by=common.user_or_none(actor),
            erasure_run_after=run_after,
        )
        request.erasure_approved_at, request.erasure_run_after = now, run_after
        when = timezone.localtime(run_after).strftime("%d %B %Y %H:%M %Z")
        common.event(
            request,
            RequestEvent.Kind.NOTE,
            actor=actor,
            public=True,
            message=f"Deletion approved; it starts after {when}. "
            "You can cancel it on this page until then.",
        )
        common.record(
            "erasure_approved",
            request,
            actor=actor,
            data={"run_after": run_after.isoformat()},
        )
        if request.email:
            common.email_requester(
                request,
                "fulfilment_erasure_scheduled",
                "erasure_scheduled",
                # ISO: the e-mail shows it as a date in the requester's language.
                run_after=run_after.isoformat(),
                link=common.status_link(request, now),
            )
        if settings.ERASURE_DELAY_HOURS == 0:
            _enqueue_start(request.pk)
    return request


def _enqueue_start(request_id: int) -> None:
    from privacyportal.tasks import enqueue
    from requests_app.tasks import erasure_start_task

    enqueue(erasure_start_task, request_id)


def erasure_cancel(
    *, actor: Any, request: PrivacyRequest, by_requester: bool = False
) -> None:
    """Cancel an approved erasure that has not started.

    The requester's cancel withdraws the request; staff's leaves it in
    progress, to be approved again or denied.
    """
    with transaction.atomic():
        request = _locked(request.pk)
        cancelled = PrivacyRequest.objects.filter(
            pk=request.pk,
            erasure_approved_at__isnull=False,
            erasure_started_at__isnull=True,
        ).update(
            erasure_approved_at=None, erasure_approved_by=None, erasure_run_after=None
        )
        if cancelled != 1:
            raise RequestError(
                f"{request.reference}: the deletion has already started "
                "or was not scheduled."
            )
        request.erasure_approved_at = request.erasure_run_after = None
        common.record("erasure_cancelled", request, actor=actor)
        if by_requester:
            common.transition(
                request,
                S.WITHDRAWN,
                actor=actor,
                action="withdrawn",
                message="Deletion cancelled by the requester.",
                public=True,
            )
        else:
            common.event(
                request,
                RequestEvent.Kind.NOTE,
                actor=actor,
                public=True,
                message="The scheduled deletion was cancelled by our staff.",
            )


# --- running ---------------------------------------------------------------------


def _ensure_steps(request: PrivacyRequest) -> list[int]:
    """One step per registry source; returns the ids of steps created now."""
    have = set(request.outcomes.values_list("source_key", flat=True))
    new = [
        SourceOutcome(request=request, source_key=s.key, label=s.label)
        for s in registry
        if s.key not in have
    ]
    SourceOutcome.objects.bulk_create(new, ignore_conflicts=True)
    keys = [s.source_key for s in new]
    return list(
        request.outcomes.filter(source_key__in=keys).values_list("pk", flat=True)
    )


def _enqueue_steps(ids: list[int]) -> None:
    from privacyportal.tasks import enqueue
    from requests_app.tasks import erasure_step_task

    for pk in ids:
        enqueue(erasure_step_task, pk)


def erasure_start(*, request_id: int) -> list[int]:
    """Claim a due erasure, create its steps and enqueue them; [] if not due."""
    now = timezone.now()
    with transaction.atomic():
        claimed = PrivacyRequest.objects.filter(
            pk=request_id,
            status=S.IN_PROGRESS,
            erasure_started_at__isnull=True,
            erasure_run_after__lte=now,
        ).update(erasure_started_at=now)
        if claimed != 1:
            return []
        request = PrivacyRequest.objects.get(pk=request_id)
        ids = _ensure_steps(request)
        common.record(
            "erasure_started", request, actor=SYSTEM, data={"steps": len(ids)}
        )
        _enqueue_steps(ids)
    return ids


def _hold_name(subject_id: int) -> str:
    return retention.active_holds().covering(subject_id=subject_id)


def _erase_one(step: SourceOutcome, request: PrivacyRequest) -> ErasureResult:
    subject = request.subject
    if subject is None:
        return ErasureResult(Outcome.NOTHING, detail="no records matched the address")
    # Under the hold lock (the step's transaction holds it to commit): a hold
    # placed on the person while their sources are erased waits, not missed.
    retention.lock_holds_shared()
    hold = _hold_name(subject.pk)
    if hold:
        return ErasureResult(
            Outcome.RETAINED,
            detail="kept unchanged while the legal hold is active",
            reason=f"active legal hold: {hold}",
            legal_basis=HOLD_BASIS,
        )
    try:
        source = registry.get(step.source_key)
    except KeyError:
        raise RequestError(
            f"source {step.source_key} is no longer registered"
        ) from None
    return source.erase(subject, actor=SYSTEM)


def erasure_step_run(*, outcome_id: int) -> StepResult:
    """Run one step: claim, erase and record in one transaction (see module doc)."""
    request_id = None
    try:
        with transaction.atomic():
            step = _lock_steps(
                skip_locked=True, pk=outcome_id, status=SourceOutcome.Status.PENDING
            ).first()
            if step is None:
                return StepResult("busy" if _pending(outcome_id) else "skipped")
            request = PrivacyRequest.objects.select_related("subject").get(
                pk=step.request_id
            )
            request_id = request.pk
            if request.status != S.IN_PROGRESS or request.erasure_started_at is None:
                return StepResult("skipped", request_id)
            if step.source_key in IDENTITY_KEYS and _others_pending(request):
                return StepResult("waiting", request_id)
            source = _registered(step.source_key)
            if getattr(source, "commits_elsewhere", False):
                interrupted = _mark_external(step)
                if interrupted is None:
                    return StepResult("waiting", request_id)
            else:
                _record_done(step, request, _erase_one(step, request))
                return StepResult("done", request_id)
        # The marker is committed: now the source commits in its own database.
        return _run_external(step, request, source, interrupted=interrupted)
    except Exception as exc:  # any source failure: recorded, retried, then flagged
        return _step_failed(outcome_id, exc)


def _pending(outcome_id: int) -> bool:
    return SourceOutcome.objects.filter(
        pk=outcome_id, status=SourceOutcome.Status.PENDING
    ).exists()


def _registered(key: str) -> Any:
    try:
        return registry.get(key)
    except KeyError:
        return None  # _erase_one says so, as a failure of the step


def _mark_external(step: SourceOutcome) -> bool | None:
    """Commit the marker; whether an earlier attempt left one, None if leased."""
    now = timezone.now()
    started = step.external_started_at
    if started is not None and now - started < EXTERNAL_LEASE:
        return None  # another attempt may be calling the source right now
    SourceOutcome.objects.filter(pk=step.pk).update(external_started_at=now)
    step.external_started_at = now
    return started is not None


def _run_external(
    step: SourceOutcome, request: PrivacyRequest, source: Any, *, interrupted: bool
) -> StepResult:
    try:
        result = _erase_one(step, request)
    except Exception:
        # The other database rolled back: no attempt did anything there.
        SourceOutcome.objects.filter(
            pk=step.pk, external_started_at=step.external_started_at
        ).update(external_started_at=None)
        raise
    if interrupted and result.outcome == Outcome.NOTHING and request.subject:
        result = source.interrupted_result()
    with transaction.atomic():
        # Recorded by this attempt only if no other attempt took over since.
        mine = _lock_steps(
            pk=step.pk,
            status=SourceOutcome.Status.PENDING,
            external_started_at=step.external_started_at,
        ).first()
        if mine is None:
            return StepResult("skipped", request.pk)
        _record_done(mine, request, result)
    return StepResult("done", request.pk)


def _others_pending(request: PrivacyRequest) -> bool:
    return (
        request.outcomes.exclude(source_key__in={*IDENTITY_KEYS, AUDIT_KEY})
        .exclude(status=SourceOutcome.Status.DONE)
        .exists()
    )


def _record_done(
    step: SourceOutcome, request: PrivacyRequest, result: ErasureResult
) -> None:
    SourceOutcome.objects.filter(pk=step.pk).update(
        status=SourceOutcome.Status.DONE,
        outcome=result.outcome,
        items=result.items,
        detail=result.detail,
        reason=result.reason,
        legal_basis=result.legal_basis,
        attempts=step.attempts + 1,
        needs_attention=False,
        next_attempt_at=None,
        external_started_at=None,
        finished_at=timezone.now(),
    )
    common.record(
        "erasure_step",
        request,
        actor=SYSTEM,
        data={
            "source": step.source_key,
            "outcome": result.outcome,
            "items": result.items,
        },
    )


def _step_failed(outcome_id: int, exc: Exception) -> StepResult:
    now = timezone.now()
    error = f"{type(exc).__name__}: {exc}"[:1000]
    with transaction.atomic():
        step = _lock_steps(pk=outcome_id, status=SourceOutcome.Status.PENDING).first()
        if step is None:
            return StepResult("skipped")
        attempts = step.attempts + 1
        request = PrivacyRequest.objects.get(pk=step.request_id)
        if attempts < MAX_ATTEMPTS:
            delay = BACKOFF[min(attempts, len(BACKOFF)) - 1]
            SourceOutcome.objects.filter(pk=step.pk).update(
                attempts=attempts,
                last_error=error,
                next_attempt_at=now + timedelta(seconds=delay),
            )
            return StepResult("retry", request.pk, delay)
        SourceOutcome.objects.filter(pk=step.pk).update(
            status=SourceOutcome.Status.FAILED,
            attempts=attempts,
            last_error=error,
            needs_attention=True,
            next_attempt_at=None,
        )
        PrivacyRequest.objects.filter(pk=request.pk).update(needs_attention=True)
        common.event(
            request,
            RequestEvent.Kind.NOTE,
            actor=SYSTEM,
            message=f"{step.source_key} failed {attempts} times: {error}",
        )
        common.record(
            "erasure_step_failed",
            request,
            actor=SYSTEM,
            data={"source": step.source_key, "attempts": attempts, "error": error},
        )
        # Keyed by when it failed: a staff retry that fails again alerts again.
        common.alert_attention(
            request,
            f"erasure:{step.pk}:{now:%Y%m%d%H%M%S}",
            f"Erasure in {step.source_key} failed {attempts} times: {error}",
        )
    return StepResult("failed", request.pk)


def erasure_retry_failed(*, actor: Any, request: PrivacyRequest) -> int:
    """Give failed steps a fresh round of attempts; returns how many."""
    with transaction.atomic():
        request = _locked(request.pk)
        ids = list(
            request.outcomes.filter(status=SourceOutcome.Status.FAILED).values_list(
                "pk", flat=True
            )
        )
        SourceOutcome.objects.filter(pk__in=ids).update(
            status=SourceOutcome.Status.PENDING,
            attempts=0,
            needs_attention=False,
            next_attempt_at=None,
        )
        from requests_app.fulfilment.exports import exports_retry_failed

        exports = exports_retry_failed(request)
        if not ids and not exports:
            return 0
        PrivacyRequest.objects.filter(pk=request.pk).update(needs_attention=False)
        common.record(
            "retried",
            request,
            actor=actor,
            data={"steps": len(ids), "exports": exports},
        )
        _enqueue_steps(ids)
    return len(ids) + exports


# --- finishing ---------------------------------------------------------------------


def erasure_finish(*, request_id: int) -> bool:
    """Close the request once every source has an outcome; False until then."""
    with transaction.atomic():
        request = _locked(request_id)
        if request.status != S.IN_PROGRESS or request.erasure_started_at is None:
            return False
        added = _ensure_steps(request)
        if added:
            _enqueue_steps(added)  # a source registered while this ran
            return False
        steps = list(request.outcomes.exclude(source_key=AUDIT_KEY))
        if any(s.status != SourceOutcome.Status.DONE for s in steps):
            if not _others_pending(request):
                # Only the identity sources are left: their turn now.
                _enqueue_steps([s.pk for s in steps if s.source_key in IDENTITY_KEYS])
            return False
        steps.append(_redact_audit(request))
        records = _records_of_handling()
        partial = any(
            s.outcome == Outcome.RETAINED and s.source_key not in records for s in steps
        )
        removed, kept = _lists(steps)
        common.transition(
            request,
            S.PARTIALLY_COMPLETED if partial else S.COMPLETED,
            actor=SYSTEM,
            action="completed",
            message=_summary(removed, kept),
            public=True,
            completed_at=timezone.now(),
            outcome_summary=_summary(removed, kept),
        )
        _email(
            request,
            "fulfilment_erasure_done",
            "erasure_done",
            partial=partial,
            removed=removed,
            kept=kept,
        )
    return True


def _records_of_handling() -> set[str]:
    """Sources kept by design (and the audit trail): keeping them is not partial."""
    return {AUDIT_KEY} | {
        s.key for s in registry if getattr(s.info, "record_of_handling", False)
    }


def _redact_audit(request: PrivacyRequest) -> SourceOutcome:
    count = redact_subject(
        subject_id=request.subject_id,
        actor=SYSTEM,
        reason=f"erasure request {request.reference}",
    )
    step, _ = SourceOutcome.objects.update_or_create(
        request=request,
        source_key=AUDIT_KEY,
        defaults={
            "label": "Audit trail",
            "status": SourceOutcome.Status.DONE,
            "outcome": Outcome.RETAINED,
            "items": count,
            "detail": f"personal details cleared from {count} audit entries; "
            "the entries themselves stay, marked redacted",
            "reason": "evidence of what was done with your data and when",
            "legal_basis": "legal obligation: accountability (GDPR Art. 5(2))",
            "attempts": 1,
            "finished_at": timezone.now(),
        },
    )
    return step


def _lists(steps: list[SourceOutcome]) -> tuple[list[dict], list[dict]]:
    removed, kept = [], []
    for s in steps:
        row = {"source": s.label or s.source_key, "detail": s.detail, "items": s.items}
        if s.outcome in {Outcome.DELETED, Outcome.ANONYMISED}:
            # The code: the e-mail names it in the requester's language.
            removed.append({**row, "how": s.outcome})
        elif s.outcome == Outcome.RETAINED:
            kept.append({**row, "reason": s.reason, "legal_basis": s.legal_basis})
    return removed, kept


def _summary(removed: list[dict], kept: list[dict]) -> str:
    lines = [f"Removed ({r['how']}): {r['source']}" for r in removed]
    lines += [f"Kept: {k['source']} — {k['reason']} ({k['legal_basis']})" for k in kept]
    return "\n".join(lines) or "We held no personal data about you."


# --- dispatch (periodic job) -----------------------------------------------------


def erasure_dispatch(now=None) -> dict[str, int]:
    """Start due erasures, re-send pending steps, finish what is complete.

    The database is the source of truth: this recovers work whose task was
    lost (broker down, worker killed before it acknowledged).
    """
    now = now or timezone.now()
    due = PrivacyRequest.objects.filter(
        status=S.IN_PROGRESS,
        erasure_run_after__lte=now,
        erasure_started_at__isnull=True,
    ).values_list("pk", flat=True)
    started = sum(bool(erasure_start(request_id=pk)) for pk in list(due[:500]))
    pending = list(
        SourceOutcome.objects.filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
            status=SourceOutcome.Status.PENDING,
            request__status=S.IN_PROGRESS,
            request__erasure_started_at__isnull=False,
        ).values_list("pk", flat=True)[:1000]
    )
    with transaction.atomic():
        _enqueue_steps(pending)
    running = PrivacyRequest.objects.filter(
        status=S.IN_PROGRESS, erasure_started_at__isnull=False
    ).exclude(outcomes__status__in=["pending", "failed"])
    finished = sum(
        erasure_finish(request_id=pk)
        for pk in running.values_list("pk", flat=True)[:500]
    )
    return {"started": started, "steps": len(pending), "finished": finished}


def dispatch_preview(now=None) -> dict[str, int]:
    """What the dispatch job would start or re-send (nothing is changed)."""
    from requests_app.models import ExportPackage

    now = now or timezone.now()
    return {
        "erasures_due": PrivacyRequest.objects.filter(
            status=S.IN_PROGRESS,
            erasure_run_after__lte=now,
            erasure_started_at__isnull=True,
        ).count(),
        "steps_pending": SourceOutcome.objects.filter(
            status=SourceOutcome.Status.PENDING,
            request__erasure_started_at__isnull=False,
        ).count(),
        "steps_failed": SourceOutcome.objects.filter(
            status=SourceOutcome.Status.FAILED
        ).count(),
        "exports_pending": ExportPackage.objects.filter(
            status=ExportPackage.Status.PENDING
        ).count(),
    }
