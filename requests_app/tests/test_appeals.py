"""Appeals of refused requests: offered by state rule, filed, decided, reminded."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.apps import apps
from django.core import mail
from django.urls import reverse

from privacyportal import mail as outbox
from privacyportal import roles
from privacyportal.audit.models import AuditEvent
from privacyportal.audit.services import Actor
from requests_app import services
from requests_app.models import Appeal, AppealRule, PrivacyRequest, RequestEvent
from requests_app.services import appeals
from requests_app.services.appeals import AppealError
from requests_app.tests.factories import staff_user, submit, token_from

pytestmark = pytest.mark.django_db
S = PrivacyRequest.Status
DECIDED = datetime(2026, 3, 2, 15, tzinfo=UTC)
SUBJECT = Actor.subject(None)


@pytest.fixture(autouse=True)
def _seeded_rules():
    # A live-server test elsewhere may have flushed the seeded rows.
    seed = importlib.import_module("requests_app.migrations.0014_seed_appeal_rules")
    seed.seed(apps, None)


@pytest.fixture
def second_officer(db):
    return staff_user("second-officer", roles.PRIVACY_OFFICER)


def refused(officer, region: str = "VA", country: str = "US", **extra):
    """A request refused by ``officer``; returns it and its status-page token."""
    with outbox.sending_here():
        request = submit(country=country, region=region, **extra)
    request, token = services.request_verify(token=token_from(request))
    services.request_assign(actor=officer, request=request, assignee=officer)
    services.request_deny(
        actor=officer, request=request, reason="Exempt", legal_basis="Va. Code"
    )
    return request, token


def filed(officer, text: str = "I disagree.") -> Appeal:
    request, _ = refused(officer)
    return appeals.appeal_file(request=request, text=text, actor=SUBJECT)


def sent_to(address: str) -> list:
    outbox.send_pending()
    return [m for m in mail.outbox if address in m.to]


# --- which laws give an appeal ---------------------------------------------------


@pytest.mark.parametrize(
    ("country", "region", "offered"),
    [("US", "VA", True), ("US", "CA", False), ("US", "UT", False), ("DE", "", False)],
)
@time_machine.travel(DECIDED, tick=False)
def test_appeal_offered_only_where_a_state_rule_exists(
    client, officer, country, region, offered
):
    request, token = refused(officer, region=region, country=country)
    assert (appeals.offer(request) is not None) is offered
    page = client.get(reverse("requests:status", args=[token])).content.decode()
    assert ("Appeal this decision" in page) is offered
    assert (reverse("requests:appeal", args=[token]) in page) is offered


def test_rules_per_state_virginia_60_colorado_45_days():
    assert AppealRule.objects.get(jurisdiction="US-VA").decide_days == 60
    assert AppealRule.objects.get(jurisdiction="US-CO").decide_days == 45
    assert not AppealRule.objects.filter(jurisdiction__in=["US-CA", "US-UT"]).exists()
    assert appeals.rule_for("US-VA", date(2022, 12, 31)) is None  # before the law


@pytest.mark.parametrize(("region", "days"), [("VA", 60), ("CO", 45)])
@time_machine.travel(DECIDED, tick=False)
def test_appeal_is_due_within_the_states_period(officer, region, days):
    request, _ = refused(officer, region=region)
    appeal = appeals.appeal_file(request=request, text="Please", actor=SUBJECT)
    local_due = appeal.due_at.astimezone(appeals.common.tz()).date()
    assert local_due == date(2026, 3, 2) + timedelta(days=days)


@time_machine.travel(DECIDED, tick=False)
def test_partly_completed_request_offers_an_appeal(officer):
    with outbox.sending_here():
        request = submit(country="US", region="VA", email="part@example.org")
    request, _ = services.request_verify(token=token_from(request))
    services.request_complete(
        actor=officer, request=request, partial=True, summary="Kept invoices."
    )
    assert appeals.offer(request).until == date(2026, 4, 16)
    (notice,) = [m for m in sent_to("part@example.org") if "partly" in m.body]
    assert "Appeal this decision" in notice.body and "/status/" in notice.body


# --- the decision e-mail ---------------------------------------------------------


@time_machine.travel(DECIDED, tick=False)
def test_denial_email_offers_the_appeal_with_its_last_day(officer):
    refused(officer, email="va@example.org")
    (denial,) = [m for m in sent_to("va@example.org") if "decision" in m.subject]
    assert "Appeal this decision" in denial.body
    assert "16 Apr 2026" in denial.body or "16 April 2026" in denial.body
    assert "/privacy/request/status/" in denial.body


@time_machine.travel(DECIDED, tick=False)
def test_denial_email_in_california_offers_no_appeal(officer):
    refused(officer, region="CA", email="ca@example.org")
    (denial,) = [m for m in sent_to("ca@example.org") if "decision" in m.subject]
    assert "Appeal" not in denial.body


# --- filing on the status page ---------------------------------------------------


def test_appeal_filed_on_the_status_page_is_stored_audited_and_acknowledged(
    client, officer, second_officer
):
    with time_machine.travel(DECIDED, tick=False):
        request, token = refused(officer, email="appellant@example.org")
    with time_machine.travel(DECIDED + timedelta(days=10), tick=False):
        response = client.post(
            reverse("requests:appeal", args=[token]), {"text": "You hold my data."}
        )
    assert response.status_code == 302
    appeal = Appeal.objects.get(request=request)
    assert appeal.status == Appeal.Status.OPEN and appeal.text == "You hold my data."
    assert appeal.appealed_decided_by == officer
    assert AuditEvent.objects.filter(action="requests.appeal.filed").count() == 1
    assert request.events.filter(kind=RequestEvent.Kind.APPEAL, public=True).exists()
    assert [m.subject for m in sent_to("appellant@example.org")][-1].startswith(
        "We received your appeal"
    )
    # Staff are told, but not the officer who refused: they cannot decide it.
    assert sent_to(second_officer.email) and not [
        m for m in sent_to(officer.email) if "appeal" in m.subject
    ]
    page = client.get(reverse("requests:status", args=[token])).content.decode()
    assert "You appealed this decision" in page and "Being reviewed" in page


def test_appeal_after_its_window_is_refused_with_the_date_and_nothing_stored(
    client, officer
):
    with time_machine.travel(DECIDED, tick=False):
        _, token = refused(officer)
    before = AuditEvent.objects.count()
    with time_machine.travel(DECIDED + timedelta(days=46), tick=False):
        page = client.get(reverse("requests:status", args=[token])).content.decode()
        assert "The time to appeal this decision ended on 16" in page
        response = client.post(
            reverse("requests:appeal", args=[token]), {"text": "Too late?"}
        )
    assert response.status_code == 400
    assert "ended on 16" in response.content.decode()
    assert not Appeal.objects.exists()
    assert AuditEvent.objects.count() == before


def test_appeal_on_the_last_day_is_accepted(officer):
    with time_machine.travel(DECIDED, tick=False):
        request, _ = refused(officer)
    with time_machine.travel(datetime(2026, 4, 16, 20, tzinfo=UTC), tick=False):
        appeals.appeal_file(request=request, text="Just in time", actor=SUBJECT)
    assert Appeal.objects.count() == 1


@pytest.mark.parametrize("text", ["", "   ", "bad\x00text", "x" * 5001])
def test_bad_appeal_text_shows_the_forms_error_and_stores_nothing(
    client, officer, text
):
    _, token = refused(officer)
    response = client.post(reverse("requests:appeal", args=[token]), {"text": text})
    assert response.status_code == 400
    assert 'class="error-summary"' in response.content.decode()
    assert not Appeal.objects.exists()


def test_a_decision_is_appealed_once(officer):
    request, _ = refused(officer)
    appeals.appeal_file(request=request, text="First", actor=SUBJECT)
    with pytest.raises(AppealError, match="already appealed"):
        appeals.appeal_file(request=request, text="Second", actor=SUBJECT)
    assert Appeal.objects.count() == 1


def test_an_open_request_cannot_be_appealed(officer):
    with outbox.sending_here():
        request = submit(country="US", region="VA")
    with pytest.raises(AppealError):
        appeals.appeal_file(request=request, text="Why?", actor=SUBJECT)


def test_unknown_status_link_gets_the_neutral_page(client):
    response = client.post(reverse("requests:appeal", args=["nope"]), {"text": "x"})
    assert response.status_code == 404
    assert not Appeal.objects.exists()


# --- deciding -------------------------------------------------------------------


def test_the_officer_who_refused_cannot_decide_the_appeal(officer):
    appeal = filed(officer)
    before = AuditEvent.objects.count()
    with pytest.raises(AppealError, match="another Privacy Officer"):
        appeals.appeal_decide(actor=officer, appeal=appeal, upheld=True, reasons="OK")
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.OPEN and appeal.decided_by is None
    assert AuditEvent.objects.count() == before


def test_an_analyst_cannot_decide_an_appeal(officer, analyst):
    appeal = filed(officer)
    with pytest.raises(AppealError, match="only a Privacy Officer"):
        appeals.appeal_decide(actor=analyst, appeal=appeal, upheld=True, reasons="x")


def test_upheld_by_another_officer_reopens_the_request_audited(officer, second_officer):
    appeal = filed(officer)
    appeals.appeal_decide(
        actor=second_officer, appeal=appeal, upheld=True, reasons="Not exempt."
    )
    appeal.refresh_from_db()
    request = PrivacyRequest.objects.get(pk=appeal.request_id)
    assert appeal.status == Appeal.Status.UPHELD
    assert appeal.decided_by == second_officer and appeal.decided_at
    assert request.status == S.IN_PROGRESS and request.closed_at is None
    assert request.due_at == appeal.due_at and request.next_alert_at is not None
    assert request.events.filter(from_status=S.DENIED, to_status=S.IN_PROGRESS).exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"requests.appeal.upheld", "requests.request.reopened"} <= actions


def test_denied_appeal_email_gives_the_attorney_generals_complaint_link(
    officer, second_officer
):
    appeal = filed(officer)
    appeals.appeal_decide(
        actor=second_officer, appeal=appeal, upheld=False, reasons="Still exempt."
    )
    (decision,) = [
        m
        for m in sent_to(appeal.request.email)
        if "decision on your appeal" in m.subject
    ]
    assert "Still exempt." in decision.body
    assert "https://www.oag.state.va.us/" in decision.body
    assert "attorney general" in decision.body
    assert PrivacyRequest.objects.get(pk=appeal.request_id).status == S.DENIED
    assert AuditEvent.objects.filter(action="requests.appeal.denied").count() == 1


def test_an_appeal_is_decided_once(officer, second_officer):
    appeal = filed(officer)
    stale = Appeal.objects.get(pk=appeal.pk)
    appeals.appeal_decide(
        actor=second_officer, appeal=appeal, upheld=False, reasons="No"
    )
    with pytest.raises(AppealError, match="already decided"):
        appeals.appeal_decide(
            actor=second_officer, appeal=stale, upheld=True, reasons="Y"
        )


def test_a_decision_needs_reasons(officer, second_officer):
    appeal = filed(officer)
    with pytest.raises(AppealError, match="reasons"):
        appeals.appeal_decide(
            actor=second_officer, appeal=appeal, upheld=False, reasons=" "
        )


# --- reminders ------------------------------------------------------------------


def test_appeal_reminders_and_the_escalation_are_sent_once_each(
    officer, second_officer
):
    with time_machine.travel(DECIDED, tick=False):
        appeal = filed(officer)
    for days_before, expected in [(7, (1, 0)), (2, (1, 0)), (-1, (0, 1))]:
        moment = appeal.due_at - timedelta(days=days_before) + timedelta(minutes=1)
        assert appeals.appeal_alerts_send(moment) == expected
        assert appeals.appeal_alerts_send(moment) == (0, 0)
    subjects = [
        m.subject for m in sent_to(second_officer.email) if "appeal" in m.subject
    ]
    assert len([s for s in subjects if "due on" in s]) == 2
    assert len([s for s in subjects if "overdue" in s]) == 1
    assert not [m for m in sent_to(officer.email) if "appeal" in m.subject]


def test_a_decided_appeal_gets_no_reminder(officer, second_officer):
    appeal = filed(officer)
    appeals.appeal_decide(
        actor=second_officer, appeal=appeal, upheld=False, reasons="No"
    )
    assert appeals.appeal_alerts_send(appeal.due_at + timedelta(days=1)) == (0, 0)


def test_the_deadline_job_sends_appeal_reminders(officer, second_officer):
    appeal = filed(officer)
    summary = services.deadlines_run(now=appeal.due_at + timedelta(minutes=1))
    assert summary.escalations >= 1
    assert Appeal.objects.get(pk=appeal.pk).alert_stage == PrivacyRequest.Alert.OVERDUE


# --- admin ----------------------------------------------------------------------


def test_admin_decide_action_refuses_the_first_decider_and_works_for_another(
    client, officer, second_officer
):
    appeal = filed(officer)
    url = reverse("admin:requests_app_appeal_changelist")
    form = {
        "action": "decide",
        "_selected_action": [appeal.pk],
        "apply": "1",
        "decision": "deny",
        "reasons": "The exemption applies.",
    }
    client.force_login(officer)
    page = client.post(url, form, follow=True).content.decode()
    assert "another Privacy Officer must decide" in page
    assert Appeal.objects.get(pk=appeal.pk).status == Appeal.Status.OPEN
    client.force_login(second_officer)
    page = client.post(url, form, follow=True).content.decode()
    assert "1 appeal denied." in page
    assert Appeal.objects.get(pk=appeal.pk).status == Appeal.Status.DENIED


def test_admin_pages_render_in_plain_words(client, officer):
    appeal = filed(officer)
    client.force_login(officer)
    listing = client.get(reverse("admin:requests_app_appeal_changelist")).content
    assert (
        b"Not decided yet" in listing and appeal.request.reference.encode() in listing
    )
    detail = client.get(reverse("admin:requests_app_appeal_change", args=[appeal.pk]))
    assert b"Virginia CDPA" in detail.content and b"Denied" in detail.content
    rules = client.get(reverse("admin:requests_app_appealrule_changelist")).content
    assert b"Colorado" in rules and b"45 days" in rules
