"""The requester's verify and status pages: plain words, no codes, no leaks."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from requests_app import services
from requests_app.models import PrivacyRequest, SourceOutcome
from requests_app.tests.factories import in_progress, submit, token_from, verified

pytestmark = pytest.mark.django_db
S = PrivacyRequest.Status
QUESTION = "Which of your two accounts do you mean?"
CONFIRMED = "This request is already confirmed"


def main(response) -> str:
    """The page's <main>, without the site header and footer."""
    html = response.content.decode()
    return re.search(r"<main[^>]*>(.*)</main>", html, re.S).group(1)


def verify_url(token: str) -> str:
    return f"/privacy/request/verify/{token}/"


def status_url(request: PrivacyRequest) -> str:
    return f"/privacy/request/status/{token_from(request, 'request_confirmation')}/"


# --- a used verification link ------------------------------------------------------


def test_used_verification_link_says_confirmed_and_shows_nothing_of_the_request(
    client,
):
    request = submit(name="Zebedee Quux", email="zebedee@example.org", type="erasure")
    token = token_from(request)
    assert client.post(verify_url(token)).status_code == 302
    request.refresh_from_db()
    for again in (client.get(verify_url(token)), client.post(verify_url(token))):
        assert again.status_code == 200
        html = again.content.decode()
        assert CONFIRMED in html
        assert 'href="/privacy/request/lost-link/"' in html
        for private in (
            request.reference,
            "Zebedee",
            "zebedee@example.org",
            request.get_type_display(),
        ):
            assert private not in html
    request.refresh_from_db()
    assert request.status == S.VERIFIED  # the second click changed nothing


def test_used_link_of_a_confirmed_request_says_so_after_it_expired_too(client):
    request = submit()
    token = token_from(request)
    client.post(verify_url(token))
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        response = client.get(verify_url(token))
    assert response.status_code == 200 and CONFIRMED in response.content.decode()


def test_unknown_token_keeps_the_neutral_page(client):
    for response in (
        client.get(verify_url("A" * 43)),
        client.post(verify_url("A" * 43)),
    ):
        assert response.status_code == 404
        html = response.content.decode()
        assert "This link does not work" in html and CONFIRMED not in html


def test_retired_link_of_an_unconfirmed_request_stays_neutral(client):
    # A new link retires the old one; the request is still not confirmed.
    request = submit()
    old = token_from(request)
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        client.post(f"{verify_url(old)}new-link/")
        response = client.get(verify_url(old))
    assert response.status_code in (404, 410)
    assert CONFIRMED not in response.content.decode()
    assert request.reference not in response.content.decode()


# --- the verify page in words ------------------------------------------------------


def test_verify_page_names_country_region_relationship_and_corrections(client):
    request = submit(
        type="rectification",
        country="US",
        region="CA",
        relationship="customer",
        corrections=(("subjects.profile.phone", "+44 20 7946 0000"),),
    )
    page = main(client.get(verify_url(token_from(request))))
    assert "United States of America (California)" in page
    assert "Customer or user" in page
    assert "Phone number: +44 20 7946 0000" in page
    for code in ("subjects.profile.phone", ">US<", ">CA<", ">customer<", "(CA)"):
        assert code not in page


def test_verify_page_names_the_country_in_the_page_language(client):
    request = submit(country="GB")
    token = token_from(request)
    assert "United Kingdom" in main(client.get(verify_url(token)))
    german = main(client.get(verify_url(token) + "?lang=de"))
    assert "Vereinigtes Königreich" in german and ">GB<" not in german


# --- the status page: a question waiting -------------------------------------------


def asked(officer, **overrides) -> PrivacyRequest:
    request = in_progress(officer, **overrides)
    services.request_ask(actor=officer, request=request, question=QUESTION)
    return request


def test_waiting_question_is_shown_once_in_the_answer_box(client, officer):
    request = asked(officer)
    page = main(client.get(status_url(request)))
    # Messages and answer box together say the question exactly once, and
    # the timeline entry for it points at the box.
    assert page.count(QUESTION) == 1
    box = re.search(r'<section class="answer-box".*?</section>', page, re.S).group(0)
    assert QUESTION in box and 'id="question-text"' in box
    assert re.search(r'<textarea[^>]*aria-describedby="question-text"', box)
    assert 'href="#answer"' in page.split("<h2>Messages</h2>")[1]


def test_answer_box_comes_before_corrections_and_withdraw(client, officer):
    request = asked(
        officer,
        type="rectification",
        corrections=(("subjects.profile.phone", "+44 20 7946 0000"),),
    )
    page = main(client.get(status_url(request)))
    box = page.index('class="answer-box"')
    assert box < page.index("Messages")
    assert box < page.index("Your corrections")
    assert box < page.index("Withdraw my request")


def test_after_answering_question_and_answer_are_in_the_messages(client, officer):
    request = asked(officer)
    url = status_url(request)
    client.post(url + "answer/", {"answer": "The work one"})
    page = main(client.get(url))
    assert "answer-box" not in page
    assert page.count(QUESTION) == 1 and page.count("The work one") == 1
    assert page.index(QUESTION) < page.index("The work one")


def test_empty_answer_is_refused_with_an_alert_and_nothing_changes(client, officer):
    request = asked(officer)
    response = client.post(status_url(request) + "answer/", {"answer": "  "})
    assert response.status_code == 400
    box = main(response)
    assert re.search(r'id="answer-errors" role="alert"', box)
    assert re.search(
        r'<textarea[^>]*aria-describedby="question-text answer-errors"', box
    )
    request.refresh_from_db()
    assert request.status == S.NEEDS_INFO


def test_stopped_clock_is_explained_and_the_date_waits(client, officer):
    with time_machine.travel(datetime(2026, 3, 2, 9, tzinfo=UTC), tick=False):
        request = asked(officer, country="GB")
        url = status_url(request)
        page = main(client.get(url))
    assert request.paused_at is not None
    assert "is paused until you reply" in page
    assert "To be set when you answer" in page
    assert "1 Apr 2026" not in page  # the due date before the pause
    with time_machine.travel(datetime(2026, 3, 12, 9, tzinfo=UTC), tick=False):
        client.post(url + "answer/", {"answer": "The work one"})
        page = main(client.get(url))
    assert "is paused" not in page and "To be set" not in page
    assert "13 Apr 2026" in page
    assert "includes 10" in page


def test_clock_that_does_not_stop_keeps_its_date(client, officer):
    request = asked(officer, country="DE")
    page = main(client.get(status_url(request)))
    assert "is paused" not in page and "To be set" not in page


# --- the status page in words ------------------------------------------------------


def test_status_and_system_messages_are_in_words(client):
    request = verified()
    url = status_url(request)
    client.post(url + "withdraw/")
    page = main(client.get(url))
    assert "You withdrew the request." in page
    assert "Withdrawn by the requester." not in page  # the stored English
    assert ">withdrawn<" not in page and "status change" not in page.lower()


def test_requester_refusal_is_shown_as_an_alert(client, officer):
    request = in_progress(officer)
    response = client.post(status_url(request) + "answer/", {"answer": "x"})
    assert response.status_code == 409
    assert re.search(
        r'class="notice error" role="alert">[^<]*no question', main(response)
    )


def test_erasure_outcomes_are_in_words(client, officer):
    request = in_progress(officer)
    SourceOutcome.objects.create(
        request=request,
        source_key="retention.recordings",
        label="Conference recordings",
        status="done",
        outcome="retained",
        reason="A legal hold applies",
        legal_basis="Art. 17(3)(e) GDPR",
    )
    SourceOutcome.objects.create(
        request=request,
        source_key="subjects.profile",
        label="Your profile",
        status="done",
        outcome="anonymised",
    )
    page = main(client.get(status_url(request)))
    assert "Conference recordings" in page and "retention.recordings" not in page
    assert "Kept" in page and "A legal hold applies (Art. 17(3)(e) GDPR)" in page
    assert "Made anonymous" in page and ">anonymised" not in page
