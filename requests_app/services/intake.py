"""Receiving a request: submission, e-mail verification, marketing opt-out.

Invariants:
- a submission does the same work, and the public sees the same page, whether
  or not the e-mail address is known (subjects are matched at verification);
- a verification link is single-use and expires after REQUEST_VERIFY_TTL hours;
  a new link retires the older ones;
- a marketing opt-out takes effect at submission, without verification.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from privacyportal import languages
from privacyportal.audit.services import Actor
from privacyportal.subjects.models import normalize_email
from privacyportal.subjects.services import subject_get_or_create
from requests_app import calendars, deadlines
from requests_app.jurisdictions import jurisdiction_for, residence
from requests_app.models import PrivacyRequest, RequestEvent, RequestLink
from requests_app.services import common
from requests_app.services.common import S, atomic

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    """What a requester (or Support, for phone and letter) tells us."""

    type: str
    email: str
    name: str
    country: str
    relationship: str
    region: str = ""
    details: str = ""
    is_agent: bool = False
    agent_name: str = ""
    agent_email: str = ""
    channel: str = PrivacyRequest.Channel.WEB
    # Rectification: ("source.field", new value) pairs.
    corrections: tuple[tuple[str, str], ...] = ()
    # The language the request was made in (a LANGUAGES code): every later
    # e-mail about it, including those sent by beat jobs, is written in it.
    language: str = ""


def _deadline_fields(jurisdiction: str, received_at: datetime) -> dict[str, Any]:
    """Deadlines by the rule versions in force on the day of receipt."""
    zone = common.tz()
    received = deadlines.local_date(received_at, zone)
    policy, legal = common.policy_and_legal_rule(jurisdiction, received)
    spec = legal.spec if legal else None
    holidays = common.holidays_for(
        jurisdiction, received_at, spec.calendar if spec else calendars.WEEKENDS
    )
    ack_holidays = None
    if spec and spec.ack_business_days:
        # "10 business days" skip the requester's state's own holidays.
        ack_holidays = common.holidays_for(
            jurisdiction, received_at, calendars.JURISDICTION
        )
    computed = deadlines.compute(
        received,
        policy=policy,
        legal=spec,
        holidays=holidays,
        ack_holidays=ack_holidays,
    )

    def end(day):
        return deadlines.end_of_day(day, zone) if day else None

    return {
        "legal_rule_id": legal.pk if legal else None,
        "due_at": end(computed.due),
        "policy_due_at": end(computed.policy_due),
        "legal_due_at": end(computed.legal_due),
        "ack_due_at": end(computed.ack_due),
    }


def _find_duplicate(
    email: str, type_: str, now: datetime, filed: dict[str, Any]
) -> PrivacyRequest | None:
    """The open request this filing repeats, or None.

    A confirmed original is repeated by any filing of the same e-mail and
    type: only the address's owner could confirm it. An unconfirmed one only
    by the same filing again (same name, residence, details, agent): anyone
    can file for any address, and a stranger's earlier filing must not
    swallow the owner's own request, its details and its legal clock.
    """
    for original in _recent_requests(email, type_, now):
        if original.status != S.RECEIVED or all(
            _comparable(getattr(original, name)) == _comparable(value)
            for name, value in filed.items()
        ):
            return original
    return None


def _comparable(value: Any) -> Any:
    return " ".join(value.split()).casefold() if isinstance(value, str) else value


def _recent_requests(email: str, type_: str, now: datetime) -> list[PrivacyRequest]:
    minutes = settings.REQUEST_DUPLICATE_MINUTES
    if not minutes:
        return []
    # Only the keys first: almost every submission has no duplicate, and full
    # rows (some fifty columns) are loaded only when there are candidates.
    pks = list(
        PrivacyRequest.objects.open()
        .filter(
            email=email,
            type=type_,
            duplicate_of__isnull=True,
            received_at__gte=now - timedelta(minutes=minutes),
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:20]
    )
    if not pks:
        return []
    return list(PrivacyRequest.objects.filter(pk__in=pks).order_by("received_at"))


def request_submit(
    *,
    actor: Any,
    submission: Submission,
    entered_by: Any = None,
    received_at: datetime | None = None,
) -> PrivacyRequest:
    """Record a request and e-mail the verification link (or apply an opt-out).

    A second filing of an open request (same e-mail and type within
    REQUEST_DUPLICATE_MINUTES) is stored as a duplicate of the first, which is
    not worked twice; if the first is still unverified its link is sent again.
    ``received_at`` is when the public form accepted it (processed later by a
    task): the clock runs from then, not from when the worker got to it.
    """
    issued = timezone.now()  # links expire counted from when they are sent
    now = received_at or issued
    email = normalize_email(submission.email) or ""
    # Codes are compared upper-case everywhere (staff may type "us" / "ca").
    country, region = residence(submission.country, submission.region)
    jurisdiction = jurisdiction_for(country, region)
    filed = {
        "name": submission.name,
        "country": country,
        "region": region,
        "details": submission.details,
        "is_agent": submission.is_agent,
        "agent_email": submission.agent_email if submission.is_agent else "",
    }
    with atomic():
        original = _find_duplicate(email, submission.type, now, filed)
        clock = _deadline_fields(jurisdiction, now)
        # Row locks (the year's counter, then the audit chain) are held until
        # commit, so they are taken as late as possible: submissions overlap.
        request = PrivacyRequest.objects.create(
            reference=common.next_reference(now.astimezone(common.tz()).year),
            type=submission.type,
            channel=submission.channel,
            email=email,
            name=submission.name,
            country=country,
            region=region,
            jurisdiction=jurisdiction,
            relationship=submission.relationship,
            details=submission.details,
            is_agent=submission.is_agent,
            agent_name=submission.agent_name if submission.is_agent else "",
            agent_email=submission.agent_email if submission.is_agent else "",
            entered_by=entered_by,
            received_at=now,
            duplicate_of=original,
            language=languages.supported(submission.language),
            **clock,
        )
        # Timeline entries of the plain path are written in one INSERT below.
        events = [
            common.event_row(
                request,
                RequestEvent.Kind.CREATED,
                actor=actor,
                message=f"Received by {request.get_channel_display().lower()}.",
            )
        ]
        received = {
            "type": request.type,
            "channel": request.channel,
            "jurisdiction": jurisdiction,
        }
        if original is not None:
            RequestEvent.objects.bulk_create(events)
            common.record("received", request, actor=actor, data=received)
            _mark_duplicate(request, original, actor=actor, now=issued)
        elif request.type == PrivacyRequest.Type.MARKETING_OPT_OUT:
            RequestEvent.objects.bulk_create(events)
            common.record("received", request, actor=actor, data=received)
            _apply_opt_out(request, actor=actor)
        else:
            _send_verification(request, now=issued, first=True, events=events)
            RequestEvent.objects.bulk_create(events)
            # The audit event last: it takes the chain's lock, held to commit.
            common.record("received", request, actor=actor, data=received)
        if submission.corrections and original is None:
            from requests_app.fulfilment.rectification import corrections_add

            corrections_add(
                actor=actor, request=request, corrections=submission.corrections
            )
    return request


def _mark_duplicate(
    request: PrivacyRequest, original: PrivacyRequest, *, actor: Any, now: datetime
) -> None:
    common.transition(
        request,
        S.DUPLICATE,
        actor=actor,
        action="duplicate",
        message=f"Same e-mail and type as {original.reference}.",
        data={"original": original.reference},
    )
    common.event(
        original,
        RequestEvent.Kind.DUPLICATE,
        actor=actor,
        message=f"Filed again as {request.reference}.",
    )
    if original.status == S.RECEIVED:
        _send_verification(original, now=now)


def _send_verification(
    request: PrivacyRequest,
    *,
    now: datetime,
    first: bool = False,
    events: list[RequestEvent] | None = None,
) -> None:
    """Retire older verification links (if any) and e-mail a fresh one."""
    if not first:
        RequestLink.objects.filter(
            request=request, purpose=RequestLink.Purpose.VERIFY, used_at__isnull=True
        ).update(used_at=now)
    ttl = timedelta(hours=settings.REQUEST_VERIFY_TTL)
    link = common.emailed_link(request, RequestLink.Purpose.VERIFY, ttl=ttl, now=now)
    common.email_requester(
        request,
        "request_verify",
        f"verify:{link['id']}",
        events=events,
        link=link,
        hours=settings.REQUEST_VERIFY_TTL,
    )


def _apply_opt_out(request: PrivacyRequest, *, actor: Any) -> None:
    """Opt-outs need no verification (the law forbids requiring it)."""
    subject, _ = subject_get_or_create(
        actor=actor, email=request.email, requester_only=True, name=request.name
    )
    request.subject = subject
    PrivacyRequest.objects.filter(pk=request.pk).update(subject=subject)
    withdrawn = _withdraw_marketing(request, subject, actor=actor)
    common.event(request, RequestEvent.Kind.OPT_OUT, actor=actor, message=withdrawn)
    common.transition(
        request,
        S.COMPLETED,
        actor=actor,
        action="opted_out",
        message="Marketing opt-out applied.",
        completed_at=timezone.now(),
    )
    common.email_requester(request, "request_optout", "optout")


def _withdraw_marketing(request: PrivacyRequest, subject: Any, *, actor: Any) -> str:
    try:
        from consent_app.services import marketing_opt_out
    except ImportError:
        # Without the consent app the opt-out lives in the timeline and audit
        # trail only (DataSubject has no opt-out field of its own yet).
        log.warning("consent_app unavailable: opt-out of %s recorded only", request)
        return "Opt-out recorded (no consent register installed)."
    count = marketing_opt_out(
        actor=actor,
        subject=subject,
        source="request",
        evidence=f"privacy request {request.reference}",
    )
    return f"Marketing consent withdrawn for {count} purpose(s)."


def request_verify(*, token: str) -> tuple[PrivacyRequest, str]:
    """Verify the request behind a link; returns it and a new status-link token.

    Links the request to the DataSubject with the same normalised e-mail,
    creating a requester-only subject if there is none.
    """
    now = timezone.now()
    with atomic():
        link = common.link_find(token, RequestLink.Purpose.VERIFY, now=now)
        request = link.request
        if request.status != S.RECEIVED:
            raise common.LinkInvalid("request no longer awaits verification")
        if not RequestLink.objects.filter(pk=link.pk, used_at__isnull=True).update(
            used_at=now
        ):
            raise common.LinkInvalid("used concurrently")
        subject, _ = subject_get_or_create(
            actor=Actor.system("verification"),
            email=request.email,
            requester_only=True,
            name=request.name,
        )
        # The language they confirmed in is theirs: e-mails not about this
        # request (a policy change) are written in it too.
        if subject.language != request.language:
            type(subject).objects.filter(pk=subject.pk).update(
                language=request.language
            )
            subject.language = request.language
        actor = Actor.subject(subject.pk)
        common.transition(
            request,
            S.VERIFIED,
            actor=actor,
            action="verified",
            message="E-mail address verified.",
            subject=subject,
            verified_at=now,
            acknowledged_at=request.acknowledged_at or now,
            next_alert_at=common.next_alert(request.due_at, request.alert_stage),
        )
        status_token = common.link_issue(
            request,
            RequestLink.Purpose.STATUS,
            ttl=timedelta(days=settings.REQUEST_STATUS_LINK_DAYS),
            now=now,
        )
        taken = [
            hook(request=request, actor=actor) for hook in common.VERIFICATION_HOOKS
        ]
        if any(taken):
            return request, status_token
        common.email_requester(
            request,
            "request_confirmation",
            "confirmation",
            # The e-mail gets its own link; the token above only redirects.
            link=common.status_link(request, now),
        )
        from requests_app.fulfilment.exports import export_after_verification

        export_after_verification(request)
    return request, status_token


def request_resend_verification(*, token: str) -> bool:
    """A new link for an expired one, if its request still awaits verification.

    Returns False (and does nothing) otherwise; the caller shows the same page.
    """
    now = timezone.now()
    try:
        common.link_find(token, RequestLink.Purpose.VERIFY, now=now)
        return False  # still valid: nothing to renew
    except common.LinkExpired as expired:
        link = expired.link
    except common.LinkInvalid:
        return False
    with atomic():
        request = PrivacyRequest.objects.select_for_update().get(pk=link.request_id)
        if request.status != S.RECEIVED:
            return False
        # Claim the expired link: of concurrent resends with one token, only
        # the one whose update touches the row sends a new link.
        if not RequestLink.objects.filter(pk=link.pk, used_at__isnull=True).update(
            used_at=now
        ):
            return False
        _send_verification(request, now=now)
        common.record("verification_resent", request, actor=Actor.subject(None))
    return True


def resend_limit_identity(token: str) -> str:
    """What the per-request resend limit counts: the request behind a token.

    Many addresses resending one request's link share one counter; a token
    that matches nothing is counted by itself, so the answer (page or 429)
    tells nothing about whether a token is known.
    """
    request_id = (
        RequestLink.objects.filter(
            token_hash=common.hash_token(token), purpose=RequestLink.Purpose.VERIFY
        )
        .values_list("request_id", flat=True)
        .first()
        if token and len(token) <= 100
        else None
    )
    if request_id is None:
        return f"token:{common.hash_token(token)}"
    return f"request:{request_id}"


RESEND_WINDOW = timedelta(hours=1)


def request_status_link_resend(*, email: str, reference: str) -> bool:
    """E-mail a fresh status link for a confirmed request to its own address.

    For a requester who lost the link. Runs in a task, so the public page does
    the same work whether or not anything matches; nothing is sent unless the
    reference and the address belong together and the request was confirmed.
    At most one such e-mail per request in any hour (rolling from the last one
    sent), however often it is asked.
    Returns whether an e-mail was queued.
    """
    from privacyportal.models import OutboundEmail

    now = timezone.now()
    with atomic():
        request = (
            PrivacyRequest.objects.select_for_update()
            .filter(reference=reference.strip().upper())
            .first()
        )
        if request is None or normalize_email(request.email) != normalize_email(email):
            return False
        if request.status in (S.RECEIVED, S.CLOSED_UNVERIFIED):
            return False  # never confirmed: its address is not proven
        # A rolling hour from the last one sent, not the clock hour: two asks a
        # minute apart across hh:00 must not both send. The request row lock
        # above serialises the check with the insert.
        recent = OutboundEmail.objects.filter(
            key__startswith=f"request:{request.pk}:status-link:",
            created_at__gt=now - RESEND_WINDOW,
        )
        if recent.exists():
            return False  # sent within the hour already: no new link row either
        common.email_requester(
            request,
            "request_status_link",
            f"status-link:{now:%Y%m%dT%H%M%S.%f}",
            link=common.status_link(request, now),
        )
        common.record(
            "status_link_resent", request, actor=Actor.subject(request.subject_id)
        )
    return True
