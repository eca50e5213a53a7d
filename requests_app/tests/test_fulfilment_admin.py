"""Staff fulfil requests in the admin: actions, outcome table, receipt."""

from __future__ import annotations

import json

import pytest

from privacyportal.audit.models import AuditEvent
from privacyportal.subjects.tests.factories import DataSubjectFactory
from requests_app.fulfilment import erasure
from requests_app.models import ExportPackage, PrivacyRequest, SourceOutcome
from requests_app.tests.fulfilment_helpers import FakeSource, run_erasure, verified_for

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/requests_app/privacyrequest/"


@pytest.fixture
def subject():
    return DataSubjectFactory(email="admin.case@example.org")


def act(client, action: str, request: PrivacyRequest, **extra):
    return client.post(
        CHANGELIST, {"action": action, "_selected_action": [request.pk], **extra}
    )


def test_approve_export_action_confirms_then_queues_a_build(subject, officer, client):
    request = verified_for(subject, PrivacyRequest.Type.ACCESS)
    client.force_login(officer)
    page = act(client, "approve_export", request)
    assert b"Approve the export" in page.content
    assert not ExportPackage.objects.filter(request=request).exists()
    act(client, "approve_export", request, apply="Confirm")
    package = ExportPackage.objects.get(request=request)
    assert package.approved_by == officer
    assert package.status == ExportPackage.Status.PENDING


def test_approve_erasure_confirms_first_then_schedules(subject, officer, client):
    request = verified_for(subject, PrivacyRequest.Type.ERASURE)
    client.force_login(officer)
    page = act(client, "approve_erasure", request)
    assert b"Approve erasure" in page.content
    request.refresh_from_db()
    assert request.erasure_approved_at is None
    act(client, "approve_erasure", request, apply="Confirm", confirm="on")
    request.refresh_from_db()
    assert request.erasure_approved_by == officer and request.erasure_run_after
    act(client, "cancel_erasure", request)
    request.refresh_from_db()
    assert request.erasure_approved_at is None


def test_request_page_shows_outcomes_and_the_receipt_is_evidence(
    subject, officer, auditor, client, settings
):
    settings.ERASURE_DELAY_HOURS = 0
    request = verified_for(subject, PrivacyRequest.Type.ERASURE)
    erasure.erasure_approve(actor=officer, request=request)
    run_erasure(request)
    client.force_login(officer)
    page = client.get(f"{CHANGELIST}{request.pk}/change/")
    assert b"outcome per source" in page.content.lower()
    assert b"Your privacy requests" in page.content and b"Anonymised" in page.content
    assert b"Download the receipt" in page.content

    client.force_login(auditor)
    response = client.get(f"{CHANGELIST}{request.pk}/receipt/")
    assert response["Content-Disposition"].endswith('-receipt.json"')
    receipt = json.loads(response.content)
    by_source = {s["source"]: s for s in receipt["sources"]}
    assert by_source["subjects.profile"]["outcome"] == "anonymised"
    kept = by_source["requests.privacy_requests"]
    assert kept["outcome"] == "retained" and kept["legal_basis"]
    assert "admin.case@example.org" not in response.content.decode()
    assert AuditEvent.objects.filter(
        action="requests.request.receipt_downloaded"
    ).exists()


def test_retry_failed_sources_action(subject, officer, client, settings):
    from privacyportal.registry import ErasureResult, Outcome, registry

    settings.ERASURE_DELAY_HOURS = 0
    broken = FakeSource("test.flaky", ConnectionError("timeout"))
    registry.register(broken)
    try:
        request = verified_for(subject, PrivacyRequest.Type.ERASURE)
        erasure.erasure_approve(actor=officer, request=request)
        run_erasure(request)
        step = SourceOutcome.objects.get(request=request, source_key="test.flaky")
        assert step.needs_attention
        client.force_login(officer)
        listing = client.get(f"{CHANGELIST}?needs_attention__exact=1")
        assert request.reference.encode() in listing.content
        page = client.get(f"{CHANGELIST}{request.pk}/change/").content.decode()
        row = page.split("Test source test.flaky")[1].split("</tr>")[0]
        assert (
            "Failed (needs attention)" in row
            and "After 4 attempts: ConnectionError: timeout" in row
        )
        assert ">Retry failed sources</button>" in page
        timeline = page.split('class="pr-timeline"')[1]
        assert "Test source test.flaky: failed 4 times" in timeline
        assert "test.flaky failed" not in timeline
        broken.result = ErasureResult(Outcome.DELETED, 1, "row")
        act(client, "retry_failed", request)
        step.refresh_from_db()
        assert step.status == SourceOutcome.Status.PENDING and step.attempts == 0
        assert run_erasure(request)
    finally:
        registry.unregister("test.flaky")
    request.refresh_from_db()
    assert request.status == PrivacyRequest.Status.COMPLETED


def test_apply_restriction_action(subject, officer, client):
    request = verified_for(subject, PrivacyRequest.Type.OBJECTION)
    client.force_login(officer)
    act(
        client,
        "apply_restriction",
        request,
        apply="Confirm",
        marketing="on",
        reason="asked",
    )
    subject.refresh_from_db()
    assert subject.objects_to_marketing and not subject.objects_to_profiling


def test_support_staff_cannot_read_receipts_of_others(subject, support, client):
    request = verified_for(subject, PrivacyRequest.Type.ERASURE)
    client.force_login(support)
    assert client.get(f"{CHANGELIST}{request.pk}/receipt/").status_code in {403, 404}
