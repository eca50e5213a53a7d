"""What each e-mail the portal sends is, in the words staff use.

E-mails are queued by template name (``request_verify``); staff pages (the
outbox, request timelines) show these titles instead. A template without a
title here is turned into words from its name, so none is ever shown raw.
"""

from __future__ import annotations

TITLES: dict[str, str] = {
    "request_verify": "Verification link",
    "request_confirmation": "Confirmation (request verified)",
    "request_acknowledgement": "Acknowledgement of receipt",
    "request_question": "Question to the requester",
    "request_extension": "Extension notice",
    "request_denial": "Decision (request denied)",
    "request_completion": "Completion notice",
    "request_optout": "Marketing opt-out confirmation",
    "request_status_link": "New status link",
    "fulfilment_export_ready": "Data export ready",
    "fulfilment_erasure_scheduled": "Erasure scheduled notice",
    "fulfilment_erasure_done": "Erasure done notice",
    "fulfilment_rectification_done": "Corrections done notice",
    "consent_preferences_link": "Preference-centre link",
    "consent_policy_changed": "Policy change notice",
    "staff_attention": "Needs-attention alert to staff",
    "staff_digest": "Overdue digest to staff",
    "staff_escalation": "Overdue escalation to staff",
    "staff_reminder": "Deadline reminder to staff",
}


# What a timeline says once an e-mail went out, where "<title> sent" reads badly.
SENT: dict[str, str] = {
    "request_verify": "Verification link sent",
    "request_confirmation": "Confirmation sent",
    "request_acknowledgement": "Acknowledgement of receipt sent",
    "request_status_link": "New status-page link sent",
    "request_question": "Question e-mailed",
    "request_extension": "Extension notice sent",
    "request_denial": "Refusal with reasons sent",
    "request_completion": "Completion notice sent",
    "request_optout": "Opt-out confirmation sent",
    "fulfilment_export_ready": "Download link sent",
    "fulfilment_erasure_scheduled": "Erasure notice sent",
    "fulfilment_erasure_done": "Erasure confirmation sent",
    "fulfilment_rectification_done": "Corrections confirmation sent",
}


def register(template: str, title: str) -> None:
    """Apps name the e-mails they add next to the code that sends them."""
    TITLES[template] = title


def sent(template: str, default: str = "") -> str:
    """A timeline line: "Verification link sent"."""
    if template in SENT:
        return SENT[template]
    if template not in TITLES and default:
        return default
    return f"{title(template)} sent"


def title(template: str) -> str:
    if template in TITLES:
        return TITLES[template]
    words = template.replace("_", " ").strip()
    return f"E-mail: {words}" if words else "E-mail"
