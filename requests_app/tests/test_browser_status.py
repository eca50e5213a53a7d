"""The status page on a 390 px phone, with a question waiting, in Chromium."""

from __future__ import annotations

import pytest

from requests_app import services
from requests_app.models import PrivacyRequest, SourceOutcome
from requests_app.tests.factories import (
    in_progress,
    reseed_deadline_rules,
    staff_user,
    token_from,
)

QUESTION = (
    "Which of your two accounts do you mean: the one you opened with "
    "your work address in 2019, or the personal one?"
)


def waiting_request() -> PrivacyRequest:
    reseed_deadline_rules()  # the live server's database was flushed
    officer = staff_user("officer", "Privacy Officer")
    request = in_progress(
        officer,
        type="rectification",
        country="GB",
        email="a.very.long.address.for.a.narrow.phone@example.org",
        corrections=(("subjects.profile.postal_address", "221B Baker Street, London"),),
    )
    # A long unbroken value must wrap, not widen the page.
    SourceOutcome.objects.create(
        request=request,
        source_key="retention.recordings",
        label="Conference recordings",
        status="done",
        outcome="retained",
        reason="A legal hold applies to recordings of this meeting series",
        legal_basis="Art.17(3)(e)GDPR-legal-claims-establishment-exercise-defence",
    )
    services.request_ask(actor=officer, request=request, question=QUESTION)
    return request


@pytest.mark.browser
def test_status_page_fits_a_phone_with_the_answer_box_first(
    page, live_server, settings
):
    settings.SITE_URL = live_server.url
    request = waiting_request()
    token = token_from(request, "request_confirmation")
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{live_server.url}/privacy/request/status/{token}/")

    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = page.locator("section.answer-box")
    assert QUESTION in box.inner_text()
    top = box.bounding_box()["y"]
    for later in ("Messages", "Your corrections", "Withdraw your request"):
        assert top < page.get_by_role("heading", name=later).bounding_box()["y"]
    # The answer field is named and described by the question.
    field = page.get_by_role("textbox", name="Your answer")
    assert field.get_attribute("aria-describedby") == "question-text"
    assert "paused until you reply" in page.inner_text("main")
    for button in page.locator("main button").all():
        assert button.bounding_box()["height"] >= 24
