"""The request page's timeline reads as sentences: no codes, nothing twice."""

from __future__ import annotations

import re

import pytest

from privacyportal.audit.services import Actor
from requests_app import services, timeline
from requests_app.models import PrivacyRequest, RequestEvent
from requests_app.tests.factories import in_progress, staff_user

pytestmark = pytest.mark.django_db
URL = "/admin/requests_app/privacyrequest/"
RAW = [
    "in_progress",
    "needs_info",
    "request_verify",
    "request_question",
    "request_confirmation",
    "data subject",
]


def timeline_html(client, request: PrivacyRequest) -> str:
    html = client.get(f"{URL}{request.pk}/change/").content.decode()
    return html.split('class="pr-timeline"')[1].split("</ol>")[0]


@pytest.fixture
def asked_and_answered(officer):
    request = in_progress(officer, country="DE")
    services.request_ask(actor=officer, request=request, question="Which account?")
    services.request_answer(
        request=request, answer="The work one.", actor=Actor.subject(None)
    )
    services.request_extend(actor=officer, request=request, reason="Many systems.")
    return request


def test_timeline_has_no_raw_codes_and_shows_a_question_once(
    client, officer, asked_and_answered
):
    client.force_login(officer)
    html = timeline_html(client, asked_and_answered)
    for code in RAW:
        assert code not in html
    assert html.count("Which account?") == 1
    assert html.count("Question to the requester") == 1
    assert html.count("The work one.") == 1
    assert "Verification link sent" in html and "Question e-mailed" in html
    assert "Status: Waiting for the requester" in html
    assert "Deadline extended" in html and "by The requester" in html
    # No per-row caption such as "3 status 2026-12-01 10:57".
    assert not re.search(r"\d+ (status|email|question) \d{4}-\d\d-\d\d", html)


def test_actor_is_shown_by_name(client, asked_and_answered):
    named = staff_user("olga", "Privacy Officer", first_name="Olga", last_name="Berg")
    services.request_assign(actor=named, request=asked_and_answered, assignee=named)
    client.force_login(named)
    html = timeline_html(client, asked_and_answered)
    assert "Assigned to Olga Berg" in html and "by Olga Berg" in html
    assert "olga" not in html


def test_question_folds_its_status_change_but_other_changes_stay(asked_and_answered):
    entries = timeline.entries(asked_and_answered)
    whats = [e.what for e in entries]
    assert "Status: Waiting for the requester" not in whats
    assert "Status: Verified" in whats and "Status: In progress" in whats
    question = next(e for e in entries if e.what == "Question to the requester")
    assert question.status == "Waiting for the requester"
    stored = RequestEvent.objects.filter(request=asked_and_answered).count()
    assert len(entries) == stored - 2  # the ask's and the answer's status rows


def test_unknown_email_template_is_not_shown_by_name():
    assert timeline.email_title("some_new_template") == "E-mail sent to the requester"
