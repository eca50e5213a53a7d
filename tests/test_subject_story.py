"""A person's whole story on the subject page, and the evidence pack that carries it."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest

from consent_app.services import consent_grant
from consent_app.tests.factories import PolicyVersionFactory, PurposeFactory
from privacyportal.audit.models import AuditEvent
from privacyportal.registry import Outcome
from privacyportal.roles import AUDITOR, SUPPORT
from privacyportal.subjects.models import DataSubject
from privacyportal.subjects.tests.factories import DataSubjectFactory
from requests_app.models import PrivacyRequest, SourceOutcome
from requests_app.tests.factories import staff_user, submit
from retention_app.services.holds import hold_place

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(admin_user):
    subject = DataSubjectFactory(
        email="story@example.org", name="Story Person", ip_addresses=["192.0.2.7"]
    )
    request = submit(email="story@example.org", type=PrivacyRequest.Type.ERASURE)
    PrivacyRequest.objects.filter(pk=request.pk).update(subject=subject)
    SourceOutcome.objects.create(
        request=request,
        source_key="retention.call_records",
        label="Call records",
        status=SourceOutcome.Status.DONE,
        outcome=Outcome.RETAINED,
        reason='=HYPERLINK("http://evil.example")',
        legal_basis="Tax law, 10 years",
    )
    PolicyVersionFactory(published=True, label="2026-policy-v7")
    PurposeFactory(code="newsletter", name="Newsletter", marketing=True)
    consent_grant(actor=None, subject=subject, purpose="newsletter", source="form")
    hold_place(
        actor=admin_user,
        scope="subject",
        reason="Litigation about a meeting",
        subject_id=subject.pk,
    )
    return subject, request


def change_page(client, subject):
    return client.get(f"/admin/subjects/datasubject/{subject.pk}/change/")


def test_subject_page_tells_requests_consent_holds_receipts_and_views(
    admin_client, person
):
    subject, request = person
    change_page(admin_client, subject)  # a first look, recorded
    page = change_page(admin_client, subject).content.decode()
    for expected in (
        request.reference,
        "Delete my information",
        "2026-policy-v7",
        "Newsletter",
        "Litigation about a meeting",
        "Tax law, 10 years",
        "Record viewed by staff",
        "Download evidence pack (ZIP)",
    ):
        assert expected in page, expected
    # JSON fields read as lines, never as raw `[]` / `{}` text.
    assert "192.0.2.7" in page
    assert "&quot;192.0.2.7&quot;" not in page and ">{}<" not in page


def test_evidence_pack_holds_the_story_and_is_audited(admin_client, person):
    subject, request = person
    response = admin_client.get(
        f"/admin/subjects/datasubject/{subject.pk}/evidence-pack/"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    pack = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(pack.namelist())
    assert {"index.html", "story.json", "requests.csv", "consent.csv"} <= names
    assert request.reference in pack.read("index.html").decode()
    consent_rows = list(csv.DictReader(io.StringIO(pack.read("consent.csv").decode())))
    assert consent_rows[0]["Purpose"] == "Newsletter"
    assert consent_rows[0]["Policy version"] == "2026-policy-v7"
    receipts = list(
        csv.DictReader(io.StringIO(pack.read("erasure_outcomes.csv").decode()))
    )
    assert receipts[0]["Outcome"] == "Retained"
    # A planted formula is neutralised for spreadsheets.
    assert receipts[0]["Reason"].startswith("'=")
    story = json.loads(pack.read("story.json"))
    assert story["subject_id"] == subject.pk
    event = AuditEvent.objects.get(action="subjects.subject.evidence_pack")
    assert event.subject_id == subject.pk
    assert event.data["rows"]["requests"] == 1


def test_support_cannot_take_an_evidence_pack_and_auditor_can(client, person):
    subject, _ = person
    url = f"/admin/subjects/datasubject/{subject.pk}/evidence-pack/"
    client.force_login(staff_user("support", SUPPORT))
    assert client.get(url).status_code == 403
    assert not AuditEvent.objects.filter(
        action="subjects.subject.evidence_pack"
    ).exists()
    client.force_login(staff_user("auditor", AUDITOR))
    assert client.get(url).status_code == 200


def test_demographics_line_without_a_name_is_refused_and_nothing_changes(
    admin_client,
):
    subject = DataSubjectFactory(email="d@example.org", demographics={"age": "30"})
    response = admin_client.post(
        f"/admin/subjects/datasubject/{subject.pk}/change/",
        {
            "name": "Changed",
            "email": "d@example.org",
            "ip_addresses": "198.51.100.1\n198.51.100.2",
            "demographics": "just words",
            "devices-TOTAL_FORMS": "0",
            "devices-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "needs the form" in response.content.decode()
    subject.refresh_from_db()
    assert (subject.name, subject.demographics) != ("Changed", {})
    assert subject.demographics == {"age": "30"}


def test_lines_are_saved_as_a_list_and_pairs(admin_client):
    subject = DataSubjectFactory(email="l@example.org")
    admin_client.post(
        f"/admin/subjects/datasubject/{subject.pk}/change/",
        {
            "name": "",
            "email": "l@example.org",
            "ip_addresses": " 198.51.100.1 \n\n198.51.100.2",
            "demographics": "age range: 25-34\nlanguage: de",
            "devices-TOTAL_FORMS": "0",
            "devices-INITIAL_FORMS": "0",
        },
    )
    subject = DataSubject.objects.get(pk=subject.pk)
    assert subject.ip_addresses == ["198.51.100.1", "198.51.100.2"]
    assert subject.demographics == {"age range": "25-34", "language": "de"}


@pytest.mark.browser
def test_officer_reads_the_story_and_downloads_the_pack_in_chromium(
    page, live_server, person, admin_user, tmp_path
):
    subject, request = person
    admin_user.set_password("pw-Browser-Story-1")
    admin_user.save()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", admin_user.get_username())
    page.fill("input[name=password]", "pw-Browser-Story-1")
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/subjects/datasubject/{subject.pk}/change/")
    page.wait_for_selector("text=This person's story")
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 1280
    page.screenshot(path=str(tmp_path / "subject.png"), full_page=True)
    with page.expect_download() as download:
        page.click("text=Download evidence pack (ZIP)")
    pack = zipfile.ZipFile(download.value.path())
    index = pack.read("index.html").decode()
    assert request.reference in index and "Newsletter" in index
    assert "Retained" in index
