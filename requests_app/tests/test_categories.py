"""requests_app's retention categories, run by the retention sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from privacyportal import retention
from privacyportal.audit.services import Actor
from privacyportal.subjects.tests.factories import DataSubjectFactory
from requests_app import services
from requests_app.models import PrivacyRequest, RequestEvent, RequestLink
from requests_app.tests.factories import submit
from requests_app.tests.fulfilment_helpers import verified_for
from retention_app.services.sweep import retention_sweep

pytestmark = pytest.mark.django_db
KEYS = [
    "requests.closed_requests",
    "requests.unverified",
    "requests.export_packages",
    "requests.stale_links",
]


def sweep(only: str, *, days: int = 0):
    at = timezone.now() + timedelta(days=days)
    with time_machine.travel(at):
        return retention_sweep(actor=Actor.system("test"), only=[only])


def closed(officer, email: str) -> PrivacyRequest:
    request = verified_for(DataSubjectFactory(email=email), PrivacyRequest.Type.ACCESS)
    services.request_deny(
        actor=officer, request=request, reason="No such data", legal_basis="n/a"
    )
    request.refresh_from_db()
    return request


def test_all_categories_are_registered():
    assert set(KEYS) <= set(retention.categories.keys())


def test_closed_requests_are_anonymised_after_24_months(officer):
    request = closed(officer, "old@example.org")
    sweep("requests.closed_requests", days=700)
    request.refresh_from_db()
    assert request.email == "old@example.org" and request.anonymised_at is None

    sweep("requests.closed_requests", days=731)
    request.refresh_from_db()
    assert request.anonymised_at and request.email == "" and request.name == ""
    assert request.reference.startswith("PR-") and request.type == "access"
    assert not RequestEvent.objects.filter(request=request).exclude(message="")


def test_a_legal_hold_keeps_a_closed_request(officer):
    from retention_app.services.holds import hold_place

    request = closed(officer, "held@example.org")
    hold_place(
        actor=officer, scope="subject", reason="Case 9", subject_id=request.subject_id
    )
    sweep("requests.closed_requests", days=800)
    request.refresh_from_db()
    assert request.anonymised_at is None and request.email == "held@example.org"


def test_unverified_requests_are_deleted_a_month_after_closing():
    request = submit(email="never@example.org")
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        assert services.request_close_unverified(request=request)
    sweep("requests.unverified", days=40)
    assert PrivacyRequest.objects.filter(pk=request.pk).exists()
    sweep("requests.unverified", days=46)
    assert not PrivacyRequest.objects.filter(pk=request.pk).exists()


def test_stale_links_are_deleted():
    request = submit(email="links@example.org")
    assert RequestLink.objects.filter(request=request).count() == 1
    sweep("requests.stale_links", days=20)
    assert RequestLink.objects.filter(request=request).count() == 1
    sweep("requests.stale_links", days=32)
    assert not RequestLink.objects.filter(request=request).exists()


def test_a_shortening_in_its_grace_period_still_disposes_what_was_due(
    officer, settings
):
    from retention_app.services.policies import policy_change, policy_get

    settings.RETENTION_GRACE_DAYS = 7
    old = closed(officer, "long-ago@example.org")
    recent = closed(officer, "recent@example.org")
    start = timezone.now()
    # Move the clock, not the rows: the first request closed 740 days ago,
    # the second 400 days ago; 730 days (24 months) is the policy.
    PrivacyRequest.objects.filter(pk=old.pk).update(
        closed_at=start - timedelta(days=740)
    )
    PrivacyRequest.objects.filter(pk=recent.pk).update(
        closed_at=start - timedelta(days=400)
    )
    category = retention.categories.get("requests.closed_requests")
    policy = policy_change(
        actor=officer, policy=policy_get(category), days=365, confirmed=True
    )
    assert policy.previous_days == 730 and policy.not_before > start

    sweep("requests.closed_requests")
    old.refresh_from_db()
    recent.refresh_from_db()
    # Due under the 730 days still in force: it goes now, not after the grace.
    assert old.anonymised_at is not None and old.email == ""
    # Due only because of the shortening: kept until the grace period ends.
    assert recent.anonymised_at is None and recent.email == "recent@example.org"

    sweep("requests.closed_requests", days=8)
    recent.refresh_from_db()
    assert recent.anonymised_at is not None
