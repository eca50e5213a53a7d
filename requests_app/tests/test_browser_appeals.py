"""Appeals in Chromium: filed on the status page, decided in the admin."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.core import mail
from django.utils import translation
from django.utils.formats import date_format

from privacyportal import mail as outbox
from privacyportal import roles
from requests_app.models import Appeal, PrivacyRequest
from requests_app.services import appeals
from requests_app.tests.factories import reseed_deadline_rules, staff_user
from requests_app.tests.test_appeals import refused
from requests_app.tests.test_browser_console import log_in, shot

pytestmark = pytest.mark.browser
WHY = "You hold my order history; the exemption you cite is for fraud checks."
APPEALS = "/admin/requests_app/appeal/"
DECIDE_BUTTON = "Record the decision and e-mail the requester"


@pytest.fixture(autouse=True)
def _seeded_rules(transactional_db, settings, live_server):
    """What the migrations seed (an earlier live-server test flushed it)."""
    settings.SITE_URL = live_server.url
    reseed_deadline_rules()
    importlib.import_module("requests_app.migrations.0014_seed_appeal_rules").seed(
        apps, None
    )


@pytest.fixture
def new_tab(chromium):
    """Open a tab in its own context (its own cookies: one person each)."""
    contexts = []

    def open_tab():
        context = chromium.new_context(viewport={"width": 1280, "height": 800})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_tab
    for context in contexts:
        context.close()


def _day(request: PrivacyRequest, day) -> str:
    with translation.override(request.language):
        return date_format(day, "DATE_FORMAT")


def _status_page(tab, live_server, token: str) -> None:
    tab.goto(f"{live_server.url}/privacy/request/status/{token}/")
    tab.get_by_role("heading", name="Appeal this decision").wait_for()


def _decide(tab, live_server, officer, decision: str, reasons: str, *, appeal=None):
    """Decide from the list's action, or from the appeal's own page if given.

    Returns the last message shown.
    """
    log_in(tab, live_server, officer)
    if appeal is None:
        tab.goto(f"{live_server.url}{APPEALS}")
        tab.locator("#result_list input.action-select").first.check()
        tab.select_option("select[name=action]", "decide")
        tab.locator("button[name=index]").click()
    else:
        tab.goto(f"{live_server.url}{APPEALS}{appeal.pk}/change/")
        tab.get_by_role("link", name="Decide this appeal…").click()
    tab.get_by_label(decision).check()
    tab.get_by_label("Reasons").fill(reasons)
    shot(tab, "appeal-decide-form")
    tab.get_by_role("button", name=DECIDE_BUTTON).click()
    message = tab.locator(".messagelist li").last
    message.wait_for()
    return message.inner_text()


def test_appeal_is_filed_on_the_status_page_and_denied_by_another_officer(
    new_tab, live_server
):
    refuser = staff_user("refuser", roles.PRIVACY_OFFICER)
    request, token = refused(refuser, region="VA", email="va@example.org")
    until = appeals.offer(request).until

    requester = new_tab()
    _status_page(requester, live_server, token)
    box = requester.locator("#appeal")
    assert f"You can appeal until {_day(request, until)}" in box.inner_text()
    box.get_by_label("Why you disagree with our decision").fill(WHY)
    box.get_by_role("button", name="Appeal this decision").click()
    requester.get_by_text("You appealed this decision on").wait_for()
    appeal = Appeal.objects.get()
    assert appeal.text == WHY and appeal.status == Appeal.Status.OPEN

    # The officer who refused is told why they cannot decide; nothing changes.
    refused_by = _decide(new_tab(), live_server, refuser, "Deny", "Still exempt.")
    assert "you made the decision being appealed" in refused_by
    assert "another Privacy Officer must decide" in refused_by
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.OPEN

    second = staff_user("second", roles.PRIVACY_OFFICER)
    staff = new_tab()
    done = _decide(
        staff, live_server, second, "Deny", "The exemption applies.", appeal=appeal
    )
    assert "1 appeal denied" in done
    shot(staff, "appeal-list-after-decision")
    appeal.refresh_from_db()
    assert (appeal.status, appeal.decided_by) == (Appeal.Status.DENIED, second)

    outbox.send_pending()
    (decision,) = [m for m in mail.outbox if "The exemption applies." in m.body]
    assert decision.to == ["va@example.org"]
    assert appeal.rule.complaint_url in decision.body
    assert "oag.state.va.us" in appeal.rule.complaint_url

    requester.reload()
    assert "attorney general" in requester.locator("#appeal").inner_text()
    link = requester.locator("#appeal a", has_text=appeal.rule.complaint_url)
    assert link.get_attribute("href") == appeal.rule.complaint_url


def test_late_appeal_is_refused_with_the_last_day_and_nothing_is_stored(
    new_tab, live_server
):
    officer = staff_user("officer", roles.PRIVACY_OFFICER)
    request, token = refused(officer, region="CO", email="co@example.org")
    tab = new_tab()
    _status_page(tab, live_server, token)
    tab.get_by_label("Why you disagree with our decision").fill(WHY)

    # The page stayed open past the last day (the decision is now 46 days old).
    PrivacyRequest.objects.filter(pk=request.pk).update(
        closed_at=request.closed_at - timedelta(days=46)
    )
    request.refresh_from_db()
    last_day = _day(request, appeals.offer(request).until)
    tab.get_by_role("button", name="Appeal this decision").click()
    alert = tab.get_by_role("alert")
    alert.wait_for()
    assert f"The time to appeal this decision ended on {last_day}" in alert.inner_text()
    assert not Appeal.objects.exists()

    tab.reload()
    box = tab.locator("#appeal").inner_text()
    assert f"The time to appeal this decision ended on {last_day}" in box
    assert tab.get_by_label("Why you disagree with our decision").count() == 0
