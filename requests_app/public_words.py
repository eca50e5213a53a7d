"""The requester's pages in plain words, in the page's language.

Codes stored on a request (country, region, status) are named here.

The timeline stores codes (kinds, statuses) and, for public entries, a message:
either text staff typed (a question, a reason), shown as typed, or a fixed
sentence the portal wrote in English. The fixed sentences are recognised here
and worded again in the active language, so a German page says it in German.
(The staff timeline, requests_app.timeline, stays English.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from privacyportal.registry import Outcome
from requests_app.jurisdictions import REGIONS, country_name
from requests_app.models import PrivacyRequest, RequestEvent

K = RequestEvent.Kind
S = PrivacyRequest.Status

# The status as the requester reads it (staff labels speak of "the requester").
STATUS_WORDS = {
    S.RECEIVED: _("Waiting for you to confirm it"),
    S.VERIFIED: _("Confirmed, waiting to be handled"),
    S.IN_PROGRESS: _("We are working on it"),
    S.NEEDS_INFO: _("Waiting for your answer"),
    S.COMPLETED: pgettext_lazy("request status", "Done"),
    S.PARTIALLY_COMPLETED: _("Partly done"),
    S.DENIED: _("Refused"),
    S.WITHDRAWN: pgettext_lazy("request status", "Withdrawn"),
    S.CLOSED_UNVERIFIED: _("Closed: it was never confirmed"),
    S.DUPLICATE: _("Closed: the same as another request of yours"),
}

# What a status change means for the requester, by the status it led to.
STATUS_TITLES = {
    S.VERIFIED: _("You confirmed the request"),
    S.IN_PROGRESS: _("We started work on your request"),
    S.NEEDS_INFO: _("We asked you a question"),
    S.COMPLETED: _("Your request is done"),
    S.PARTIALLY_COMPLETED: _("Your request is partly done"),
    S.DENIED: _("We refused your request"),
    S.WITHDRAWN: _("The request was withdrawn"),
    S.CLOSED_UNVERIFIED: _("The request was closed because it was never confirmed"),
    S.DUPLICATE: _("The request was closed as the same as another one"),
}

KIND_TITLES = {
    K.CREATED: _("We received your request"),
    K.QUESTION: _("We asked you a question"),
    K.ANSWER: _("Your answer"),
    K.EXTENDED: _("We need more time"),
    K.NOTE: _("News about your request"),
    K.OPT_OUT: _("Marketing stopped"),
    K.DUPLICATE: _("You filed the same request again"),
    K.APPEAL: _("Your appeal"),
}

# Sentences the portal writes (in English) into public entries.
FIXED = {
    "Withdrawn by the requester.": _("You withdrew the request."),
    "Deletion cancelled by the requester.": _(
        "You cancelled the deletion, so the request is withdrawn."
    ),
    "Your information was e-mailed to you as a download link.": _(
        "We e-mailed you a link to download your information."
    ),
    "The scheduled deletion was cancelled by our staff.": _(
        "Our staff cancelled the scheduled deletion."
    ),
    "We no longer use your data for marketing.": _(
        "We no longer use your information for marketing."
    ),
    "We no longer use your data for profiling.": _(
        "We no longer use your information for profiling."
    ),
    "We no longer use your data for marketing or profiling.": _(
        "We no longer use your information for marketing or profiling."
    ),
    "We held no personal data about you.": _("We held no information about you."),
}
# requests_app.fulfilment.erasure.erasure_approve (its date in the server's zone).
DELETION_APPROVED = re.compile(
    r"^Deletion approved; it starts after (?P<when>.+)\. "
    r"You can cancel it on this page until then\.$"
)
# requests_app.fulfilment.rectification.corrections_add
CORRECTIONS = re.compile(r"^Corrections: (?P<labels>.+)$", re.S)
# requests_app.fulfilment.rectification (one line per decided field).
CORRECTED = re.compile(r"^(?P<label>.+): corrected$")
NOT_CORRECTED = re.compile(r"^(?P<label>.+): not corrected — (?P<reason>.*)$")
# The erasure's own actor: its summary lists what the outcomes table shows.
ERASURE_ACTOR = "erasure"

OUTCOME_WORDS = {
    Outcome.DELETED: _("Deleted"),
    Outcome.ANONYMISED: _("Made anonymous"),
    Outcome.RETAINED: _("Kept"),
    Outcome.NOTHING: _("We held nothing here"),
}


@dataclass(frozen=True)
class PublicEntry:
    at: datetime
    kind: str
    title: str
    text: str = ""
    # The question waiting for an answer: its text is in the answer box.
    pending_question: bool = False


def place(country: str, region: str = "") -> str:
    """ "Germany", "United States (California)": names, in the page's language."""
    name = country_name(country)
    if not region:
        return name
    region_name = dict(REGIONS.get(country, [])).get(region, region)
    return gettext("%(country)s (%(region)s)") % {
        "country": name,
        "region": region_name,
    }


def status_words(code: str) -> str:
    return str(STATUS_WORDS.get(code, _("Being handled")))


def outcome_words(code: str) -> str:
    return str(OUTCOME_WORDS.get(code, _("Handled")))


def _when(stored: str) -> str:
    """The erasure note's date (stored as "%d %B %Y %H:%M %Z"), in the page's format."""
    try:
        naive = datetime.strptime(stored.rpartition(" ")[0], "%d %B %Y %H:%M")
    except ValueError:
        return stored
    moment = timezone.make_aware(naive, timezone.get_default_timezone())
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _correction_line(line: str) -> str:
    if found := CORRECTED.match(line):
        return gettext("%(field)s: corrected") % {"field": found["label"]}
    if found := NOT_CORRECTED.match(line):
        return gettext("%(field)s: not corrected (%(reason)s)") % {
            "field": found["label"],
            "reason": found["reason"],
        }
    return line


def _reworded(event: RequestEvent, request: PrivacyRequest) -> str:
    """The entry's text in the page's language; staff-typed text as typed."""
    message = event.message.strip()
    if message in FIXED:
        return str(FIXED[message])
    if found := DELETION_APPROVED.match(message):
        return gettext(
            "We approved the deletion; it starts after %(when)s. "
            "You can cancel it on this page until then."
        ) % {"when": _when(found["when"])}
    if event.kind == K.ANSWER and (found := CORRECTIONS.match(message)):
        return gettext("You asked us to correct: %(fields)s") % {
            "fields": found["labels"]
        }
    if event.kind == K.STATUS and event.actor_label == ERASURE_ACTOR:
        return gettext("What we did with your information is listed below.")
    if request.type == PrivacyRequest.Type.RECTIFICATION and event.kind == K.STATUS:
        return "\n".join(_correction_line(line) for line in message.splitlines())
    return message


def _title(event: RequestEvent) -> str:
    if event.kind == K.STATUS:
        return str(STATUS_TITLES.get(event.to_status, _("The status changed")))
    if event.kind == K.ANSWER and CORRECTIONS.match(event.message):
        return gettext("You added corrections")
    return str(KIND_TITLES.get(event.kind, _("News about your request")))


def _asked(event: RequestEvent, following: RequestEvent | None) -> bool:
    """A status change to "needs info" is written together with its question."""
    return (
        event.kind == K.STATUS
        and event.to_status == S.NEEDS_INFO
        and following is not None
        and following.kind == K.QUESTION
    )


def pending_question(request: PrivacyRequest, events: Sequence[RequestEvent]) -> str:
    """The question waiting for an answer, or "" when none is."""
    if request.status != S.NEEDS_INFO:
        return ""
    asked = [e for e in events if e.kind == K.QUESTION]
    return asked[-1].message if asked else ""


def entries(
    request: PrivacyRequest, events: Sequence[RequestEvent]
) -> list[PublicEntry]:
    """The public events, oldest first, each said once and in plain words.

    The question still waiting is shown with the answer box, so its entry
    here points there instead of repeating it.
    """
    waiting = [e for e in events if e.kind == K.QUESTION][-1:]
    waiting = waiting if request.status == S.NEEDS_INFO else []
    result = []
    for i, event in enumerate(events):
        following = events[i + 1] if i + 1 < len(events) else None
        if _asked(event, following):
            continue
        pending = event in waiting
        result.append(
            PublicEntry(
                at=event.at,
                kind=event.kind,
                title=_title(event),
                text="" if pending else _reworded(event, request),
                pending_question=pending,
            )
        )
    return result
