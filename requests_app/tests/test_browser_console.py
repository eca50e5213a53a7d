"""The staff queue and the request page in Chromium at 1280 x 800."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from privacyportal.audit.services import Actor
from requests_app import services
from requests_app.models import PrivacyRequest
from requests_app.tests.factories import (
    in_progress,
    reseed_deadline_rules,
    staff_user,
    submit,
    verified,
)

pytestmark = pytest.mark.browser
URL = "/admin/requests_app/privacyrequest/"
PASSWORD = "pw-Very-Long-123"


@pytest.fixture(autouse=True)
def _deadline_rules(transactional_db):
    """The rules the migrations seed (an earlier live-server test flushed them)."""
    reseed_deadline_rules()


def shot(page, name: str) -> None:
    """Keep a screenshot for a person to look at (PR_SCREENSHOTS=<dir>)."""
    folder = os.environ.get("PR_SCREENSHOTS")
    if folder:
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def log_in(page, live_server, user) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", user.get_username())
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")


def busy_queue(officer) -> list[PrivacyRequest]:
    """A queue as staff meet it: long names, states, every kind of clock."""
    rows = [
        in_progress(officer, country="US", region="CA", type="erasure"),
        in_progress(officer, country="US", region="DC", type="restriction"),
        in_progress(officer, country="DE", type="rectification"),
        verified(country="GB", type="complaint"),
        verified(country="BR", type="restriction"),
        submit(country="US", region="NH", type="objection"),
        in_progress(officer, country="FR", type="access"),
    ]
    services.request_ask(actor=officer, request=rows[1], question="Which state?")
    PrivacyRequest.objects.filter(pk=rows[2].pk).update(
        due_at=timezone.now() - timedelta(days=3)
    )
    return rows


def test_queue_shows_due_and_assignee_without_scrolling(page, live_server):
    officer = staff_user(
        "officer",
        "Privacy Officer",
        first_name="Margarethe",
        last_name="Vestergaard-Christiansen",
    )
    busy_queue(officer)
    log_in(page, live_server, officer)
    page.goto(f"{live_server.url}{URL}")
    shot(page, "queue")
    for scroller in ("document.scrollingElement", "document.querySelector('.results')"):
        widths = page.evaluate(
            f"() => [{scroller}.scrollWidth, {scroller}.clientWidth]"
        )
        assert widths[0] <= widths[1], (scroller, widths)
    for column in (
        "column-due_badge",
        "column-assignee_name",
        "column-jurisdiction_name",
    ):
        box = page.locator(f"#result_list th.{column}").bounding_box()
        assert box is not None and box["x"] >= 0
        assert box["x"] + box["width"] <= 1280, (column, box)
    body = page.inner_text("#result_list")
    assert "days overdue" in body and "Margarethe Vestergaard-Christiansen" in body
    assert "California (US)" in body and "in_progress" not in body


def test_officer_extends_from_the_request_page_seeing_the_new_date_first(
    page, live_server
):
    officer = staff_user("officer", "Privacy Officer", first_name="Olga")
    request = in_progress(officer, country="DE")
    services.request_ask(actor=officer, request=request, question="Which account?")
    services.request_answer(
        request=request, answer="The work one.", actor=Actor.subject(None)
    )
    request.refresh_from_db()
    new_due = timezone.localtime(services.extension_due(request)).date()
    log_in(page, live_server, officer)
    page.goto(f"{live_server.url}{URL}{request.pk}/change/")
    shot(page, "request-page")
    page.click("text=Extend the deadline…")
    preview = page.inner_text(".pr-preview")
    shot(page, "extend-confirm")
    assert new_due.strftime("%-d %B %Y") in preview
    request.refresh_from_db()
    assert request.extended_at is None  # seen, not yet confirmed
    page.fill("textarea[name=reason]", "Your data sits in many systems.")
    page.click("input[name=apply]")
    page.wait_for_selector(".messagelist")
    shot(page, "request-extended")
    assert "1 request extended" in page.inner_text(".messagelist")
    request.refresh_from_db()
    assert timezone.localtime(request.due_at).date() == new_due
    assert "Extend the deadline" not in page.inner_text(".pr-workbench")
