"""Building blocks every request service shares: transitions, links, e-mail.

Invariants:
- a status changes only through ``transition``: a guard against the table
  below, then ``filter(pk=, status=expected).update()`` that must touch one row;
- every transition writes a RequestEvent and an AuditEvent in the caller's
  transaction, so the timeline and the audit trail exist iff the change does;
- link tokens are ``secrets.token_urlsafe(32)``; only their SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from privacyportal import audit, mail, roles
from privacyportal.audit.services import as_actor
from privacyportal.rules import covers
from requests_app import calendars, deadlines
from requests_app.jurisdictions import rule_chain
from requests_app.models import (
    OPEN_STATUSES,
    DeadlineRule,
    Holiday,
    PrivacyRequest,
    ReferenceCounter,
    RequestEvent,
    RequestLink,
)

S = PrivacyRequest.Status
# Called as hook(request=..., actor=...) inside the transaction that completes a
# request; other apps add theirs in ready() (disclosures_app: Art. 19 notices).
COMPLETION_HOOKS: list[Callable[..., None]] = []
# Called as hook(request=..., actor=...) inside the transaction that verifies a
# request; a hook that returns True has taken the request over (complaints_app
# files a confirmed "Make a complaint" as a Complaint), and the request's own
# confirmation e-mail and export are skipped.
VERIFICATION_HOOKS: list[Callable[..., bool]] = []

# to-status -> the statuses it may be reached from.
TRANSITIONS: dict[str, set[str]] = {
    S.VERIFIED: {S.RECEIVED},
    S.IN_PROGRESS: {S.VERIFIED, S.NEEDS_INFO},
    S.NEEDS_INFO: {S.VERIFIED, S.IN_PROGRESS},
    S.COMPLETED: {S.RECEIVED, S.VERIFIED, S.IN_PROGRESS},
    S.PARTIALLY_COMPLETED: {S.VERIFIED, S.IN_PROGRESS},
    S.DENIED: {S.VERIFIED, S.IN_PROGRESS, S.NEEDS_INFO},
    S.WITHDRAWN: set(OPEN_STATUSES),
    S.CLOSED_UNVERIFIED: {S.RECEIVED},
    S.DUPLICATE: {S.RECEIVED},
}
FINAL = {
    S.COMPLETED,
    S.PARTIALLY_COMPLETED,
    S.DENIED,
    S.WITHDRAWN,
    S.CLOSED_UNVERIFIED,
    S.DUPLICATE,
}
# How long before due_at each reminder stage fires (stage reached -> offset).
ALERT_OFFSETS = {
    PrivacyRequest.Alert.DAYS_7: timedelta(days=7),
    PrivacyRequest.Alert.DAYS_2: timedelta(days=2),
    PrivacyRequest.Alert.OVERDUE: timedelta(0),
}


class RequestError(ValueError):
    """A change the rules refuse; nothing was changed."""


class TransitionError(RequestError):
    pass


class LinkInvalid(Exception):
    """Unknown, used or retired link: the public sees one neutral page."""


class LinkExpired(LinkInvalid):
    def __init__(self, link: RequestLink) -> None:
        super().__init__("link expired")
        self.link = link


# --- time and rules -------------------------------------------------------------


def tz():
    return timezone.get_default_timezone()


# Every submission needs the rules and holidays, which change a few times a
# year: they are read from the shared cache (Redis in production), dropped on
# every save or delete (signals in apps.py, and the rules service), and expire
# after CLOCK_CACHE_SECONDS as a backstop for bulk edits that bypass signals.
# Public holidays are not in it: requests_app.calendars computes them in
# process, without a query.
CLOCK_CACHE_KEY = "requests:clock-rules:v2"
CLOCK_CACHE_SECONDS = 300


@dataclass(frozen=True)
class ClockRule:
    pk: int
    is_policy: bool
    jurisdictions: tuple[str, ...]
    spec: deadlines.RuleSpec
    effective_from: date
    effective_to: date | None = None

    def in_force(self, day: date) -> bool:
        return covers(self.effective_from, self.effective_to, day)


def _clock_data() -> tuple[list[ClockRule], list[tuple[date, str]]]:
    data = cache.get(CLOCK_CACHE_KEY)
    if data is None:
        rules = [
            ClockRule(
                r.pk,
                r.is_policy,
                tuple(r.jurisdictions),
                r.spec(),
                r.effective_from,
                r.effective_to,
            )
            for r in DeadlineRule.objects.all()
        ]
        holidays = list(Holiday.objects.values_list("date", "jurisdiction"))
        data = (rules, holidays)
        cache.set(CLOCK_CACHE_KEY, data, CLOCK_CACHE_SECONDS)
    return data


def clock_cache_clear() -> None:
    """Forget the cached rules now and again at commit.

    The second delete covers a reader that refilled the cache from the old
    rows between the save and its commit.
    """
    cache.delete(CLOCK_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(CLOCK_CACHE_KEY))


POLICY_FALLBACK = deadlines.RuleSpec(code="policy", amount=30)


def policy_and_legal_rule(
    jurisdiction: str, on: date
) -> tuple[deadlines.RuleSpec, ClockRule | None]:
    """The policy and the legal rule version in force on ``on`` (day of receipt).

    A regional code falls back to its country's ("CA-QC", then "CA"); the
    first rule naming the most specific code wins.
    """
    rules, _ = _clock_data()
    current = [r for r in rules if r.in_force(on)]
    policy = next((r.spec for r in current if r.is_policy), POLICY_FALLBACK)
    legal = next(
        (
            r
            for code in rule_chain(jurisdiction)
            for r in current
            if not r.is_policy and code in r.jurisdictions
        ),
        None,
    )
    return policy, legal


def holidays_for(
    jurisdiction: str, start: datetime, calendar: str = calendars.WEEKENDS
) -> frozenset:
    """Days that are not working days for a rule's ``calendar``, from ``start``.

    Public holidays of the calendar, plus the company's closures for this
    jurisdiction (or its country, or everywhere), except where the law itself
    defines its working days.
    """
    # Deadlines reach at most a few months ahead (one month + two of extension).
    first = start.astimezone(tz()).date()
    last = first + timedelta(days=400)
    region = calendars.region_for(calendar, jurisdiction)
    public = calendars.non_working_days(region, first, last)
    if calendar in calendars.LAW_DEFINED:
        return public
    _, rows = _clock_data()
    ahead = [(day, where) for day, where in rows if first <= day <= last]
    closures = [
        deadlines.holiday_dates(ahead, code) for code in rule_chain(jurisdiction)
    ]
    return public.union(*closures)


def next_alert(due_at: datetime, stage: int) -> datetime | None:
    """When the first alert stage after ``stage`` fires; None after the last."""
    for reached, offset in ALERT_OFFSETS.items():
        if reached > stage:
            return due_at - offset
    return None


def alert_stage_at(due_at: datetime, now: datetime) -> int:
    """The highest alert stage whose moment has come."""
    stage = PrivacyRequest.Alert.NONE
    for reached, offset in ALERT_OFFSETS.items():
        if now >= due_at - offset:
            stage = reached
    return stage


# --- references and links -------------------------------------------------------


def next_reference(year: int) -> str:
    """PR-<year>-<6 digits>, sequential per year.

    One conditional UPDATE ... RETURNING both increments and reads the counter
    under its row lock, so two submissions never share a number.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE requests_app_referencecounter SET last = last + 1 "
            "WHERE year = %s RETURNING last",
            [year],
        )
        row = cursor.fetchone()
    if row is None:
        # First request of the year: create the row (race-safe), then retry.
        with transaction.atomic():
            ReferenceCounter.objects.get_or_create(year=year)
        return next_reference(year)
    return f"PR-{year}-{row[0]:06d}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


LINK_MINTER = "requests.link"


def link_issue(
    request: PrivacyRequest, purpose: str, *, ttl: timedelta, now: datetime
) -> str:
    """Create a link and return its token (for a redirect, never for an e-mail)."""
    token = secrets.token_urlsafe(32)
    RequestLink.objects.create(
        request=request,
        purpose=purpose,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + ttl,
    )
    return token


def link_find(token: str, purpose: str, *, now: datetime) -> RequestLink:
    """The live link for a token, or LinkInvalid / LinkExpired."""
    if not token or len(token) > 100:
        raise LinkInvalid("malformed")
    link = (
        RequestLink.objects.select_related("request")
        .filter(token_hash=hash_token(token), purpose=purpose)
        .first()
    )
    if link is None or link.used_at is not None:
        raise LinkInvalid("unknown or used")
    if link.expires_at <= now:
        raise LinkExpired(link)
    return link


def verify_link_confirmed(token: str) -> bool:
    """Whether a verification token belongs to a request already verified.

    Only the holder of the (256-bit) token can ask, so saying "already
    confirmed" to them tells nothing new; an unknown token says nothing.
    """
    if not token or len(token) > 100:
        return False
    return RequestLink.objects.filter(
        token_hash=hash_token(token),
        purpose=RequestLink.Purpose.VERIFY,
        request__verified_at__isnull=False,
    ).exists()


def status_url(token: str) -> str:
    return settings.SITE_URL + reverse("requests:status", args=[token])


def verify_url(token: str) -> str:
    return settings.SITE_URL + reverse("requests:verify", args=[token])


def emailed_link(
    request: PrivacyRequest, purpose: str, *, ttl: timedelta, now: datetime
) -> dict:
    """A link for an e-mail: the row now, its token minted when the e-mail is sent.

    The row holds the hash of a token nobody has until ``link_mint`` replaces
    it, so no usable token ever sits in the outbox.
    """
    row = RequestLink.objects.create(
        request=request,
        purpose=purpose,
        token_hash=hash_token(secrets.token_urlsafe(32)),
        created_at=now,
        expires_at=now + ttl,
    )
    return mail.secret_link(LINK_MINTER, row.pk)


def link_mint(link_id: int) -> str:
    """Link minter (privacyportal.mail): a fresh token for a live link, its URL."""
    token = secrets.token_urlsafe(32)
    link = RequestLink.objects.filter(
        pk=link_id, used_at__isnull=True, expires_at__gt=timezone.now()
    ).first()
    if link is None or not RequestLink.objects.filter(
        pk=link_id, used_at__isnull=True
    ).update(token_hash=hash_token(token)):
        raise mail.LinkGone(f"request link {link_id} is used or expired")
    if link.purpose == RequestLink.Purpose.VERIFY:
        return verify_url(token)
    return status_url(token)


def status_link(request: PrivacyRequest, now: datetime) -> dict:
    ttl = timedelta(days=settings.REQUEST_STATUS_LINK_DAYS)
    return emailed_link(request, RequestLink.Purpose.STATUS, ttl=ttl, now=now)


# --- timeline, audit, e-mail -------------------------------------------------------


def user_or_none(actor: Any) -> Any:
    """The Django user behind an actor, for who-columns; None for the system."""
    return actor if getattr(actor, "is_authenticated", False) else None


def actor_label(actor: Any) -> str:
    who = as_actor(actor)
    return who.label or who.type


def event_row(
    request: PrivacyRequest,
    kind: str,
    *,
    actor: Any,
    message: str = "",
    public: bool = False,
    from_status: str = "",
    to_status: str = "",
) -> RequestEvent:
    """An unsaved timeline entry (for one bulk_create of several)."""
    return RequestEvent(
        request=request,
        at=timezone.now(),
        kind=kind,
        actor_label=actor_label(actor),
        message=message,
        public=public,
        from_status=from_status,
        to_status=to_status,
    )


def event(request: PrivacyRequest, kind: str, *, actor: Any, **fields: Any) -> Any:
    row = event_row(request, kind, actor=actor, **fields)
    row.save(force_insert=True)
    return row


def record(
    action: str, request: PrivacyRequest, *, actor: Any, data: dict | None = None
) -> None:
    audit.record(
        f"requests.request.{action}",
        actor=actor,
        target=request,
        subject_id=request.subject_id,
        data={"reference": request.reference, **(data or {})},
    )


def transition(
    request: PrivacyRequest,
    to: str,
    *,
    actor: Any,
    action: str,
    message: str = "",
    public: bool = False,
    data: dict | None = None,
    **fields: Any,
) -> None:
    """Move ``request`` to ``to`` or raise TransitionError, changing nothing.

    Must run inside the caller's transaction.atomic().
    """
    expected = request.status
    if expected not in TRANSITIONS[to]:
        # Shown to the requester too (status page), in the page's language.
        raise TransitionError(
            gettext("%(reference)s: cannot go from %(from)s to %(to)s")
            % {
                "reference": request.reference,
                "from": S(expected).label.lower(),
                "to": S(to).label.lower(),
            }
        )
    if to in FINAL:
        fields.setdefault("next_alert_at", None)
        fields.setdefault("closed_at", timezone.now())
    updated = PrivacyRequest.objects.filter(pk=request.pk, status=expected).update(
        status=to, **fields
    )
    if updated != 1:
        raise TransitionError(
            gettext("%(reference)s was changed by someone else")
            % {"reference": request.reference}
        )
    for name, value in {"status": to, **fields}.items():
        setattr(request, name, value)
    event(
        request,
        RequestEvent.Kind.STATUS,
        actor=actor,
        message=message,
        public=public,
        from_status=expected,
        to_status=to,
    )
    record(
        action, request, actor=actor, data={"from": expected, "to": to, **(data or {})}
    )
    if to in (S.COMPLETED, S.PARTIALLY_COMPLETED):
        for hook in COMPLETION_HOOKS:
            hook(request=request, actor=actor)


def request_context(request: PrivacyRequest) -> dict:
    """What every e-mail about a request may mention (JSON-serialisable).

    Codes and ISO dates, not words: the e-mail is rendered later, in its own
    language, where the templates turn them into labels and local dates
    (``choice`` and ``isodate`` in privacyportal.templatetags.portal_i18n).
    """
    zone = tz()
    legal = request.legal_due_at
    return {
        "reference": request.reference,
        "type": request.type,
        "status": request.status,
        "name": request.name,
        "due_date": request.due_at.astimezone(zone).date().isoformat(),
        "legal_due_date": legal.astimezone(zone).date().isoformat() if legal else "",
        "admin_url": settings.SITE_URL
        + reverse("admin:requests_app_privacyrequest_change", args=[request.pk]),
    }


def email_requester(
    request: PrivacyRequest,
    template: str,
    key: str,
    *,
    events: list[RequestEvent] | None = None,
    **context: Any,
) -> bool:
    """Queue an e-mail to the requester; False if this key was sent before.

    Always the subject's own address, even for an agent's request: what we hold
    is disclosed only to the address that was verified. With ``events`` the
    timeline entry is appended there for the caller to bulk-create.
    """
    sent = mail.queue_email(
        key=f"request:{request.pk}:{key}",
        to=request.email,
        template=template,
        context={**request_context(request), **context},
        language=request.language,
    )
    if sent is not None:
        row = event_row(request, RequestEvent.Kind.EMAIL, actor=None, message=template)
        if events is None:
            row.save(force_insert=True)
        else:
            events.append(row)
    return sent is not None


def privacy_officers() -> list[Any]:
    return list(
        get_user_model()
        .objects.filter(groups__name=roles.PRIVACY_OFFICER, is_active=True)
        .exclude(email="")
        .order_by("pk")
    )


def email_staff(users: Iterable[Any], template: str, key: str, context: dict) -> int:
    """Queue one e-mail per staff member; each key is sent at most once.

    Always in LANGUAGE_CODE: staff read one language, even when a public page
    in another one caused the e-mail.
    """
    sent = 0
    for user in users:
        queued = mail.queue_email(
            key=f"{key}:to:{user.pk}",
            to=user.email,
            template=template,
            context=context,
            language=settings.LANGUAGE_CODE,
        )
        sent += queued is not None
    return sent


def alert_attention(request: PrivacyRequest, key: str, problem: str) -> int:
    """E-mail the assignee and the Privacy Officers: automation gave up here.

    Once per ``key`` (e.g. the failed step), however often it is reported.
    The problem text is cut short: it may quote a remote system's error.
    """
    assignee = request.assignee if request.assignee_id else None
    people = {u.pk: u for u in privacy_officers()}
    if assignee is not None and assignee.is_active and assignee.email:
        people.setdefault(assignee.pk, assignee)
    context = {**request_context(request), "problem": problem[:500]}
    return email_staff(
        people.values(),
        "staff_attention",
        f"request:{request.pk}:attention:{key}",
        context,
    )


def atomic():
    return transaction.atomic()
