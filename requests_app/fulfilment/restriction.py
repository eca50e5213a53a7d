"""Restriction and objection requests, and the automatic erasure for children.

Restriction and objection set flags on the subject through the subjects
services; the consent service honours them (a restricted subject consents to
nothing). A child flagged under 13 gets an erasure request that needs no
verification: it is created verified and approved in the flagging transaction,
and still waits ERASURE_DELAY_HOURS so staff can cancel a mistaken flag.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from privacyportal.audit.services import Actor
from privacyportal.subjects.services import (
    subject_record_objection,
    subject_set_restriction,
)
from requests_app.models import PrivacyRequest, RequestEvent
from requests_app.services import common
from requests_app.services.common import RequestError, S, TransitionError

CHILD_REASON = "child under 13"


def restriction_apply(
    *,
    actor: Any,
    request: PrivacyRequest,
    marketing: bool = False,
    profiling: bool = False,
    reason: str = "",
) -> list[str]:
    """Set the subject's flags for a restriction or objection request and close it.

    Returns what was set. An objection must name marketing and/or profiling.
    """
    types = {PrivacyRequest.Type.RESTRICTION, PrivacyRequest.Type.OBJECTION}
    with transaction.atomic():
        request = PrivacyRequest.objects.select_for_update().get(pk=request.pk)
        if request.type not in types:
            raise RequestError(f"{request.reference} is not a restriction/objection.")
        if request.status not in {S.VERIFIED, S.IN_PROGRESS}:
            raise TransitionError(f"{request.reference} is not being worked on.")
        subject = request.subject
        if subject is None:
            raise RequestError(f"{request.reference} has no verified subject.")
        why = reason or f"privacy request {request.reference}"
        if request.type == PrivacyRequest.Type.RESTRICTION:
            subject_set_restriction(
                actor=actor, subject=subject, restricted=True, reason=why
            )
            done = ["processing restricted"]
            text = "Processing of your data is now restricted: we only keep it "
            text += "and use it where the law requires."
        else:
            if not (marketing or profiling):
                raise RequestError(
                    "Say whether the objection is to marketing, profiling or both."
                )
            subject_record_objection(
                actor=actor,
                subject=subject,
                marketing=marketing,
                profiling=profiling,
                reason=why,
            )
            done = [
                n
                for n, on in (("marketing", marketing), ("profiling", profiling))
                if on
            ]
            text = "We no longer use your data for " + " or ".join(done) + "."
        common.transition(
            request,
            S.COMPLETED,
            actor=actor,
            action="completed",
            message=text,
            public=True,
            completed_at=timezone.now(),
            outcome_summary=text,
            decided_by=common.user_or_none(actor),
        )
        common.email_requester(
            request, "request_completion", "completion", partial=False, summary=text
        )
    return done


def child_erasure_request(*, subject: Any, actor: Any) -> PrivacyRequest:
    """UNDER_13_HOOKS entry: an erasure request that runs without verification."""
    from requests_app.fulfilment.erasure import erasure_approve
    from requests_app.services.intake import _deadline_fields

    now = timezone.now()
    system = Actor.system("under-13 rule")
    request = PrivacyRequest.objects.create(
        reference=common.next_reference(now.astimezone(common.tz()).year),
        type=PrivacyRequest.Type.ERASURE,
        channel=PrivacyRequest.Channel.SYSTEM,
        subject=subject,
        email=subject.email or "",
        name=subject.name,
        country="",
        jurisdiction="",
        relationship=PrivacyRequest.Relationship.CUSTOMER,
        details=CHILD_REASON,
        received_at=now,
        entered_by=common.user_or_none(actor),
        **_deadline_fields("", now),
    )
    common.event(
        request,
        RequestEvent.Kind.CREATED,
        actor=actor,
        message=f"Created automatically: {CHILD_REASON}.",
    )
    common.record("received", request, actor=actor, data={"reason": CHILD_REASON})
    common.transition(
        request,
        S.VERIFIED,
        actor=system,
        action="verified",
        message=f"No verification needed: {CHILD_REASON}.",
        verified_at=now,
        acknowledged_at=now,
        next_alert_at=common.next_alert(request.due_at, request.alert_stage),
    )
    return erasure_approve(actor=system, request=request)
