from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from incidents_app.models import Incident
from incidents_app.tests.factories import IncidentFactory
from privacyportal import roles
from privacyportal.audit.models import AuditEvent
from requests_app.tests.factories import staff_user

BASE = "/admin/incidents_app/incident/"


def client_for(role: str) -> Client:
    client = Client()
    client.force_login(staff_user(role.lower().replace(" ", "-"), role))
    return client


def incident_post(**extra) -> dict:
    aware = timezone.localtime() - timedelta(hours=3)
    return {
        "title": "Laptop stolen",
        "description": "An unencrypted laptop with an export of support tickets.",
        "became_aware_at_0": f"{aware:%Y-%m-%d}",
        "became_aware_at_1": f"{aware:%H:%M:%S}",
        "data_categories": ["contact details"],
        "jurisdictions": ["EU", "US-CO"],
        "approx_subjects": "300",
        **extra,
    }


def test_officer_records_an_incident_with_reference_and_audit(db):
    response = client_for(roles.PRIVACY_OFFICER).post(f"{BASE}add/", incident_post())
    assert response.status_code == 302, response.content
    incident = Incident.objects.get()
    assert incident.reference.startswith("INC-")
    assert incident.jurisdictions == ["EU", "US-CO"]
    assert AuditEvent.objects.filter(action="incidents.incident.recorded").exists()


def test_awareness_in_the_future_is_refused(db):
    later = timezone.localtime() + timedelta(days=1)
    response = client_for(roles.PRIVACY_OFFICER).post(
        f"{BASE}add/",
        incident_post(
            became_aware_at_0=f"{later:%Y-%m-%d}", became_aware_at_1="10:00:00"
        ),
    )
    assert b"cannot be in the future" in response.content
    assert not Incident.objects.exists()


def test_support_cannot_see_the_register(db):
    IncidentFactory()
    client = client_for(roles.SUPPORT)
    assert client.get(BASE).status_code == 403
    assert client.get(f"{BASE}register.csv").status_code == 403


@pytest.mark.parametrize("role", [roles.PRIVACY_ANALYST, roles.AUDITOR])
def test_analysts_and_auditors_view_but_cannot_decide(db, role):
    incident = IncidentFactory()
    client = client_for(role)
    page = client.get(f"{BASE}{incident.pk}/change/")
    assert page.status_code == 200
    assert b"Record decision" not in page.content
    assert b"contact details" in page.content  # categories in words, not JSON
    assert client.get(f"{BASE}{incident.pk}/decide/").status_code == 403
    assert client.post(f"{BASE}add/", incident_post()).status_code == 403


def test_list_shows_time_left_and_flags_overdue(db):
    IncidentFactory(title="Fresh", became_aware_at=timezone.now() - timedelta(hours=2))
    IncidentFactory(title="Old", became_aware_at=timezone.now() - timedelta(hours=80))
    page = client_for(roles.PRIVACY_OFFICER).get(BASE).content.decode()
    assert "69 hours left" in page or "70 hours left" in page
    assert "OVERDUE" in page and "overdue by 8 hours" in page


def test_decision_page_records_the_decision(db):
    incident = IncidentFactory()
    client = client_for(roles.PRIVACY_OFFICER)
    assert b"Record decision" in client.get(f"{BASE}{incident.pk}/change/").content
    response = client.post(
        f"{BASE}{incident.pk}/decide/",
        {"risk": "risk", "notify_authority": "yes", "reasons": "Passwords hashed."},
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == Incident.Status.ASSESSED
    assert incident.decided_by.username == "privacy-officer"


def test_late_notification_page_without_reason_shows_why_and_changes_nothing(db):
    incident = IncidentFactory(became_aware_at=timezone.now() - timedelta(hours=80))
    now = timezone.localtime()
    response = client_for(roles.PRIVACY_OFFICER).post(
        f"{BASE}{incident.pk}/notified/",
        {"notified_at": f"{now:%Y-%m-%d %H:%M}"},
        follow=True,
    )
    assert b"a late notification needs its reason" in response.content
    incident.refresh_from_db()
    assert incident.status == Incident.Status.OPEN


def test_register_csv_has_a_row_per_incident_and_is_audited(db):
    IncidentFactory(title="=HYPERLINK(1)")
    IncidentFactory(title="Second")
    response = client_for(roles.AUDITOR).get(f"{BASE}register.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:2] == ["Reference", "Title"]
    assert {r[1] for r in rows[1:]} == {"'=HYPERLINK(1)", "Second"}
    assert AuditEvent.objects.filter(action="incidents.register.downloaded").exists()


def test_draft_notification_names_the_reference_and_dpo(db, settings):
    settings.PRIVACY_CONTACT_EMAIL = "dpo@example.com"
    incident = IncidentFactory(consequences="Phishing e-mails likely.")
    page = client_for(roles.PRIVACY_ANALYST).get(f"{BASE}{incident.pk}/draft/")
    text = page.content.decode()
    assert incident.reference in text
    assert "dpo@example.com" in text and "Phishing e-mails likely." in text
    assert "contact details" in text and "120" in text


def test_incidents_cannot_be_deleted(db):
    incident = IncidentFactory()
    client = client_for(roles.PRIVACY_OFFICER)
    assert client.get(f"{BASE}{incident.pk}/delete/").status_code == 403


def test_officer_edits_a_state_period_audited_and_analyst_cannot(db):
    from incidents_app.models import StateNoticeRule

    rule = StateNoticeRule.objects.get(state="CO")
    url = f"/admin/incidents_app/statenoticerule/{rule.pk}/change/"
    post = {
        "state": "CO",
        "days": "45",
        "notes": "Checked.",
        "verified_by_counsel": "on",
    }
    assert client_for(roles.PRIVACY_ANALYST).post(url, post).status_code == 403
    response = client_for(roles.PRIVACY_OFFICER).post(url, post)
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.days == 45 and rule.verified_by_counsel
    assert AuditEvent.objects.filter(action="incidents.state_rule.updated").exists()
