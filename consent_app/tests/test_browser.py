from __future__ import annotations

import pytest

from consent_app.links import _create
from consent_app.models import ConsentEvent, ConsentLink, Source
from consent_app.services import consent_allows, consent_grant
from privacyportal.audit.services import Actor
from privacyportal.subjects.tests.factories import DataSubjectFactory


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
