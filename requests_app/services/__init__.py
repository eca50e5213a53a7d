"""Every write to privacy requests (see DESIGN.md "Rules that hold everywhere")."""

from __future__ import annotations

from requests_app.services.common import (
    LinkExpired,
    LinkInvalid,
    RequestError,
    TransitionError,
    link_find,
    verify_link_confirmed,
)
from requests_app.services.intake import (
    Submission,
    request_resend_verification,
    request_status_link_resend,
    request_submit,
    request_verify,
    resend_limit_identity,
)
from requests_app.services.jobs import RunSummary, deadlines_run
from requests_app.services.rules import policy_delete, policy_save
from requests_app.services.submissions import (
    submission_accept,
    submission_process,
    submissions_drain,
    submissions_redispatch,
)
from requests_app.services.workflow import (
    extension_due,
    request_answer,
    request_ask,
    request_assign,
    request_close_unverified,
    request_complete,
    request_deny,
    request_extend,
    request_set_notes,
    request_withdraw,
)

__all__ = [
    "LinkExpired",
    "LinkInvalid",
    "RequestError",
    "RunSummary",
    "Submission",
    "TransitionError",
    "deadlines_run",
    "extension_due",
    "link_find",
    "policy_delete",
    "policy_save",
    "request_answer",
    "request_ask",
    "request_assign",
    "request_close_unverified",
    "request_complete",
    "request_deny",
    "request_extend",
    "request_resend_verification",
    "request_set_notes",
    "request_status_link_resend",
    "request_submit",
    "request_verify",
    "request_withdraw",
    "resend_limit_identity",
    "submission_accept",
    "submission_process",
    "submissions_drain",
    "submissions_redispatch",
    "verify_link_confirmed",
]
