from __future__ import annotations

import os
from pathlib import Path

import pytest

from consent_app.links import _create
from consent_app.models import ConsentEvent, ConsentLink, Source
from consent_app.services import consent_allows, consent_grant
from privacyportal.audit.services import Actor
from privacyportal.subjects.tests.factories import DataSubjectFactory

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def page():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop; Django must still allow the ORM.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser.new_page()
        browser.close()


@pytest.mark.browser
def test_person_withdraws_a_consent_in_the_preference_centre(
    live_server, purposes, page
):
    subject = DataSubjectFactory(email="pat@example.org")
    consent_grant(
        actor=Actor.system("test"), subject=subject, purpose="newsletter", source="form"
    )
    token = _create(kind=ConsentLink.Kind.PREFERENCES, subject=subject, days=7)

    page.goto(f"{live_server.url}/privacy/preferences/{token}/")
    item = page.locator("#purpose-newsletter")
    assert "On" in item.locator(".consent-current").inner_text()
    item.get_by_role("button", name="Turn off").click()
    page.wait_for_selector(".consent-saved")

    assert "Off" in page.locator("#purpose-newsletter .consent-current").inner_text()
    assert consent_allows(subject, "newsletter") is False
    event = ConsentEvent.objects.filter(subject=subject).first()
    assert event.source == Source.PREFERENCE_CENTRE and event.action == "withdrawn"
    assert "Preference centre" in page.locator(".consent-history").inner_text()
