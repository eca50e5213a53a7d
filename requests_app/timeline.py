"""One place that turns a request's stored codes into the words staff read.

Timeline kinds, status slugs, e-mail template names and actor labels are
stored as codes; staff pages show only what this module makes of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model

from privacyportal import emailtitles
from requests_app.models import PrivacyRequest, RequestEvent

K = RequestEvent.Kind
S = PrivacyRequest.Status

# Short enough for the queue's column; the full label is on the request page.
TYPE_SHORT = {
    PrivacyRequest.Type.ACCESS: "Access",
    PrivacyRequest.Type.RECTIFICATION: "Correction",
    PrivacyRequest.Type.ERASURE: "Erasure",
    PrivacyRequest.Type.RESTRICTION: "Restriction",
    PrivacyRequest.Type.OBJECTION: "Objection",
    PrivacyRequest.Type.MARKETING_OPT_OUT: "Marketing opt-out",
    PrivacyRequest.Type.COMPLAINT: "Complaint",
}


# What happened, by kind (status changes are worded from their statuses).
KIND_TITLES = {
    K.CREATED: "Request received",
    K.ASSIGNED: "Assigned",
    K.EXTENDED: "Deadline extended",
    K.QUESTION: "Question to the requester",
    K.ANSWER: "Answer from the requester",
    K.NOTE: "Note",
    K.OPT_OUT: "Marketing opt-out applied",
    K.DUPLICATE: "Filed again",
}

# A question or answer is written with the status change it causes; staff
# see it once, with the new status beside it.
FOLDED = {K.QUESTION: S.NEEDS_INFO, K.ANSWER: S.IN_PROGRESS}
# request_assign writes "Assigned to <username>."; staff read the name.
ASSIGNED = re.compile(r"^Assigned to (?P<username>.+)\.$")
# The erasure note names a failed step by its registry key; staff read its label.
STEP_FAILED = re.compile(r"^(?P<key>\S+) (?P<rest>failed \d+ times: .*)$", re.S)


@dataclass(frozen=True)
class Entry:
    at: datetime
    who: str
    what: str
    detail: str = ""
    status: str = ""  # the status it led to, in words


def type_short(code: str) -> str:
    return TYPE_SHORT.get(code, "Other")


def status_label(code: str) -> str:
    try:
        return S(code).label
    except ValueError:
        return "Unknown status"


def email_title(template: str) -> str:
    return emailtitles.sent(template, default="E-mail sent to the requester")


def person(user: Any) -> str:
    """A staff member as colleagues know them: full name, else the username."""
    return (user.get_full_name() or user.get_username()) if user else ""


def _names(labels: Iterable[str]) -> dict[str, str]:
    users = get_user_model().objects.filter(username__in=set(labels))
    return {u.get_username(): person(u) for u in users}


def _who(label: str, names: dict[str, str]) -> str:
    if label == "data subject":
        return "The requester"
    if label in names:
        return names[label]
    if label.startswith("API key "):
        return label  # another system, by the name staff gave its key
    # A system actor is labelled by its job ("deadline job", "export").
    return "The portal"


def _assignee(event: RequestEvent) -> str:
    found = ASSIGNED.match(event.message) if event.kind == K.ASSIGNED else None
    return found["username"] if found else ""


def _what(event: RequestEvent, names: dict[str, str]) -> str:
    if username := _assignee(event):
        return f"Assigned to {names.get(username, username)}"
    if event.kind == K.STATUS:
        return f"Status: {status_label(event.to_status)}"
    if event.kind == K.EMAIL:
        return email_title(event.message)
    return KIND_TITLES.get(event.kind, "Update")


def _detail(event: RequestEvent, sources: dict[str, str]) -> str:
    # An e-mail's message is its template name, an assignment's is in the
    # title: the title says it all.
    if event.kind == K.EMAIL or _assignee(event):
        return ""
    found = STEP_FAILED.match(event.message) if event.kind == K.NOTE else None
    if found and found["key"] in sources:
        return f"{sources[found['key']]}: {found['rest']}"
    return event.message


def _folds_into(event: RequestEvent, following: RequestEvent | None) -> bool:
    """A status change written together with the question or answer behind it."""
    return (
        event.kind == K.STATUS
        and following is not None
        and FOLDED.get(following.kind) == event.to_status
    )


def entries(request: PrivacyRequest) -> list[Entry]:
    """The request's timeline, oldest first, each event once and in words."""
    events = list(request.events.order_by("at", "id"))
    names = _names([e.actor_label for e in events] + [_assignee(e) for e in events])
    sources = dict(
        request.outcomes.exclude(label="").values_list("source_key", "label")
    )
    result = []
    for i, event in enumerate(events):
        following = events[i + 1] if i + 1 < len(events) else None
        if _folds_into(event, following):
            continue
        folded = FOLDED.get(event.kind)
        previous = events[i - 1] if i else None
        led_to = folded if previous and _folds_into(previous, event) else ""
        result.append(
            Entry(
                at=event.at,
                who=_who(event.actor_label, names),
                what=_what(event, names),
                detail=_detail(event, sources),
                status=status_label(led_to) if led_to else "",
            )
        )
    return result
