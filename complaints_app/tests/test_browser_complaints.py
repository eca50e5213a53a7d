"""Complaints in Chromium: filed on the public form, then worked in the admin."""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps
from django.core import mail

from complaints_app.models import Complaint
from complaints_app.tests.factories import complaint
from privacyportal import mail as outbox
from requests_app.models import PrivacyRequest, RequestSubmission
from requests_app.tests.factories import reseed_deadline_rules, staff_user
from requests_app.tests.test_browser_console import log_in, shot

pytestmark = pytest.mark.browser
TEXT = "You kept e-mailing me after I unsubscribed in March."


@pytest.fixture(autouse=True)
def _seeded_tables(transactional_db, settings, live_server):
    """What the migrations seed (an earlier live-server test flushed it)."""
    settings.SITE_URL = live_server.url
    reseed_deadline_rules()
    importlib.import_module(
        "complaints_app.migrations.0002_seed_authorities_and_rules"
    ).seed(apps, None)


@pytest.fixture
def tab(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _fill_complaint(tab, live_server, email: str) -> None:
    tab.goto(f"{live_server.url}/privacy/request/")
    tab.check("input[name=type][value=complaint]")
    tab.fill("input[name=name]", "Grace Complainant")
    tab.fill("input[name=email]", email)
    tab.select_option("select[name=country]", "GB")
    tab.select_option("select[name=relationship]", "customer")
    tab.fill("textarea[name=details]", TEXT)
    tab.click("button[type=submit]")


def _link_sent_to(address: str, path: str) -> str:
    outbox.send_pending()
    (message,) = [m for m in mail.outbox if m.to == [address] and path in m.body]
    return re.search(rf"(http\S+{path}\S+/)", message.body).group(1)


def test_public_complaint_is_confirmed_by_e_mail_and_reaches_the_admin(
    tab, live_server
):
    _fill_complaint(tab, live_server, "grace@example.org")
    tab.get_by_role("heading", name="Check your inbox").wait_for()
    assert not Complaint.objects.exists()  # nothing until the owner confirms

    tab.goto(_link_sent_to("grace@example.org", "/privacy/request/verify/"))
    assert "Make a complaint" in tab.inner_text("main")
    tab.get_by_role("button", name="Confirm my request").click()
    heading = tab.locator("#complaint")
    heading.wait_for()
    found = Complaint.objects.get()
    assert found.reference in heading.inner_text()
    # The complaint's own status, not the finished request record's "Done".
    assert "Received" in tab.locator(".request-facts").inner_text()
    shot(tab, "complaint-public-confirmed")
    assert found.text == TEXT and found.email == "grace@example.org"

    officer = staff_user("officer", "Privacy Officer")
    log_in(tab, live_server, officer)
    tab.goto(f"{live_server.url}/admin/complaints_app/complaint/")
    row = tab.locator("#result_list tbody tr", has_text=found.reference)
    assert "Received" in row.inner_text()
    assert "United Kingdom" in row.inner_text()


def test_bad_e_mail_shows_the_error_summary_and_stores_nothing(tab, live_server):
    _fill_complaint(tab, live_server, "grace-at-example.org")
    summary = tab.locator(".error-summary")
    summary.wait_for()
    assert "e-mail" in summary.inner_text().lower()
    assert tab.locator("#id_email").get_attribute("aria-invalid") == "true"
    # What was typed stays, so only the mistake needs fixing.
    assert tab.locator("textarea[name=details]").input_value() == TEXT
    assert not RequestSubmission.objects.exists()
    assert not PrivacyRequest.objects.exists()
    assert not Complaint.objects.exists()
    assert mail.outbox == []


def _step(tab, button: str, **fields: str) -> None:
    """Press a workflow button on the complaint page and confirm its form."""
    tab.locator(".object-tools").get_by_role("link", name=button).click()
    shot(tab, f"complaint-step-{button.rstrip('…').replace(' ', '-')}")
    for label, value in fields.items():
        tab.get_by_label(label).fill(value)
    tab.locator(".submit-row input[type=submit]").click()
    _done(tab)


def _done(tab) -> None:
    message = tab.locator(".messagelist li").first
    message.wait_for()
    assert "error" not in message.get_attribute("class"), message.inner_text()


@pytest.mark.parametrize(
    ("country", "region", "decision", "authority"),
    [
        ("US", "VA", "Resolved (complaint upheld)", "Virginia Attorney General"),
        ("DE", "", "Not upheld", "(BfDI)"),
    ],
)
def test_officer_works_a_complaint_to_its_outcome_e_mail(
    tab, live_server, country, region, decision, authority
):
    officer = staff_user("officer", "Privacy Officer")
    filed = complaint(country=country, region=region, email="c@example.org")
    log_in(tab, live_server, officer)
    tab.goto(f"{live_server.url}/admin/complaints_app/complaint/{filed.pk}/change/")

    _step(tab, "Acknowledge")
    _step(tab, "Add a note…", Note="Checked the mailing log: two sends after opt-out.")
    tab.locator(".object-tools").get_by_role("link", name="Record the outcome…").click()
    shot(tab, "complaint-step-outcome")
    tab.get_by_label(decision).check()
    tab.get_by_label("Outcome").fill("We found the fault and fixed the list.")
    tab.locator(".submit-row input[type=submit]").click()
    _done(tab)
    shot(tab, f"complaint-admin-decided-{country}")

    page_text = tab.inner_text("#content")
    assert "Checked the mailing log" in page_text
    assert authority in page_text
    filed.refresh_from_db()
    expected = "resolved" if decision.startswith("Resolved") else "not_upheld"
    assert filed.status == expected

    outbox.send_pending()
    (outcome,) = [m for m in mail.outbox if "fixed the list" in m.body]
    assert outcome.to == ["c@example.org"]
    assert "TRUSTe" in outcome.body
    assert authority in outcome.body
    assert "Checked the mailing log" not in outcome.body  # notes stay internal
