"""Staff and requester actions on a request after intake.

Invariants:
- the deadline is extended at most once, only before the current due date, only
  where the legal rule allows it, and the reason is e-mailed to the requester;
- asking the requester a question stops the clock only where the rule says the
  law allows it; the pause is added to the deadline when they answer;
- a closed request has no pending reminder (``next_alert_at`` is cleared).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext

from privacyportal.audit.services import Actor
from requests_app import calendars, deadlines
from requests_app.models import DenialCategory, PrivacyRequest, RequestEvent
from requests_app.services import appeals, common
from requests_app.services.common import RequestError, S, TransitionError, atomic

WORKABLE = {S.VERIFIED, S.IN_PROGRESS}


def _locked(request: PrivacyRequest) -> PrivacyRequest:
    """Re-read the row under a lock so guards see the committed state."""
    fresh = PrivacyRequest.objects.select_for_update().get(pk=request.pk)
    request.__dict__.update(
        {f.attname: getattr(fresh, f.attname) for f in fresh._meta.concrete_fields}
    )
    return request


def request_assign(*, actor: Any, request: PrivacyRequest, assignee: Any) -> bool:
    """Give a request to a staff member; a verified request moves to in progress.

    Returns False when it is closed or already theirs.
    """
    with atomic():
        _locked(request)
        if not request.is_open or request.assignee_id == assignee.pk:
            return False
        PrivacyRequest.objects.filter(pk=request.pk).update(assignee=assignee)
        request.assignee = assignee
        common.event(
            request,
            RequestEvent.Kind.ASSIGNED,
            actor=actor,
            message=f"Assigned to {assignee.get_username()}.",
        )
        common.record("assigned", request, actor=actor, data={"assignee": assignee.pk})
        if request.status == S.VERIFIED:
            common.transition(request, S.IN_PROGRESS, actor=actor, action="started")
    return True


# The portal's own bound on an extension the law leaves open ("a reasonable
# further period"): staff name a date at most this many days after the due date.
EXTENSION_BY_NOTICE_MAX_DAYS = 90


def request_extend(
    *, actor: Any, request: PrivacyRequest, reason: str, until: date | None = None
) -> None:
    """Apply the legal rule's one extension and e-mail the reason to the requester.

    A fixed extension (GDPR's two months, 45 days in US states) is computed; a
    law that leaves the period open takes the date staff name (``until``).
    """
    reason = reason.strip()
    now = timezone.now()
    with atomic():
        _locked(request)
        rule = request.legal_rule
        if not reason:
            raise RequestError("An extension needs a reason.")
        if request.status not in {S.VERIFIED, S.IN_PROGRESS, S.NEEDS_INFO}:
            raise TransitionError(f"{request.reference} is not being worked on.")
        if request.extended_at is not None:
            raise RequestError(f"{request.reference} was already extended once.")
        if rule is None or not rule.spec().allows_extension:
            raise RequestError(f"The rule for {request.reference} allows no extension.")
        if now > request.due_at:
            raise RequestError(f"{request.reference} is past its due date.")
        new_due = extension_due(request, until)
        stage = common.alert_stage_at(new_due, now)
        updated = PrivacyRequest.objects.filter(
            pk=request.pk, extended_at__isnull=True
        ).update(
            due_at=new_due,
            legal_due_at=new_due,
            extended_at=now,
            extension_reason=reason,
            extended_by=common.user_or_none(actor),
            alert_stage=stage,
            next_alert_at=common.next_alert(new_due, stage),
        )
        if updated != 1:
            raise RequestError(f"{request.reference} was already extended once.")
        _locked(request)
        common.event(
            request,
            RequestEvent.Kind.EXTENDED,
            actor=actor,
            public=True,
            message=reason,
        )
        common.record(
            "extended", request, actor=actor, data={"due_at": new_due.isoformat()}
        )
        common.email_requester(request, "request_extension", "extension", reason=reason)


def extension_due(request: PrivacyRequest, until: date | None = None) -> datetime:
    """The due date the legal rule's one extension gives (a read, no change).

    The admin previews it before staff confirm; ``request_extend`` applies it.
    The rule must allow an extension. Raises RequestError when ``until`` is
    missing for an open extension, given for a fixed one, or out of bounds.
    """
    zone = common.tz()
    spec = request.legal_rule.spec()
    if spec.extension_amount == 0 and spec.extension_by_notice:
        return _named_extension(request, until, zone)
    if until is not None:
        raise RequestError(
            f"The law for {request.reference} fixes the extension; no date to choose."
        )
    # From the day of receipt (see deadlines.extended_due): the first due
    # date may already have been moved off a weekend or holiday.
    received = deadlines.local_date(request.received_at, zone)
    # The version applied at receipt, with its own calendar: a version
    # added since never changes this request's dates.
    holidays = common.holidays_for(
        request.jurisdiction, request.received_at, spec.calendar
    )
    extended = deadlines.extended_due(
        received, spec, holidays, paused_days=request.paused_days
    )
    return deadlines.end_of_day(extended, zone)


def _named_extension(
    request: PrivacyRequest, until: date | None, zone: Any
) -> datetime:
    """The date staff name for a law's open "further period", checked."""
    current = deadlines.local_date(request.due_at, zone)
    latest = current + timedelta(days=EXTENSION_BY_NOTICE_MAX_DAYS)
    if until is None:
        raise RequestError(
            f"The law for {request.reference} lets you name the new due date: "
            "choose one."
        )
    if not current < until <= latest:
        raise RequestError(
            f"The new due date for {request.reference} must be after "
            f"{current:%-d %B %Y} and no later than {latest:%-d %B %Y}."
        )
    return deadlines.end_of_day(until, zone)


def request_ask(*, actor: Any, request: PrivacyRequest, question: str) -> None:
    """Ask the requester a question; the status page shows it and takes the answer."""
    question = question.strip()
    if not question:
        raise RequestError("The question is empty.")
    now = timezone.now()
    with atomic():
        _locked(request)
        rule = request.legal_rule
        pauses = bool(rule and rule.pauses_on_needs_info)
        common.transition(
            request,
            S.NEEDS_INFO,
            actor=actor,
            action="asked",
            message=question,
            public=True,
            data={"clock_paused": pauses},
            paused_at=now if pauses else None,
            # A stopped clock sends no reminders; answering re-plans them.
            **({"next_alert_at": None} if pauses else {}),
        )
        common.event(
            request,
            RequestEvent.Kind.QUESTION,
            actor=actor,
            message=question,
            public=True,
        )
        common.email_requester(
            request,
            "request_question",
            f"question:{now.timestamp():.0f}",
            question=question,
            link=common.status_link(request, now),
        )


def request_answer(*, request: PrivacyRequest, answer: str, actor: Any) -> None:
    """The requester answers; a paused clock resumes with the pause added."""
    answer = answer.strip()
    if not answer:
        raise RequestError(gettext("The answer is empty."))
    now = timezone.now()
    with atomic():
        _locked(request)
        # The status link is no licence to start work: only a question opens
        # the way for an answer (verified -> in progress is staff's move).
        if request.status != S.NEEDS_INFO:
            raise TransitionError(
                gettext("%(reference)s: there is no question waiting for an answer")
                % {"reference": request.reference}
            )
        fields: dict[str, Any] = {"paused_at": None}
        if request.paused_at:
            fields.update(_resume_fields(request, now))
        common.transition(
            request, S.IN_PROGRESS, actor=actor, action="answered", **fields
        )
        common.event(
            request, RequestEvent.Kind.ANSWER, actor=actor, message=answer, public=True
        )


def _resume_fields(request: PrivacyRequest, now) -> dict[str, Any]:
    zone = common.tz()
    days = deadlines.paused_days(request.paused_at, now, zone)
    rule = request.legal_rule
    holidays = common.holidays_for(
        request.jurisdiction,
        request.due_at,
        rule.calendar if rule else calendars.WEEKENDS,
    )

    def moved(moment):
        if moment is None:
            return None
        day = deadlines.resume_due(
            deadlines.local_date(moment, zone),
            days,
            roll=bool(rule and rule.roll_to_working_day),
            holidays=holidays,
        )
        return deadlines.end_of_day(day, zone)

    due = moved(request.due_at)
    stage = common.alert_stage_at(due, now)
    return {
        "paused_days": request.paused_days + days,
        "due_at": due,
        "legal_due_at": moved(request.legal_due_at),
        "policy_due_at": moved(request.policy_due_at),
        "alert_stage": stage,
        "next_alert_at": common.next_alert(due, stage),
    }


def request_withdraw(*, request: PrivacyRequest, actor: Any) -> None:
    with atomic():
        _locked(request)
        if request.erasure_started_at is not None:
            raise RequestError(
                gettext("The deletion has started and can no longer be stopped.")
            )
        common.transition(
            request,
            S.WITHDRAWN,
            actor=actor,
            action="withdrawn",
            message="Withdrawn by the requester.",
            public=True,
        )


def request_deny(
    *,
    actor: Any,
    request: PrivacyRequest,
    reason: str,
    legal_basis: str,
    category: str = DenialCategory.OTHER,
) -> None:
    """Refuse with reasons; the e-mail names the right to complain."""
    if not reason.strip() or not legal_basis.strip():
        raise RequestError("A denial needs a reason and a legal basis.")
    if category not in DenialCategory.values:
        raise RequestError("Choose why the request is denied.")
    with atomic():
        _locked(request)
        common.transition(
            request,
            S.DENIED,
            actor=actor,
            action="denied",
            message=reason,
            public=True,
            data={"legal_basis": legal_basis},
            denial_reason=reason.strip(),
            denial_legal_basis=legal_basis.strip(),
            denial_category=category,
            decided_by=common.user_or_none(actor),
            paused_at=None,
        )
        common.email_requester(
            request,
            "request_denial",
            "denial",
            reason=reason,
            legal_basis=legal_basis,
            **appeals.email_context(request, timezone.now()),
        )


def request_complete(
    *, actor: Any, request: PrivacyRequest, partial: bool = False, summary: str = ""
) -> None:
    """Close a request as done (or partly done, with what could not be done)."""
    with atomic():
        _locked(request)
        if request.status not in WORKABLE:
            raise TransitionError(
                f"{request.reference}: only a verified or in-progress request "
                "can be completed"
            )
        if (
            request.erasure_started_at
            and request.outcomes.exclude(status="done").exists()
        ):
            raise RequestError(
                f"{request.reference}: some sources have no erasure outcome yet "
                "(retry the failed sources first)"
            )
        common.transition(
            request,
            S.PARTIALLY_COMPLETED if partial else S.COMPLETED,
            actor=actor,
            action="completed",
            message=summary,
            public=bool(summary),
            completed_at=timezone.now(),
            outcome_summary=summary,
            decided_by=common.user_or_none(actor),
        )
        common.email_requester(
            request,
            "request_completion",
            "completion",
            partial=partial,
            summary=summary,
            **(appeals.email_context(request, timezone.now()) if partial else {}),
        )


def request_set_notes(*, actor: Any, request: PrivacyRequest, notes: str) -> bool:
    """Staff notes are internal; every change is in the audit trail."""
    with atomic():
        updated = (
            PrivacyRequest.objects.filter(pk=request.pk)
            .exclude(staff_notes=notes)
            .update(staff_notes=notes)
        )
        if updated:
            common.event(
                request,
                RequestEvent.Kind.NOTE,
                actor=actor,
                message="Staff notes changed.",
            )
            common.record("notes_changed", request, actor=actor)
    return bool(updated)


def request_close_unverified(*, request: PrivacyRequest) -> bool:
    """Close a request never verified; False if it was verified meanwhile."""
    actor = Actor.system("deadline job")
    with atomic():
        try:
            common.transition(
                request,
                S.CLOSED_UNVERIFIED,
                actor=actor,
                action="closed_unverified",
                message="Never verified.",
            )
        except TransitionError:
            return False
    return True
