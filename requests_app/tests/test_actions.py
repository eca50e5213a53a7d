"""The request page offers exactly the actions the request's state allows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from privacyportal.audit.services import Actor
from requests_app import actions, services
from requests_app.models import PrivacyRequest
from requests_app.tests.factories import in_progress, submit, verified

pytestmark = pytest.mark.django_db
URL = "/admin/requests_app/privacyrequest/"
S = PrivacyRequest.Status
OPEN_TO_ALL = ["Assign to me", "Assign to…"]
WORKING = [
    *OPEN_TO_ALL,
    "Ask the requester…",
    "Extend the deadline…",
    "Approve export…",
    "Mark completed…",
    "Deny…",
]
# An access request in Germany (GDPR: one extension) in each status.
EXPECTED = {
    S.RECEIVED: OPEN_TO_ALL,
    S.VERIFIED: WORKING,
    S.IN_PROGRESS: WORKING,
    S.NEEDS_INFO: [*OPEN_TO_ALL, "Extend the deadline…", "Deny…"],
    S.COMPLETED: [],
    S.PARTIALLY_COMPLETED: [],
    S.DENIED: [],
    S.WITHDRAWN: [],
    S.CLOSED_UNVERIFIED: [],
    S.DUPLICATE: [],
}


def buttons(client, request: PrivacyRequest) -> list[str]:
    html = client.get(f"{URL}{request.pk}/change/").content.decode()
    bench = html.split('class="pr-buttons"')[1:] or [""]
    found = re.findall(r"(?:<button[^>]*>|<a class=\"button\"[^>]*>)([^<]+)<", bench[0])
    return [label.strip() for label in found]


@pytest.mark.parametrize("status", list(S))
def test_buttons_offered_match_what_each_status_allows(client, officer, status):
    request = verified(country="DE")
    PrivacyRequest.objects.filter(pk=request.pk).update(status=status)
    client.force_login(officer)
    assert buttons(client, request) == EXPECTED[status]


def test_assigned_to_me_offers_no_assign_to_me(client, officer):
    request = in_progress(officer, country="DE")
    client.force_login(officer)
    assert buttons(client, request) == [b for b in WORKING if b != "Assign to me"]


def test_extension_is_not_offered_twice_nor_where_the_law_allows_none(client, officer):
    once = in_progress(officer, country="DE")
    services.request_extend(actor=officer, request=once, reason="Many systems.")
    brazil = in_progress(officer, country="BR")
    client.force_login(officer)
    assert "Extend the deadline…" not in buttons(client, once)
    assert "Extend the deadline…" not in buttons(client, brazil)


def test_erasure_request_offers_approval_then_cancel(client, officer):
    from requests_app.fulfilment import erasure

    request = in_progress(officer, type="erasure")
    client.force_login(officer)
    assert "Approve erasure…" in buttons(client, request)
    assert "Approve export…" not in buttons(client, request)
    erasure.erasure_approve(actor=officer, request=request)
    offered = buttons(client, request)
    assert "Cancel the erasure" in offered and "Approve erasure…" not in offered


def test_auditor_and_support_see_no_action_buttons(client, auditor, support, officer):
    request = in_progress(officer)
    entered = submit()
    PrivacyRequest.objects.filter(pk=entered.pk).update(entered_by=support)
    client.force_login(auditor)
    assert buttons(client, request) == []
    assert client.post(f"{URL}{request.pk}/do/complete/").status_code == 403
    client.force_login(support)
    assert buttons(client, entered) == []
    assert client.post(f"{URL}{entered.pk}/do/assign_to_me/").status_code == 403
    entered.refresh_from_db()
    assert entered.assignee is None


def test_refusal_on_the_request_page_names_the_request_and_reason(client, officer):
    request = verified(country="DE")
    services.request_deny(
        actor=officer, request=request, reason="Excessive", legal_basis="Art 12(5)"
    )
    client.force_login(officer)
    response = client.get(f"{URL}{request.pk}/do/extend/", follow=True)
    said = [str(m) for m in response.context["messages"]]
    assert said == [f"{request.reference} was not extended: it is closed (denied)."]


def test_a_button_link_followed_by_get_changes_nothing(client, officer):
    request = verified()
    client.force_login(officer)
    client.get(f"{URL}{request.pk}/do/assign_to_me/")
    request.refresh_from_db()
    assert request.assignee is None
    client.post(f"{URL}{request.pk}/do/assign_to_me/")
    request.refresh_from_db()
    assert request.assignee == officer and request.status == S.IN_PROGRESS


def test_assign_to_a_colleague_from_the_request_page(client, officer, analyst):
    request = verified()
    client.force_login(officer)
    form = client.get(f"{URL}{request.pk}/do/assign/").content.decode()
    assert "Assign to a colleague" in form and "analyst" in form
    client.post(
        f"{URL}{request.pk}/do/assign/", {"apply": "Confirm", "assignee": analyst.pk}
    )
    request.refresh_from_db()
    assert request.assignee == analyst


def test_ask_from_the_request_page_confirms_then_sends(client, officer):
    request = in_progress(officer)
    client.force_login(officer)
    page = client.get(f"{URL}{request.pk}/do/ask/")
    assert page.status_code == 200 and b'name="question"' in page.content
    response = client.post(
        f"{URL}{request.pk}/do/ask/", {"apply": "Confirm", "question": "Which one?"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{URL}{request.pk}/change/"
    request.refresh_from_db()
    assert request.status == S.NEEDS_INFO


def test_past_due_request_is_refused_an_extension_in_plain_words(officer):
    request = in_progress(officer, country="DE")
    PrivacyRequest.objects.filter(pk=request.pk).update(
        due_at=timezone.now() - timedelta(days=1)
    )
    request.refresh_from_db()
    assert actions.refusal("extend", request, officer) == (
        f"{request.reference} was not extended: its due date has passed."
    )


def test_a_received_request_is_refused_a_question_in_plain_words(officer):
    request = submit()
    assert actions.refusal("ask", request, officer) == (
        f"{request.reference} was not sent the question: the requester has not "
        "confirmed their e-mail address yet."
    )
    assert actions.refusal("assign_to_me", request, officer) is None
    services.request_withdraw(request=request, actor=Actor.subject(None))
    assert "it is closed (withdrawn)" in actions.refusal("assign", request, officer)


def test_request_page_and_confirmation_have_no_inline_style_or_script(client, officer):
    request = in_progress(officer, country="DE")
    client.force_login(officer)
    page = client.get(f"{URL}{request.pk}/change/").content.decode()
    bench = page.split('class="pr-workbench"')[1].split("</ol>")[0]
    confirm = client.get(f"{URL}{request.pk}/do/extend/").content.decode()
    form = confirm.split('id="content"')[1]
    for html in (bench, form):
        assert "style=" not in html and "<script" not in html


FORM_DATA = {
    "ask": {"question": "Which account?"},
    "extend": {"reason": "Your data sits in many systems."},
    "deny": {"category": "other", "reason": "Excessive", "legal_basis": "Art 12(5)"},
    "complete": {"partial": False, "summary": "Done."},
    "apply_restriction": {"marketing": True, "profiling": False, "reason": ""},
}


def _in_status(type_: str, status: str, officer) -> PrivacyRequest:
    if status == S.RECEIVED:
        return submit(type=type_, country="DE")
    request = verified(type=type_, country="DE")
    if status == S.NEEDS_INFO:
        services.request_ask(actor=officer, request=request, question="Which?")
    if status == S.DENIED:
        services.request_deny(
            actor=officer, request=request, reason="No", legal_basis="Art 12(5)"
        )
    request.refresh_from_db()
    return request


@pytest.mark.parametrize("type_", ["access", "erasure", "objection"])
@pytest.mark.parametrize("status", [S.RECEIVED, S.VERIFIED, S.NEEDS_INFO, S.DENIED])
def test_offered_actions_are_exactly_those_the_services_accept(
    officer, analyst, type_, status
):
    from requests_app.admin_actions import STEPS

    disagree = []
    for action in actions.ACTIONS:
        request = _in_status(type_, status, officer)
        offered = actions.why_not(action.name, request, analyst) is None
        data = {"assignee": officer, **FORM_DATA.get(action.name, {})}
        try:
            accepted = STEPS[action.name].run(analyst, request, data) is not False
        except services.RequestError:
            accepted = False
        if offered != accepted:
            disagree.append((action.name, offered, accepted))
    assert disagree == []
