"""The complaint pages in the admin: readable, and every step through a service."""

from __future__ import annotations

import pytest

from complaints_app.models import Complaint, SupervisoryAuthority
from complaints_app.tests.factories import complaint
from privacyportal import roles
from privacyportal.audit.models import AuditEvent
from requests_app.tests.factories import staff_user

pytestmark = pytest.mark.django_db
LIST = "/admin/complaints_app/complaint/"


@pytest.fixture
def officer_client(client):
    officer = staff_user("olivia", roles.PRIVACY_OFFICER, first_name="Olivia")
    client.force_login(officer)
    return client


def _page(obj: Complaint) -> str:
    return f"{LIST}{obj.pk}/change/"


def _step(obj: Complaint, step: str) -> str:
    return f"{LIST}{obj.pk}/step/{step}/"


def test_list_shows_complaints_in_plain_words(officer_client):
    complaint(country="US", region="CA")
    html = officer_client.get(LIST).content.decode()
    assert "CP-20" in html and "California" in html
    assert "acknowledge by" in html and "nobody yet" in html
    assert "US-CA" not in html and "received</td>" in html.lower()


def test_page_offers_only_the_steps_the_status_allows(officer_client):
    filed = complaint()
    html = officer_client.get(_page(filed)).content.decode()
    assert "/step/acknowledge/" in html and "/step/note/" in html
    assert "/step/decide/" not in html and "/step/escalate/" not in html
    assert "TRUSTe" in html and "BfDI" in html  # where they can go next


def test_acknowledge_then_decide_through_the_page(officer_client):
    filed = complaint()
    officer_client.post(_step(filed, "acknowledge"))
    response = officer_client.post(
        _step(filed, "decide"), {"upheld": "yes", "outcome": "We stopped it."}
    )
    assert response.status_code == 302
    filed.refresh_from_db()
    assert (
        filed.status == Complaint.Status.RESOLVED and filed.outcome == "We stopped it."
    )


def test_a_step_the_status_forbids_is_refused_with_the_reason(officer_client):
    filed = complaint()
    response = officer_client.post(
        _step(filed, "decide"), {"upheld": "yes", "outcome": "Too early."}, follow=True
    )
    assert "is not possible now" in response.content.decode()
    filed.refresh_from_db()
    assert filed.status == Complaint.Status.RECEIVED


def test_outcome_form_requires_the_text(officer_client):
    filed = complaint()
    officer_client.post(_step(filed, "acknowledge"))
    response = officer_client.post(_step(filed, "decide"), {"upheld": "no"})
    assert response.status_code == 200 and b"This field is required" in response.content
    filed.refresh_from_db()
    assert filed.status == Complaint.Status.ACKNOWLEDGED


def test_notes_show_on_the_page_with_their_author(officer_client):
    filed = complaint()
    officer_client.post(_step(filed, "note"), {"text": "Called the mail team."})
    html = officer_client.get(_page(filed)).content.decode()
    assert "Called the mail team." in html and "Olivia" in html


def test_auditor_sees_no_buttons_and_cannot_run_a_step(client):
    client.force_login(staff_user("audrey", roles.AUDITOR))
    filed = complaint()
    html = client.get(_page(filed)).content.decode()
    assert filed.reference in html and "/step/" not in html
    client.post(_step(filed, "acknowledge"))
    filed.refresh_from_db()
    assert filed.status == Complaint.Status.RECEIVED


def test_editing_an_authority_is_audited(officer_client):
    authority = SupervisoryAuthority.objects.get(code="GB")
    response = officer_client.post(
        f"/admin/complaints_app/supervisoryauthority/{authority.pk}/change/",
        {
            "code": "GB",
            "name": authority.name,
            "complaint_url": "https://ico.org.uk/make-a-complaint/data-protection/",
            "order": authority.order,
        },
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="complaints.authority.changed").exists()


def test_analyst_cannot_edit_authorities_or_rules():
    from django.contrib.auth.models import Permission

    for codename in ("change_supervisoryauthority", "change_complaintrule"):
        perm = Permission.objects.get(codename=codename)
        assert not roles.allowed(roles.PRIVACY_ANALYST, perm)
        assert roles.allowed(roles.PRIVACY_OFFICER, perm)


def test_complaint_rule_jurisdictions_are_chosen_and_listed_by_name(officer_client):
    from complaints_app.models import ComplaintRule

    url = "/admin/complaints_app/complaintrule/"
    post = {
        "code": "test-law",
        "name": "A test law",
        "jurisdictions": ["US-CA", "UK"],
        "effective_from": "2026-01-01",
        "ack_days": "10",
    }
    form = officer_client.get(f"{url}add/").content.decode()
    assert '<option value="US-CA">US: California</option>' in form
    assert officer_client.post(f"{url}add/", post).status_code == 302
    rule = ComplaintRule.objects.get(code="test-law")
    assert rule.jurisdictions == ["UK", "US-CA"]
    listing = officer_client.get(url).content.decode()
    assert "United Kingdom, California (US)" in listing
    assert '["UK"' not in listing
    empty = {**post, "code": "x", "jurisdictions": []}
    refused = officer_client.post(f"{url}add/", empty)
    assert "This field is required." in refused.content.decode()
