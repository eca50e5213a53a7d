"""What staff may do to a request now, and why not, in a privacy officer's words.

The services guard every change themselves; this module decides which buttons
the request page offers and explains a refusal before anyone fills a form.
Each check mirrors the guard of the service named in its action, so a button
shown is an action the service accepts (short of a race, which the service
still refuses).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from requests_app.fulfilment.exports import LIVE
from requests_app.models import PrivacyRequest

S = PrivacyRequest.Status
T = PrivacyRequest.Type
WORKABLE = {S.VERIFIED, S.IN_PROGRESS}
ASKABLE = {S.VERIFIED, S.IN_PROGRESS}  # services.common.TRANSITIONS[NEEDS_INFO]
DENIABLE = {S.VERIFIED, S.IN_PROGRESS, S.NEEDS_INFO}
EXTENDABLE = {S.VERIFIED, S.IN_PROGRESS, S.NEEDS_INFO}

Check = Callable[[PrivacyRequest, Any], "str | None"]


@dataclass(frozen=True)
class Action:
    name: str  # the admin action of the same name does the work
    label: str  # the button
    done: str  # "PR-… was not <done>: <reason>"
    check: Check


def status_refusal(request: PrivacyRequest, allowed: set[str]) -> str | None:
    """Why a request in its status cannot take an action allowed in ``allowed``."""
    if request.status in allowed:
        return None
    if not request.is_open:
        return f"it is closed ({request.get_status_display().lower()})"
    if request.status == S.RECEIVED:
        return "the requester has not confirmed their e-mail address yet"
    if request.status == S.NEEDS_INFO:
        return "it is waiting for the requester's answer"
    return f"it is {request.get_status_display().lower()}"


def _assign_to_me(request: PrivacyRequest, user: Any) -> str | None:
    if not request.is_open:
        return status_refusal(request, set())
    if request.assignee_id == user.pk:
        return "it is already assigned to you"
    return None


def _assign(request: PrivacyRequest, user: Any) -> str | None:
    return None if request.is_open else status_refusal(request, set())


def _extend(request: PrivacyRequest, user: Any) -> str | None:
    from django.utils import timezone

    rule = request.legal_rule
    if why := status_refusal(request, EXTENDABLE):
        return why
    if request.extended_at is not None:
        return "it was already extended once"
    if rule is None or not rule.spec().allows_extension:
        return "the law that applies allows no extension"
    if timezone.now() > request.due_at:
        return "its due date has passed"
    return None


def _ask(request: PrivacyRequest, user: Any) -> str | None:
    return status_refusal(request, ASKABLE)


def _deny(request: PrivacyRequest, user: Any) -> str | None:
    return status_refusal(request, DENIABLE)


def _complete(request: PrivacyRequest, user: Any) -> str | None:
    if why := status_refusal(request, WORKABLE):
        return why
    if request.erasure_started_at and request.outcomes.exclude(status="done").exists():
        return "some sources have not finished the erasure (retry the failed ones)"
    return None


def _approve_export(request: PrivacyRequest, user: Any) -> str | None:
    if request.type != T.ACCESS:
        return "it is not an access request"
    if why := status_refusal(request, WORKABLE):
        return why
    if request.subject_id is None:
        return "the requester's identity is not verified"
    if request.exports.filter(status__in=LIVE).exists():
        return "an export is already being built"
    return None


def _approve_erasure(request: PrivacyRequest, user: Any) -> str | None:
    if request.type != T.ERASURE:
        return "it is not an erasure request"
    if why := status_refusal(request, WORKABLE):
        return why
    if request.erasure_approved_at is not None:
        return "the erasure is already approved"
    return None


def _cancel_erasure(request: PrivacyRequest, user: Any) -> str | None:
    if request.erasure_approved_at is None:
        return "no erasure is scheduled"
    if request.erasure_started_at is not None:
        return "the erasure has already started"
    return None


def _retry_failed(request: PrivacyRequest, user: Any) -> str | None:
    if not request.needs_attention:
        return "nothing has failed"
    return None


def _apply_restriction(request: PrivacyRequest, user: Any) -> str | None:
    if request.type not in {T.RESTRICTION, T.OBJECTION}:
        return "it is not a restriction or objection request"
    if why := status_refusal(request, WORKABLE):
        return why
    if request.subject_id is None:
        return "the requester's identity is not verified"
    return None


# In the order the request page shows them.
ACTIONS = (
    Action("assign_to_me", "Assign to me", "assigned", _assign_to_me),
    Action("assign", "Assign to…", "assigned", _assign),
    Action("ask", "Ask the requester…", "sent the question", _ask),
    Action("extend", "Extend the deadline…", "extended", _extend),
    Action("approve_export", "Approve export…", "queued for export", _approve_export),
    Action(
        "approve_erasure",
        "Approve erasure…",
        "approved for erasure",
        _approve_erasure,
    ),
    Action("cancel_erasure", "Cancel the erasure", "cancelled", _cancel_erasure),
    Action("retry_failed", "Retry failed sources", "retried", _retry_failed),
    Action(
        "apply_restriction",
        "Apply restriction / objection…",
        "applied",
        _apply_restriction,
    ),
    Action("complete", "Mark completed…", "completed", _complete),
    Action("deny", "Deny…", "denied", _deny),
)
BY_NAME = {a.name: a for a in ACTIONS}


def why_not(name: str, request: PrivacyRequest, user: Any) -> str | None:
    """The reason ``name`` cannot be done to ``request`` now, or None."""
    return BY_NAME[name].check(request, user)


def refusal(name: str, request: PrivacyRequest, user: Any) -> str | None:
    """A whole sentence naming the request: "PR-… was not extended: <reason>"."""
    why = why_not(name, request, user)
    if why is None:
        return None
    return f"{request.reference} was not {BY_NAME[name].done}: {why}."


def allowed(request: PrivacyRequest, user: Any) -> list[Action]:
    """The actions the request page offers (the caller checks permissions)."""
    return [a for a in ACTIONS if a.check(request, user) is None]
