"""Restriction and objection flags, the under-13 erasure, and GPC on our pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from consent_app.models import ConsentEvent
from consent_app.services import consent_allows, consent_grant
from privacyportal.audit.services import Actor
from privacyportal.models import OutboundEmail
from privacyportal.subjects.models import DataSubject
from privacyportal.subjects.services import subject_mark_under_13
from privacyportal.subjects.tests.factories import DataSubjectFactory
from requests_app.fulfilment import erasure, restriction
from requests_app.models import PrivacyRequest
from requests_app.services import RequestError
from requests_app.tests.factories import token_from
from requests_app.tests.fulfilment_helpers import run_steps, verified_for

pytestmark = pytest.mark.django_db
S = PrivacyRequest.Status


@pytest.fixture
def subject():
    return DataSubjectFactory(email="limit.me@example.org")


def test_restriction_sets_the_flag_that_consent_honours(subject, officer):
    consent_grant(actor=None, subject=subject, purpose="newsletter", source="form")
    assert consent_allows(subject, "newsletter")
    request = verified_for(subject, PrivacyRequest.Type.RESTRICTION)
    assert restriction.restriction_apply(actor=officer, request=request) == [
        "processing restricted"
    ]
    fresh = DataSubject.objects.get(pk=subject.pk)
    assert fresh.processing_restricted and fresh.restricted_at
    assert not consent_allows(fresh, "newsletter")
    request.refresh_from_db()
    assert request.status == S.COMPLETED


def test_objection_records_marketing_and_profiling(subject, officer):
    request = verified_for(subject, PrivacyRequest.Type.OBJECTION)
    with pytest.raises(RequestError, match="marketing, profiling or both"):
        restriction.restriction_apply(actor=officer, request=request)
    done = restriction.restriction_apply(
        actor=officer, request=request, marketing=True, profiling=True
    )
    assert done == ["marketing", "profiling"]
    fresh = DataSubject.objects.get(pk=subject.pk)
    assert fresh.objects_to_marketing and fresh.objects_to_profiling


def test_marking_a_child_creates_an_erasure_that_needs_no_verification(
    officer, settings
):
    settings.ERASURE_DELAY_HOURS = 24
    child = DataSubjectFactory(email="kid@example.org")
    subject_mark_under_13(actor=officer, subject=child)

    request = PrivacyRequest.objects.get(subject=child)
    assert request.type == PrivacyRequest.Type.ERASURE
    assert request.details == restriction.CHILD_REASON
    assert request.channel == PrivacyRequest.Channel.SYSTEM
    assert request.status == S.IN_PROGRESS and request.verified_at
    assert request.erasure_run_after is not None
    assert not OutboundEmail.objects.filter(template="request_verify").exists()

    with time_machine.travel(request.erasure_run_after + timedelta(minutes=1)):
        erasure.erasure_dispatch()
        run_steps(request)
        assert erasure.erasure_finish(request_id=request.pk)
    assert DataSubject.objects.get(pk=child.pk).anonymised_at is not None


def test_the_status_page_honours_global_privacy_control(subject, client):
    request = verified_for(subject, PrivacyRequest.Type.ACCESS)
    token = token_from(request, "request_confirmation")
    client.get(f"/privacy/request/status/{token}/", HTTP_SEC_GPC="1")
    assert ConsentEvent.objects.filter(subject_id=subject.pk, source="gpc").exists()


def test_confirming_a_request_honours_global_privacy_control(subject, client):
    from requests_app.tests.factories import submit

    request = submit(type=PrivacyRequest.Type.ACCESS, email=subject.email)
    token = token_from(request)
    client.post(f"/privacy/request/verify/{token}/", HTTP_SEC_GPC="1")
    assert ConsentEvent.objects.filter(subject_id=subject.pk, source="gpc").exists()


def test_restriction_refused_for_other_request_types(subject):
    request = verified_for(subject, PrivacyRequest.Type.ACCESS)
    with pytest.raises(RequestError, match="not a restriction"):
        restriction.restriction_apply(
            actor=Actor.system("test"), request=request, marketing=True
        )
