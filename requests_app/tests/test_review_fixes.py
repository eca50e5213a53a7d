"""Regression tests for defects found in review (each failed before its fix)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from privacyportal import mail as outbox
from privacyportal.audit.services import Actor
from requests_app import services
from requests_app.admin import PrivacyRequestAdmin
from requests_app.models import PrivacyRequest, RequestEvent, RequestLink
from requests_app.services import jobs
from requests_app.tests.factories import in_progress, submit, token_from, verified

pytestmark = pytest.mark.django_db
S = PrivacyRequest.Status
SUBJECT = Actor.subject(None)
URL = "/admin/requests_app/privacyrequest/"


# --- 1. the GDPR extension counts from receipt, not from the rolled due date ----


def test_extension_of_a_request_received_on_a_saturday_is_not_rolled_twice(officer):
    # Sat 28 Feb 2026 + 1 month = Sat 28 Mar -> Mon 30 Mar (rolled). The extended
    # deadline is receipt + 3 months = Thu 28 May, not Mon 30 Mar + 2 = Mon 1 Jun.
    with time_machine.travel(datetime(2026, 2, 28, 10, tzinfo=UTC), tick=False):
        request = in_progress(officer, country="FR")
        assert request.legal_due_at.date() == date(2026, 3, 30)
        services.request_extend(actor=officer, request=request, reason="Many systems")
    assert request.due_at.date() == date(2026, 5, 28) == request.legal_due_at.date()


def test_extension_of_a_31_january_request_does_not_lose_days_to_february(officer):
    with time_machine.travel(datetime(2026, 1, 31, 10, tzinfo=UTC), tick=False):
        request = in_progress(officer, country="DE")
        services.request_extend(actor=officer, request=request, reason="Many systems")
    assert request.due_at.date() == date(2026, 4, 30)  # not 28 Apr


def test_extension_after_a_pause_keeps_the_paused_days(officer):
    with time_machine.travel(datetime(2026, 1, 15, 9, tzinfo=UTC), tick=False):
        request = in_progress(officer, country="GB")
        services.request_ask(actor=officer, request=request, question="Which?")
    with time_machine.travel(datetime(2026, 1, 25, 9, tzinfo=UTC), tick=False):
        services.request_answer(request=request, answer="This one", actor=SUBJECT)
        assert request.paused_days == 10
        services.request_extend(actor=officer, request=request, reason="Many systems")
    # 15 Jan + 3 months = Wed 15 Apr, + 10 paused days = Sat 25 Apr -> Mon 27 Apr
    assert request.due_at.date() == date(2026, 4, 27)


# --- 2. a paused clock is neither overdue nor due soon ------------------------------


def _paused_past_due(officer) -> PrivacyRequest:
    request = in_progress(officer, country="GB")
    services.request_ask(actor=officer, request=request, question="Which account?")
    request.refresh_from_db()
    assert request.paused_at is not None
    return request


def test_paused_request_is_not_overdue_or_due_soon(officer):
    paused = _paused_past_due(officer)
    running = in_progress(officer, country="DE")
    late = paused.due_at + timedelta(days=1)
    overdue = PrivacyRequest.objects.overdue(late)
    assert list(overdue) == [running]
    soon = PrivacyRequest.objects.due_within(paused.due_at - timedelta(days=3), 7)
    assert paused not in soon and running in soon


def test_paused_request_shows_paused_in_the_badge_and_filter(client, officer):
    paused = _paused_past_due(officer)
    with time_machine.travel(paused.due_at + timedelta(days=1), tick=False):
        badge = PrivacyRequestAdmin.due_badge(None, paused)
        assert "paused" in badge and "overdue" not in badge
        client.force_login(officer)
        html = client.get(f"{URL}?due=overdue").content.decode()
    assert paused.reference not in html


def test_paused_request_is_not_in_the_overdue_digest(officer):
    paused = _paused_past_due(officer)
    summary = jobs.deadlines_run(now=paused.due_at + timedelta(days=1))
    assert summary.digests == 0 and summary.escalations == 0
    assert (
        jobs.deadlines_run(now=paused.due_at + timedelta(days=1), dry_run=True).digests
        == 0
    )


# --- 3. an answer is accepted only when a question was asked ------------------------


def test_answer_to_a_verified_request_without_a_question_is_refused():
    request = verified()
    events = request.events.count()
    with pytest.raises(services.TransitionError, match="no question"):
        services.request_answer(request=request, answer="hello", actor=SUBJECT)
    request.refresh_from_db()
    assert request.status == S.VERIFIED
    assert request.events.count() == events
    assert not request.events.filter(kind=RequestEvent.Kind.ANSWER).exists()


def test_answer_link_on_a_verified_request_changes_nothing(client):
    request = verified()
    token = token_from(request, "request_confirmation")
    response = client.post(f"/privacy/request/status/{token}/answer/", {"answer": "x"})
    assert response.status_code == 409
    request.refresh_from_db()
    assert request.status == S.VERIFIED


# --- 4. staff entry validates country and state like the public form ----------------


def _entry(client, **overrides):
    data = {
        "type": "access",
        "channel": "letter",
        "name": "Letter Writer",
        "email": "letter@example.org",
        "country": "US",
        "region": "",
        "relationship": "customer",
        "details": "",
        **overrides,
    }
    return client.post(f"{URL}add/", data)


def test_staff_entry_of_a_us_request_needs_a_state(client, support):
    client.force_login(support)
    response = _entry(client)
    assert response.status_code == 200
    assert "region" in response.context["adminform"].form.errors
    assert not PrivacyRequest.objects.filter(email="letter@example.org").exists()


def test_staff_entry_with_a_state_gets_the_state_clock(client, support):
    client.force_login(support)
    response = _entry(client, region="CA")
    assert response.status_code == 302, response.context["adminform"].form.errors
    entered = PrivacyRequest.objects.get(email="letter@example.org")
    assert entered.jurisdiction == "US-CA" and entered.region == "CA"
    assert entered.legal_rule is not None and entered.legal_rule.amount == 45


def test_staff_entry_refuses_an_unknown_country(client, support):
    client.force_login(support)
    response = _entry(client, country="ZZ", region="")
    assert "country" in response.context["adminform"].form.errors


def test_lower_case_country_and_state_are_normalised():
    request = submit(country="us", region="ca")
    assert (request.country, request.region, request.jurisdiction) == (
        "US",
        "CA",
        "US-CA",
    )


# --- 5. resend: limited per request, whatever the IP ---------------------------------


def test_resend_flood_from_many_ips_is_limited_per_request(client, settings):
    settings.REQUEST_RESEND_RATE = 2
    request = submit(email="flood@example.org")
    token = token_from(request)
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        codes = [
            client.post(
                f"/privacy/request/verify/{token}/new-link/", REMOTE_ADDR=f"10.0.0.{i}"
            ).status_code
            for i in range(1, 4)
        ]
    assert codes == [200, 200, 429]


def test_concurrent_resends_of_one_expired_link_send_once(monkeypatch):
    request = submit(email="race@example.org")
    token_from(request)
    link = RequestLink.objects.get(request=request, purpose="verify")
    stale = RequestLink.objects.get(pk=link.pk)  # what a racing request read
    later = timezone.now() + timedelta(hours=25)
    with time_machine.travel(later):
        assert services.request_resend_verification(token="x" * 43) is False
        real_find = services.intake.common.link_find

        def racing_find(token, purpose, *, now):
            if token == "stale":
                raise services.LinkExpired(stale)
            return real_find(token, purpose, now=now)

        monkeypatch.setattr(services.intake.common, "link_find", racing_find)
        assert services.request_resend_verification(token="stale") is True
        assert services.request_resend_verification(token="stale") is False
    outbox.send_pending()
    verify_mails = [m for m in mail.outbox if m.to == ["race@example.org"]]
    assert len(verify_mails) == 2  # the first link and one renewal


# --- 6. the public POST does no avoidable work ----------------------------------------


def _post(client, email: str):
    return client.post(
        "/privacy/request/",
        {
            "type": "access",
            "name": "Ada",
            "email": email,
            "country": "DE",
            "relationship": "customer",
            "website": "",
        },
    )


def test_form_post_reads_no_rules_holidays_or_sources_once_cached(
    client, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, "warm@example.org").status_code == 302
    with (
        CaptureQueriesContext(connection) as post_queries,
        django_capture_on_commit_callbacks() as callbacks,
    ):
        assert _post(client, "cached@example.org").status_code == 302
    # The POST itself: one INSERT into the intake table (plus the savepoint
    # pair the test's transaction adds), nothing else.
    writes = [q["sql"] for q in post_queries if "SAVEPOINT" not in q["sql"]]
    assert len(writes) == 1, writes
    assert writes[0].startswith('INSERT INTO "requests_app_requestsubmission"')
    # The task that turns it into a request.
    with CaptureQueriesContext(connection) as queries:
        for callback in callbacks:
            callback()
    assert PrivacyRequest.objects.filter(email="cached@example.org").exists()
    sql = " ".join(q["sql"] for q in queries)
    for table in ("deadlinerule", "holiday", "externalsource"):
        assert f"requests_app_{table}" not in sql
    assert sql.count('INSERT INTO "requests_app_requestevent"') == 1
    # The drain's id listings are shared by every submission it files.
    listing = 'SELECT "requests_app_requestsubmission"."id" AS "pk"'
    filing = [q["sql"] for q in queries if not q["sql"].startswith(listing)]
    assert len(filing) <= 20, [q[:80] for q in filing]


def test_rule_and_holiday_edits_reach_the_next_submission(officer):
    from requests_app.models import DeadlineRule, Holiday

    with time_machine.travel(datetime(2026, 3, 2, 10, tzinfo=UTC), tick=False):
        before = submit(country="BR")  # cached: 15 days
        assert before.due_at.date() == date(2026, 3, 17)
        rule = DeadlineRule.objects.get(code=before.legal_rule.code)
        rule.amount = 10
        services.policy_save(actor=officer, obj=rule, fields=["amount"])
        assert submit(country="BR").due_at.date() == date(2026, 3, 12)
        Holiday.objects.create(date=date(2026, 3, 12), name="Carnival", jurisdiction="")
        # a calendar-day rule does not roll: the holiday list changed, not this
        assert submit(country="BR").due_at.date() == date(2026, 3, 12)
        Holiday.objects.create(date=date(2026, 4, 2), name="Holiday", jurisdiction="")
        # GDPR rolls: 2 Mar + 1 month = Thu 2 Apr (holiday) -> Fri 3 Apr
        assert submit(country="FR").legal_due_at.date() == date(2026, 4, 3)
