"""The preference centre in Chromium: phone widths, button names, everything off."""

from __future__ import annotations

import pytest

from consent_app.links import _create
from consent_app.models import ConsentEvent, ConsentLink
from consent_app.services import consent_allows, consent_grant, consent_withdraw
from consent_app.tests.factories import PolicyVersionFactory
from privacyportal.audit.services import Actor
from privacyportal.subjects.tests.factories import DataSubjectFactory

SYSTEM = Actor.system("test")
NO_SIDEWAYS_SCROLL = (
    "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
)


@pytest.fixture
def manage_url(live_server, purposes):
    """A person with some history, and their preference-centre link."""
    PolicyVersionFactory(published=True, label="2026.1")
    subject = DataSubjectFactory(email="pat@example.org")
    for code in ("newsletter", "partner-offers", "special-offers"):
        consent_grant(actor=SYSTEM, subject=subject, purpose=code, source="form")
    consent_withdraw(
        actor=SYSTEM, subject=subject, purpose="special-offers", source="form"
    )
    token = _create(kind=ConsentLink.Kind.PREFERENCES, subject=subject, days=7)
    return subject, f"{live_server.url}/privacy/preferences/{token}/"


@pytest.mark.browser
@pytest.mark.parametrize("width", [320, 390, 1280])
def test_preference_centre_fits_the_screen_and_the_history_reads_as_a_list(
    page, manage_url, width
):
    _, url = manage_url
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(url)

    assert page.evaluate(NO_SIDEWAYS_SCROLL), page.evaluate(
        "document.documentElement.scrollWidth"
    )
    assert page.locator("table").count() == 0
    entries = page.locator(".consent-history > li")
    assert entries.count() == 4
    first = entries.first
    assert first.is_visible()
    box = first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    text = first.inner_text()
    assert "Special offers" in text and "Turned off" in text and "2026.1" in text


@pytest.mark.browser
def test_buttons_are_named_by_what_they_do_and_big_enough(page, manage_url):
    _, url = manage_url
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(url)

    assert page.get_by_role("button", name="Turn off Newsletter", exact=True).count()
    assert page.get_by_role("button", name="Turn on Special offers", exact=True).count()
    for button in page.get_by_role("button").all():
        box = button.bounding_box()
        assert box["width"] >= 24 and box["height"] >= 24, button.inner_text()


@pytest.mark.browser
def test_turn_everything_off_in_one_click(page, manage_url):
    subject, url = manage_url
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(url)

    page.get_by_role("button", name="Turn everything off", exact=True).click()

    status = page.get_by_role("status")
    assert "Everything is off" in status.inner_text()
    assert page.get_by_role("button", name="Turn on Newsletter", exact=True).count()
    assert page.get_by_role("button", name="Turn off Newsletter").count() == 0
    for code in ("newsletter", "partner-offers", "product-announcements"):
        assert consent_allows(subject, code) is False
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    withdrawn = ConsentEvent.objects.filter(subject=subject, action="withdrawn")
    assert withdrawn.filter(purpose__code="special-offers").count() == 1  # earlier
