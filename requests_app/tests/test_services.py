from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from privacyportal import mail as outbox
from privacyportal.audit.models import AuditEvent
from privacyportal.audit.services import Actor
from privacyportal.subjects.models import DataSubject
from privacyportal.subjects.tests.factories import DataSubjectFactory
from requests_app import services
from requests_app.models import Holiday, PrivacyRequest, RequestEvent, RequestLink
from requests_app.services import common
from requests_app.tests.factories import in_progress, submit, token_from, verified

pytestmark = pytest.mark.django_db
S = PrivacyRequest.Status
SUBJECT = Actor.subject(None)


def sent_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]


def deliver(capture) -> None:
    outbox.send_pending()


# --- references ----------------------------------------------------------------


def test_references_are_sequential_per_year():
    with time_machine.travel(datetime(2026, 12, 31, 12, tzinfo=UTC)):
        first, second = submit(), submit()
    with time_machine.travel(datetime(2027, 1, 1, 12, tzinfo=UTC)):
        third = submit()
    assert first.reference == "PR-2026-000001"
    assert second.reference == "PR-2026-000002"
    assert third.reference == "PR-2027-000001"


# --- submission and deadlines --------------------------------------------------


@time_machine.travel(datetime(2026, 1, 31, 10, tzinfo=UTC), tick=False)
def test_submission_computes_policy_and_legal_deadlines():
    request = submit(country="FR")
    assert request.status == S.RECEIVED and request.jurisdiction == "EU"
    assert request.legal_rule.code == "gdpr"
    # one month from 31 Jan = Sat 28 Feb -> Mon 2 Mar; policy: 2 Mar too.
    assert request.legal_due_at.date() == date(2026, 3, 2)
    assert request.policy_due_at.date() == date(2026, 3, 2)
    assert request.due_at == min(request.legal_due_at, request.policy_due_at)


@time_machine.travel(datetime(2026, 3, 1, 10, tzinfo=UTC), tick=False)
def test_brazil_fifteen_days_beats_the_policy():
    request = submit(country="BR")
    assert request.due_at.date() == date(2026, 3, 16)
    assert request.policy_due_at.date() == date(2026, 3, 31)


@time_machine.travel(datetime(2026, 3, 6, 10, tzinfo=UTC), tick=False)
def test_california_gets_an_acknowledgement_deadline():
    request = submit(country="US", region="CA")
    assert request.jurisdiction == "US-CA"
    assert request.ack_due_at.date() == date(2026, 3, 20)
    assert request.legal_due_at.date() == date(2026, 4, 20)


@time_machine.travel(datetime(2026, 11, 24, 10, tzinfo=UTC), tick=False)
def test_company_closure_and_establishment_holiday_move_a_gdpr_deadline():
    request = submit(country="IE")
    assert request.legal_due_at.date() == date(2026, 12, 24)  # Thu: a working day
    Holiday.objects.create(date=date(2026, 12, 24), name="Christmas Eve closure")
    request = submit(country="IE")
    # Closed on the 24th, Irish Christmas Day on the 25th, then a weekend.
    assert request.legal_due_at.date() == date(2026, 12, 28)


def test_submission_writes_timeline_audit_and_queues_verification(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        request = submit(email="  Ada@Example.ORG ")
    assert request.email == "ada@example.org"
    assert request.events.filter(kind=RequestEvent.Kind.CREATED).exists()
    assert AuditEvent.objects.filter(
        action="requests.request.received", target_id=str(request.pk)
    ).exists()
    outbox.send_pending()
    (message,) = sent_to("ada@example.org")
    assert "Confirm your privacy request" in message.subject
    assert "/privacy/request/verify/" in message.body
    assert message.alternatives  # HTML part


def test_link_tokens_are_stored_only_as_sha256():
    request = submit()
    token = token_from(request)
    link = RequestLink.objects.get(request=request)
    assert len(token) >= 43  # 32 random bytes, url-safe base64
    assert link.token_hash == common.hash_token(token) != token
    assert not RequestLink.objects.filter(token_hash=token).exists()


# --- verification --------------------------------------------------------------


def test_verification_links_the_existing_subject():
    subject = DataSubjectFactory(email="known@example.org")
    request = submit(email="KNOWN@example.org")
    request, status_token = services.request_verify(token=token_from(request))
    assert request.status == S.VERIFIED and request.subject == subject
    assert request.verified_at and request.acknowledged_at
    assert common.link_find(status_token, "status", now=timezone.now())


def test_verification_creates_a_requester_only_subject():
    request = verified(email="new@example.org")
    subject = DataSubject.objects.get(email="new@example.org")
    assert subject.requester_only and request.subject == subject


def test_verification_link_is_single_use():
    request = submit()
    token = token_from(request)
    services.request_verify(token=token)
    with pytest.raises(services.LinkInvalid):
        services.request_verify(token=token)


def test_verification_link_expires():
    request = submit()
    token = token_from(request)
    later = timezone.now() + timedelta(hours=25)
    with time_machine.travel(later), pytest.raises(services.LinkExpired):
        services.request_verify(token=token)
    assert PrivacyRequest.objects.get(pk=request.pk).status == S.RECEIVED


def test_expired_link_can_be_renewed_and_the_old_one_dies():
    request = submit()
    old = token_from(request)
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        assert services.request_resend_verification(token=old) is True
        new = token_from(request)
        assert new != old
        with pytest.raises(services.LinkInvalid):
            services.request_verify(token=old)
        assert services.request_verify(token=new)[0].status == S.VERIFIED


def test_unknown_and_live_tokens_are_not_renewed():
    request = submit()
    assert services.request_resend_verification(token="nope" * 11) is False
    assert services.request_resend_verification(token=token_from(request)) is False


def test_confirmation_email_carries_the_status_link(django_capture_on_commit_callbacks):
    request = verified(email="c@example.org")
    outbox.send_pending()
    confirmation = [m for m in sent_to("c@example.org") if "confirmed" in m.subject]
    assert confirmation and "/privacy/request/status/" in confirmation[0].body
    assert request.reference in confirmation[0].subject


# --- duplicates and opt-out ----------------------------------------------------


def test_same_request_filed_twice_within_minutes_is_a_duplicate():
    first = submit(email="twice@example.org")
    second = submit(email="twice@example.org")
    assert second.status == S.DUPLICATE and second.duplicate_of == first
    assert first.duplicates.count() == 1
    # the original's link was sent again, the duplicate gets none of its own
    assert RequestLink.objects.filter(request=second).count() == 0
    assert RequestLink.objects.filter(request=first, used_at__isnull=True).count() == 1


def test_other_type_or_later_filing_is_not_a_duplicate():
    first = submit(email="t@example.org")
    other = submit(email="t@example.org", type=PrivacyRequest.Type.ERASURE)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        later = submit(email="t@example.org")
    assert other.duplicate_of is None and later.duplicate_of is None
    assert first.status == S.RECEIVED


def test_a_strangers_unconfirmed_filing_does_not_swallow_the_owners_request():
    stranger = submit(
        email="owner@example.org",
        type=PrivacyRequest.Type.ERASURE,
        name="Someone Else",
        country="US",
        region="TX",
        details="delete it all",
    )
    owner = submit(
        email="owner@example.org",
        type=PrivacyRequest.Type.ERASURE,
        name="Olga Owner",
        country="DE",
        details="Only my forum posts, please.",
    )
    # Filed in its own right: its own details, EU clock and verification link.
    assert owner.status == S.RECEIVED and owner.duplicate_of is None
    assert owner.jurisdiction == "EU" and owner.details.startswith("Only my")
    assert RequestLink.objects.filter(request=owner, used_at__isnull=True).count() == 1
    # The stranger's link was not retired by the owner's filing either.
    assert (
        RequestLink.objects.filter(request=stranger, used_at__isnull=True).count() == 1
    )
    # The same filing again (spacing and case aside) is still a duplicate.
    again = submit(
        email="owner@example.org",
        type=PrivacyRequest.Type.ERASURE,
        name="olga  owner",
        country="de",
        details="Only my forum posts, please. ",
    )
    assert again.status == S.DUPLICATE and again.duplicate_of == owner


def test_any_refiling_of_a_confirmed_request_is_a_duplicate():
    first = verified(email="sure@example.org", name="Sam Sure")
    second = submit(email="sure@example.org", name="Samuel", details="again")
    assert second.status == S.DUPLICATE and second.duplicate_of == first


def test_marketing_opt_out_takes_effect_without_verification():
    request = submit(
        email="stop@example.org", type=PrivacyRequest.Type.MARKETING_OPT_OUT
    )
    assert request.status == S.COMPLETED and request.subject is not None
    assert request.events.filter(kind=RequestEvent.Kind.OPT_OUT).exists()
    assert not RequestLink.objects.filter(request=request).exists()
    outbox.send_pending()
    (message,) = sent_to("stop@example.org")
    assert "no longer receive" in message.subject


def test_opt_out_is_recorded_when_the_consent_app_is_missing(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_consent(name, *args, **kwargs):
        if name == "consent_app.services":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_consent)
    request = submit(type=PrivacyRequest.Type.MARKETING_OPT_OUT)
    event = request.events.get(kind=RequestEvent.Kind.OPT_OUT)
    assert "recorded" in event.message and request.status == S.COMPLETED


# --- transitions ---------------------------------------------------------------


def test_assign_starts_work(officer):
    request = in_progress(officer)
    assert request.status == S.IN_PROGRESS and request.assignee == officer
    assert AuditEvent.objects.filter(action="requests.request.started").exists()


@pytest.mark.parametrize(
    ("call", "from_status"),
    [
        ("complete", S.RECEIVED),
        ("deny", S.RECEIVED),
        ("ask", S.RECEIVED),
        ("answer", S.IN_PROGRESS),
        ("complete", S.COMPLETED),
        ("withdraw", S.DENIED),
    ],
)
def test_illegal_transition_raises_and_changes_nothing(officer, call, from_status):
    request = submit() if from_status == S.RECEIVED else in_progress(officer)
    if from_status == S.COMPLETED:
        services.request_complete(actor=officer, request=request)
    if from_status == S.DENIED:
        services.request_deny(
            actor=officer, request=request, reason="r", legal_basis="b"
        )
    before_events = RequestEvent.objects.count()
    before_audit = AuditEvent.objects.count()
    calls = {
        "complete": lambda: services.request_complete(actor=officer, request=request),
        "deny": lambda: services.request_deny(
            actor=officer, request=request, reason="r", legal_basis="b"
        ),
        "ask": lambda: services.request_ask(
            actor=officer, request=request, question="q"
        ),
        "answer": lambda: services.request_answer(
            request=request, answer="a", actor=SUBJECT
        ),
        "withdraw": lambda: services.request_withdraw(request=request, actor=SUBJECT),
    }
    with pytest.raises(services.TransitionError):
        calls[call]()
    fresh = PrivacyRequest.objects.get(pk=request.pk)
    assert fresh.status == from_status
    assert RequestEvent.objects.count() == before_events
    assert AuditEvent.objects.count() == before_audit


def test_stale_status_loses_the_conditional_update(officer):
    request = in_progress(officer)
    stale = PrivacyRequest.objects.get(pk=request.pk)
    services.request_complete(actor=officer, request=request)
    with pytest.raises(services.TransitionError):
        common.transition(stale, S.DENIED, actor=officer, action="denied")


def test_complete_and_partial_complete_email_the_requester(officer):
    full = in_progress(officer, email="full@example.org")
    part = in_progress(officer, email="part@example.org")
    services.request_complete(actor=officer, request=full, summary="Export sent.")
    services.request_complete(
        actor=officer,
        request=part,
        partial=True,
        summary="Invoices kept 10 years (tax law).",
    )
    outbox.send_pending()
    assert full.status == S.COMPLETED and part.status == S.PARTIALLY_COMPLETED
    assert (
        full.completed_at and full.decided_by == officer and full.next_alert_at is None
    )
    assert any("is done" in m.subject for m in sent_to("full@example.org"))
    assert any("partly done" in m.subject for m in sent_to("part@example.org"))


def test_denial_names_reason_basis_and_right_to_complain(officer):
    request = in_progress(officer, email="no@example.org")
    services.request_deny(
        actor=officer,
        request=request,
        reason="Manifestly excessive",
        legal_basis="GDPR Art. 12(5)",
    )
    outbox.send_pending()
    (denial,) = [m for m in sent_to("no@example.org") if "decision" in m.subject]
    assert "Manifestly excessive" in denial.body and "Art. 12(5)" in denial.body
    assert "right to complain" in denial.body.lower()
    assert request.denial_legal_basis == "GDPR Art. 12(5)"


def test_denial_needs_reason_and_basis(officer):
    request = in_progress(officer)
    with pytest.raises(services.RequestError):
        services.request_deny(
            actor=officer, request=request, reason="", legal_basis="x"
        )


def test_requester_can_withdraw_an_open_request():
    request = verified()
    services.request_withdraw(request=request, actor=SUBJECT)
    assert request.status == S.WITHDRAWN and request.closed_at


def test_close_unverified_only_closes_received(officer):
    pending = submit()
    assert services.request_close_unverified(request=pending) is True
    assert pending.status == S.CLOSED_UNVERIFIED
    working = in_progress(officer)
    assert services.request_close_unverified(request=working) is False


# --- extension -----------------------------------------------------------------


@time_machine.travel(datetime(2026, 1, 15, 9, tzinfo=UTC), tick=False)
def test_gdpr_extension_adds_two_months_once_and_emails_reason(officer):
    request = in_progress(officer, country="DE", email="ext@example.org")
    assert request.legal_due_at.date() == date(2026, 2, 16)
    services.request_extend(actor=officer, request=request, reason="Many systems")
    # receipt + 3 months (Wed 15 Apr), not the rolled Mon 16 Feb + 2 months
    assert request.due_at.date() == date(2026, 4, 15) == request.legal_due_at.date()
    assert request.extended_by == officer and request.extension_reason
    outbox.send_pending()
    (notice,) = [m for m in sent_to("ext@example.org") if "More time" in m.subject]
    assert "Many systems" in notice.body and "15 Apr 2026" in notice.body
    with pytest.raises(services.RequestError, match="already extended"):
        services.request_extend(actor=officer, request=request, reason="again")


def test_extension_refused_where_the_law_allows_none(officer):
    request = in_progress(officer, country="BR")
    with pytest.raises(services.RequestError, match="no extension"):
        services.request_extend(actor=officer, request=request, reason="x")
    policy_only = in_progress(officer, country="JP")
    with pytest.raises(services.RequestError, match="no extension"):
        services.request_extend(actor=officer, request=policy_only, reason="x")


def test_extension_refused_after_the_due_date(officer):
    request = in_progress(officer, country="DE")
    with (
        time_machine.travel(request.due_at + timedelta(hours=1)),
        pytest.raises(services.RequestError, match="past its due date"),
    ):
        services.request_extend(actor=officer, request=request, reason="x")


def test_extension_needs_a_reason(officer):
    request = in_progress(officer, country="DE")
    with pytest.raises(services.RequestError, match="reason"):
        services.request_extend(actor=officer, request=request, reason="  ")


# --- needs_info and the paused clock ---------------------------------------------


def test_uk_question_pauses_the_clock_and_answer_adds_the_pause(officer):
    with time_machine.travel(datetime(2026, 3, 2, 9, tzinfo=UTC), tick=False):
        request = in_progress(officer, country="GB", email="uk@example.org")
        due = request.due_at
        services.request_ask(actor=officer, request=request, question="Which account?")
        assert request.status == S.NEEDS_INFO and request.paused_at
        assert request.next_alert_at is None
    with time_machine.travel(datetime(2026, 3, 12, 9, tzinfo=UTC), tick=False):
        services.request_answer(request=request, answer="The work one", actor=SUBJECT)
    assert request.status == S.IN_PROGRESS and request.paused_days == 10
    # due (policy, 30 days) Wed 1 Apr + 10 days = Sat 11 Apr -> Mon 13 Apr
    assert due.date() == date(2026, 4, 1)
    assert request.due_at.date() == date(2026, 4, 13)
    assert request.events.filter(kind=RequestEvent.Kind.ANSWER, public=True).exists()


def test_eu_question_does_not_pause_the_clock(officer):
    request = in_progress(officer, country="DE")
    due = request.due_at
    services.request_ask(actor=officer, request=request, question="Which account?")
    assert request.paused_at is None
    with time_machine.travel(timezone.now() + timedelta(days=5)):
        services.request_answer(request=request, answer="x", actor=SUBJECT)
    assert request.due_at == due


def test_question_email_links_to_the_status_page(officer):
    request = in_progress(officer, email="q@example.org")
    services.request_ask(actor=officer, request=request, question="Your user name?")
    outbox.send_pending()
    (question,) = [m for m in sent_to("q@example.org") if "question" in m.subject]
    assert (
        "Your user name?" in question.body
        and "/privacy/request/status/" in question.body
    )


ALL_PAIRS = [
    (source, target)
    for target in common.TRANSITIONS
    for source in PrivacyRequest.Status.values
    if source not in common.TRANSITIONS[target]
]


@pytest.mark.parametrize(("source", "target"), ALL_PAIRS)
def test_every_transition_outside_the_table_is_refused(source, target):
    request = submit()
    PrivacyRequest.objects.filter(pk=request.pk).update(status=source)
    request.status = source
    events = RequestEvent.objects.count()
    with pytest.raises(services.TransitionError):
        common.transition(request, target, actor=SUBJECT, action="x")
    assert PrivacyRequest.objects.get(pk=request.pk).status == source
    assert RequestEvent.objects.count() == events


@pytest.mark.parametrize(
    ("source", "target"),
    [(s, t) for t, sources in common.TRANSITIONS.items() for s in sorted(sources)],
)
def test_every_transition_in_the_table_is_applied_once(source, target):
    request = submit()
    PrivacyRequest.objects.filter(pk=request.pk).update(status=source)
    request.status = source
    common.transition(request, target, actor=SUBJECT, action="x")
    fresh = PrivacyRequest.objects.get(pk=request.pk)
    assert fresh.status == target
    assert fresh.events.filter(from_status=source, to_status=target).count() == 1
    if target in common.FINAL:
        assert fresh.closed_at is not None and fresh.next_alert_at is None
