"""Erasure across every registered source: outcomes, retries, crash, cancel."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from privacyportal import mail as outbox
from privacyportal import retention
from privacyportal.audit.models import AuditEvent
from privacyportal.audit.services import Actor, verify_chain
from privacyportal.models import OutboundEmail
from privacyportal.registry import ErasureResult, Outcome, registry
from privacyportal.subjects.models import DataSubject, Device
from privacyportal.subjects.services import subject_update
from privacyportal.subjects.tests.factories import DataSubjectFactory, DeviceFactory
from requests_app import services
from requests_app.fulfilment import erasure
from requests_app.models import PrivacyRequest, SourceOutcome
from requests_app.services import RequestError
from requests_app.tests.fulfilment_helpers import (
    FakeSource,
    run_erasure,
    run_steps,
    verified_for,
)

pytestmark = pytest.mark.django_db
S = PrivacyRequest.Status


class Crash(BaseException):
    """What a killed worker looks like from inside: nothing after it runs."""


@pytest.fixture
def no_delay(settings):
    settings.ERASURE_DELAY_HOURS = 0


@pytest.fixture
def extra_sources():
    added = []

    def add(source):
        registry.register(source)
        added.append(source.key)
        return source

    yield add
    for key in added:
        registry.unregister(key)


@pytest.fixture
def subject():
    person = DataSubjectFactory(email="erase.me@example.org", phone="+44 20 1")
    DeviceFactory(subject=person, serial_number="SN-ERASE")
    return person


def approved(subject, officer) -> PrivacyRequest:
    request = verified_for(subject, PrivacyRequest.Type.ERASURE)
    return erasure.erasure_approve(actor=officer, request=request)


def outcome(request, key) -> SourceOutcome:
    return SourceOutcome.objects.get(request=request, source_key=key)


def test_every_source_gets_an_outcome_and_the_requester_is_told(
    subject, officer, no_delay
):
    request = approved(subject, officer)
    assert run_erasure(request) is True

    request.refresh_from_db()
    assert request.status == S.COMPLETED
    keys = set(request.outcomes.values_list("source_key", flat=True))
    assert keys == {*registry.keys(), erasure.AUDIT_KEY}
    assert outcome(request, "subjects.profile").outcome == Outcome.ANONYMISED
    kept = outcome(request, "requests.privacy_requests")
    assert kept.outcome == Outcome.RETAINED and "24 months" in kept.reason
    assert outcome(request, "retention.call_records").outcome == Outcome.NOTHING
    person = DataSubject.objects.get(pk=subject.pk)
    assert person.email is None and person.anonymised_at is not None
    assert not Device.objects.filter(subject=subject).exists()

    outbox.send_pending()
    (done,) = [m for m in mail.outbox if "was deleted" in m.subject]
    assert done.to == ["erase.me@example.org"]
    assert "Profile and devices: Anonymised" in done.body
    assert "Your privacy requests" in done.body and "Legal basis" in done.body


def test_audit_entries_about_the_subject_are_redacted_and_the_chain_verifies(
    subject, officer, no_delay
):
    subject_update(actor=officer, subject=subject, changes={"phone": "+44 20 2"})
    request = approved(subject, officer)
    assert AuditEvent.objects.filter(subject_id=subject.pk).exclude(personal={})
    run_erasure(request)

    personal = AuditEvent.objects.filter(subject_id=subject.pk).exclude(personal={})
    assert not personal.exists()
    assert AuditEvent.objects.filter(subject_id=subject.pk, redacted=True).exists()
    assert outcome(request, erasure.AUDIT_KEY).items > 0
    *_, (checked, problem) = verify_chain()
    assert problem is None and checked > 0


def test_source_that_retains_with_reason_makes_the_request_partial(
    subject, officer, no_delay, extra_sources
):
    extra_sources(
        FakeSource(
            "test.billing",
            ErasureResult(
                Outcome.RETAINED,
                3,
                "invoices",
                reason="invoices must be kept 10 years",
                legal_basis="legal obligation (tax law)",
            ),
        )
    )
    request = approved(subject, officer)
    run_erasure(request)

    request.refresh_from_db()
    assert request.status == S.PARTIALLY_COMPLETED
    assert "invoices must be kept 10 years" in request.outcome_summary
    outbox.send_pending()
    (done,) = [m for m in mail.outbox if "was partly deleted" in m.subject]
    assert "legal obligation (tax law)" in done.body


def test_an_active_legal_hold_keeps_everything(subject, officer, no_delay, monkeypatch):
    holds = retention.Holds(subjects={subject.pk: "Hold: case 7"})
    monkeypatch.setattr(retention, "_hold_provider", lambda: holds)
    request = approved(subject, officer)
    run_erasure(request)

    request.refresh_from_db()
    assert request.status == S.PARTIALLY_COMPLETED
    profile = outcome(request, "subjects.profile")
    assert profile.outcome == Outcome.RETAINED and "case 7" in profile.reason
    assert DataSubject.objects.get(pk=subject.pk).email == "erase.me@example.org"
    assert Device.objects.filter(subject=subject).exists()


def test_a_failing_source_is_retried_then_needs_attention_and_never_completes(
    subject, officer, no_delay, extra_sources
):
    broken = extra_sources(FakeSource("test.crm", ConnectionError("crm is down")))
    request = approved(subject, officer)
    erasure.erasure_start(request_id=request.pk)
    step = outcome(request, "test.crm")

    first = erasure.erasure_step_run(outcome_id=step.pk)
    assert first.state == "retry" and first.retry_in == erasure.BACKOFF[0]
    run_steps(request)
    step.refresh_from_db()
    assert step.status == SourceOutcome.Status.FAILED and step.needs_attention
    assert step.attempts == erasure.MAX_ATTEMPTS == broken.calls
    assert "crm is down" in step.last_error
    assert erasure.erasure_finish(request_id=request.pk) is False
    request.refresh_from_db()
    assert request.status == S.IN_PROGRESS and request.needs_attention
    # The Privacy Officers hear of it once, with the cause.
    (alert,) = OutboundEmail.objects.filter(template="staff_attention")
    assert alert.to == officer.email and "crm is down" in alert.context["problem"]
    assert erasure.erasure_step_run(outcome_id=step.pk).state == "skipped"
    assert OutboundEmail.objects.filter(template="staff_attention").count() == 1
    with pytest.raises(RequestError, match="no erasure outcome"):
        services.request_complete(actor=officer, request=request)

    broken.result = ErasureResult(Outcome.DELETED, 2, "two rows")
    assert erasure.erasure_retry_failed(actor=officer, request=request) == 1
    run_steps(request)
    assert erasure.erasure_finish(request_id=request.pk) is True
    request.refresh_from_db()
    assert request.status == S.COMPLETED and not request.needs_attention
    assert outcome(request, "test.crm").outcome == Outcome.DELETED


def test_worker_killed_mid_erasure_resumes_without_erasing_twice(
    subject, officer, no_delay, extra_sources
):
    """A kill mid-step rolls back the source's change with the claim."""
    device = Device.objects.get(subject=subject)
    crashed = {"done": False}

    def delete_then_die(person):
        Device.objects.filter(pk=device.pk).delete()
        if not crashed["done"]:
            crashed["done"] = True
            raise Crash
        return ErasureResult(Outcome.DELETED, 1, "device")

    first = extra_sources(FakeSource("test.a"))
    dying = extra_sources(FakeSource("test.b", delete_then_die))
    last = extra_sources(FakeSource("test.c"))
    request = approved(subject, officer)
    erasure.erasure_start(request_id=request.pk)
    erasure.erasure_step_run(outcome_id=outcome(request, "test.a").pk)
    with pytest.raises(Crash):
        erasure.erasure_step_run(outcome_id=outcome(request, "test.b").pk)

    # Rolled back: the device is still there and the step is still pending.
    assert Device.objects.filter(pk=device.pk).exists()
    assert outcome(request, "test.b").status == SourceOutcome.Status.PENDING
    assert outcome(request, "test.b").attempts == 0

    # The dispatch job (or the redelivered task) resumes.
    erasure.erasure_dispatch()
    run_steps(request)
    assert erasure.erasure_finish(request_id=request.pk) is True
    assert first.calls == 1 and last.calls == 1 and dying.calls == 2
    assert not Device.objects.filter(pk=device.pk).exists()
    assert outcome(request, "test.b").attempts == 1
    assert PrivacyRequest.objects.get(pk=request.pk).status == S.COMPLETED


def test_a_step_delivered_twice_runs_once(subject, officer, no_delay, extra_sources):
    source = extra_sources(FakeSource("test.once"))
    request = approved(subject, officer)
    erasure.erasure_start(request_id=request.pk)
    step = outcome(request, "test.once")
    assert erasure.erasure_step_run(outcome_id=step.pk).state == "done"
    assert erasure.erasure_step_run(outcome_id=step.pk).state == "skipped"
    assert source.calls == 1


def test_a_source_registered_while_the_erasure_runs_is_not_skipped(
    subject, officer, no_delay, extra_sources
):
    request = approved(subject, officer)
    erasure.erasure_start(request_id=request.pk)
    run_steps(request)
    late = extra_sources(FakeSource("test.late"))
    assert erasure.erasure_finish(request_id=request.pk) is False
    run_steps(request)
    assert erasure.erasure_finish(request_id=request.pk) is True
    assert late.calls == 1


def test_erasure_waits_for_the_cancel_window(subject, officer, settings):
    settings.ERASURE_DELAY_HOURS = 24
    request = approved(subject, officer)
    assert erasure.erasure_start(request_id=request.pk) == []
    outbox.send_pending()
    (scheduled,) = [m for m in mail.outbox if "will be deleted" in m.subject]
    assert "/privacy/request/status/" in scheduled.body

    with time_machine.travel(request.erasure_run_after + timedelta(minutes=1)):
        assert erasure.erasure_dispatch()["started"] == 1
    assert request.outcomes.count() == len(registry)


def test_requester_cancels_from_the_status_page(subject, officer, settings, client):
    settings.ERASURE_DELAY_HOURS = 24
    request = approved(subject, officer)
    outbox.send_pending()
    (scheduled,) = [m for m in mail.outbox if "will be deleted" in m.subject]
    token = scheduled.body.split("/privacy/request/status/")[1].split("/")[0]
    page = client.get(f"/privacy/request/status/{token}/")
    assert b"Cancel the deletion" in page.content

    client.post(f"/privacy/request/status/{token}/cancel-erasure/")
    request.refresh_from_db()
    assert request.status == S.WITHDRAWN and request.erasure_run_after is None
    with time_machine.travel(timezone_later(hours=25)):
        assert erasure.erasure_dispatch()["started"] == 0
    assert not request.outcomes.exists()


def test_staff_cancel_keeps_the_request_open_and_nothing_runs(
    subject, officer, settings
):
    settings.ERASURE_DELAY_HOURS = 24
    request = approved(subject, officer)
    erasure.erasure_cancel(actor=officer, request=request)
    request.refresh_from_db()
    assert request.status == S.IN_PROGRESS and request.erasure_approved_at is None
    with time_machine.travel(timezone_later(hours=25)):
        assert erasure.erasure_dispatch()["started"] == 0


def test_a_started_erasure_cannot_be_cancelled_or_withdrawn(subject, officer, no_delay):
    request = approved(subject, officer)
    erasure.erasure_start(request_id=request.pk)
    with pytest.raises(RequestError, match="already started"):
        erasure.erasure_cancel(actor=officer, request=request)
    request.refresh_from_db()
    with pytest.raises(RequestError, match="can no longer be stopped"):
        services.request_withdraw(request=request, actor=Actor.subject(subject.pk))


def test_only_a_verified_erasure_request_can_be_approved(subject, officer):
    from requests_app.tests.factories import submit

    pending = submit(type=PrivacyRequest.Type.ERASURE, email=subject.email)
    with pytest.raises(RequestError, match="not verified"):
        erasure.erasure_approve(actor=officer, request=pending)
    access = verified_for(subject, PrivacyRequest.Type.ACCESS)
    with pytest.raises(RequestError, match="not an erasure"):
        erasure.erasure_approve(actor=officer, request=access)


def timezone_later(**delta):
    from django.utils import timezone

    return timezone.now() + timedelta(**delta)


def test_dispatch_command_dry_run_changes_nothing(subject, officer, no_delay):
    from io import StringIO

    from django.core.management import call_command

    request = approved(subject, officer)
    out = StringIO()
    call_command("fulfilment_dispatch", "--dry-run", stdout=out)
    assert "would do: erasures_due 1" in out.getvalue()
    assert not request.outcomes.exists()
    call_command("fulfilment_dispatch", stdout=out)
    assert request.outcomes.count() == len(registry)
