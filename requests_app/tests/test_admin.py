from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from privacyportal import mail as outbox
from requests_app import services
from requests_app.models import PrivacyRequest
from requests_app.tests.factories import in_progress, submit, verified

pytestmark = pytest.mark.django_db
URL = "/admin/requests_app/privacyrequest/"
S = PrivacyRequest.Status


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("boss", "boss@staff.example", "x")


def action(client, name: str, requests, query: str = "", **form):
    data = {"action": name, "_selected_action": [r.pk for r in requests], **form}
    return client.post(URL + query, data, follow=False)


def test_changelist_shows_the_queue_with_badges(client, officer, analyst):
    overdue = in_progress(analyst)
    soon = verified()
    with time_machine.travel(overdue.due_at + timedelta(days=1), tick=False):
        client.force_login(officer)
        page = client.get(URL)
    html = page.content.decode()
    assert page.status_code == 200
    assert overdue.reference in html and soon.reference in html
    assert "pr-overdue" in html and "1 days overdue" in html
    assert 'class="pr-badge pr-status-in_progress"' in html
    assert "style=" not in html.split('id="result_list"')[1].split("</table>")[0]


@pytest.mark.parametrize(
    ("query", "expect_overdue", "expect_later"),
    [
        ("due=overdue", True, False),
        ("due=7", False, False),
        ("due=30", False, True),
        ("assignee=mine", True, False),
        ("assignee=none", False, True),
        ("verified=no", False, False),
        ("jurisdiction=EU", True, True),
        ("status=in_progress", True, False),
    ],
)
def test_filters(client, officer, query, expect_overdue, expect_later):
    overdue = in_progress(officer)
    with time_machine.travel(overdue.due_at - timedelta(days=2)):
        later = verified()  # due 28 days after the moment of the query
    with time_machine.travel(overdue.due_at + timedelta(hours=1), tick=False):
        client.force_login(officer)
        html = client.get(f"{URL}?{query}").content.decode()
    assert (overdue.reference in html) is expect_overdue
    assert (later.reference in html) is expect_later


def test_search_by_exact_email_and_reference(client, officer):
    one = submit(email="find.me@example.org")
    other = submit(email="find.me.not@example.org")
    client.force_login(officer)
    html = client.get(URL, {"q": "Find.Me@example.org"}).content.decode()
    assert one.reference in html and other.reference not in html
    html = client.get(URL, {"q": other.reference.lower()}).content.decode()
    assert other.reference in html and one.reference not in html


def test_changelist_query_count_is_small(client, officer):
    for _ in range(30):
        in_progress(officer)
    client.force_login(officer)
    client.get(URL)
    for query in ("", "?due=overdue", "?status=closed", "?jurisdiction=US-ANY"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL + query).status_code == 200
        assert len(queries) <= 10, [q["sql"] for q in queries]


def test_extend_action_shows_a_form_then_extends_and_mails(client, officer):
    request = in_progress(officer, country="DE", email="wait@example.org")
    client.force_login(officer)
    confirm = action(client, "extend", [request])
    assert confirm.status_code == 200 and b"Extend the deadline" in confirm.content
    request.refresh_from_db()
    assert request.extended_at is None  # nothing happens before confirmation
    done = action(
        client,
        "extend",
        [request],
        apply="Confirm",
        reason="Your data sits in many systems.",
    )
    assert done.status_code == 302
    request.refresh_from_db()
    assert request.extended_at and request.extended_by == officer
    outbox.send_pending()
    notice = [
        m
        for m in mail.outbox
        if m.to == ["wait@example.org"] and "More time" in m.subject
    ]
    assert notice and "many systems" in notice[0].body


def test_refused_action_reports_why_and_counts(client, officer):
    brazil = in_progress(officer, country="BR")
    client.force_login(officer)
    response = action(client, "extend", [brazil], apply="1", reason="x")
    messages = [str(m) for m in response.wsgi_request._messages]
    assert "0 of 1 request extended." in messages
    assert (
        f"{brazil.reference} was not extended: the law that applies allows no "
        "extension." in messages
    )


def test_assign_ask_deny_complete_actions(client, officer):
    a, b, c = verified(), verified(), verified()
    client.force_login(officer)
    action(client, "assign_to_me", [a, b, c])
    assert set(PrivacyRequest.objects.values_list("status", flat=True)) == {
        S.IN_PROGRESS
    }
    action(client, "ask", [a], apply="1", question="Which account?")
    action(
        client,
        "deny",
        [b],
        apply="1",
        category="exempt",
        reason="Excessive",
        legal_basis="Art 12(5)",
    )
    action(client, "complete", [c], apply="1", summary="Done", partial="on")
    statuses = dict(PrivacyRequest.objects.values_list("pk", "status"))
    assert statuses == {a.pk: S.NEEDS_INFO, b.pk: S.DENIED, c.pk: S.PARTIALLY_COMPLETED}
    b.refresh_from_db()
    assert b.denial_category == "exempt"  # counted under "exemption" in Reports


def test_change_page_has_timeline_and_read_only_status(client, officer):
    request = in_progress(officer)
    client.force_login(officer)
    page = client.get(f"{URL}{request.pk}/change/").content.decode()
    assert "Timeline" in page and "E-mail address verified." in page
    assert 'name="status"' not in page and 'name="staff_notes"' in page
    client.post(
        f"{URL}{request.pk}/change/",
        {
            "staff_notes": "called back",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )
    request.refresh_from_db()
    assert request.staff_notes == "called back" and request.status == S.IN_PROGRESS


def test_support_enters_a_phone_request_and_sees_only_their_own(client, support):
    other = submit()
    client.force_login(support)
    response = client.post(
        f"{URL}add/",
        {
            "type": "erasure",
            "channel": "phone",
            "name": "Caller",
            "email": "caller@example.org",
            "country": "GB",
            "region": "",
            "relationship": "customer",
            "details": "called in",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    entered = PrivacyRequest.objects.get(email="caller@example.org")
    assert entered.channel == "phone" and entered.entered_by == support
    assert entered.jurisdiction == "UK" and entered.status == S.RECEIVED
    html = client.get(URL).content.decode()
    assert entered.reference in html and other.reference not in html
    assert client.get(f"{URL}{other.pk}/change/").status_code == 302  # not found
    assert action(client, "assign_to_me", [entered]).status_code in {200, 302}
    entered.refresh_from_db()
    assert entered.assignee is None


def test_auditor_sees_everything_and_changes_nothing(client, auditor, officer):
    request = in_progress(officer)
    client.force_login(auditor)
    page = client.get(URL)
    assert page.status_code == 200 and request.reference.encode() in page.content
    assert b'name="action"' not in page.content
    assert client.get(f"{URL}add/").status_code == 403
    action(client, "complete", [request], apply="1")
    request.refresh_from_db()
    assert request.status == S.IN_PROGRESS


def test_deadline_rules_are_seeded_and_edits_audited(client, officer):
    from privacyportal.audit.models import AuditEvent
    from requests_app.models import DeadlineRule

    codes = set(DeadlineRule.objects.values_list("code", flat=True))
    assert {"policy", "gdpr", "uk-gdpr", "us-45", "lgpd", "pipeda"} <= codes
    rule = DeadlineRule.objects.get(code="lgpd")
    client.force_login(officer)
    response = client.post(
        f"/admin/requests_app/deadlinerule/{rule.pk}/change/",
        {
            "code": "lgpd",
            "name": rule.name,
            "jurisdictions": ["BR"],
            "effective_from": "2020-09-18",
            "unit": "days",
            "amount": "20",
            "extension_unit": "days",
            "extension_amount": "0",
            "ack_business_days": "",
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.amount == 20
    assert AuditEvent.objects.filter(action="requests.deadlinerule.changed").exists()
    assert timezone.now()


def test_a_due_window_lists_the_most_urgent_first(client, officer):
    later = in_progress(officer)
    first = in_progress(officer)
    PrivacyRequest.objects.filter(pk=first.pk).update(
        due_at=later.due_at - timedelta(days=3)
    )
    with time_machine.travel(later.due_at + timedelta(days=1), tick=False):
        client.force_login(officer)
        html = client.get(URL + "?due=overdue").content.decode()
        clicked = client.get(URL + "?due=overdue&o=-4").content.decode()
    # Newest first would show ``first`` (filed last) on top; overdue is by due date.
    assert html.index(first.reference) < html.index(later.reference)
    # A column the user clicks still wins (here: due, latest first).
    assert clicked.index(later.reference) < clicked.index(first.reference)


def _references(html: str, *requests) -> list[str]:
    """The given requests' references in the order the page lists them."""
    found = [(html.find(r.reference), r.reference) for r in requests]
    return [ref for at, ref in sorted(found) if at >= 0]


def test_default_queue_is_open_requests_most_urgent_first(client, officer):
    later, sooner, overdue = in_progress(officer), verified(), verified()
    PrivacyRequest.objects.filter(pk=sooner.pk).update(
        due_at=later.due_at - timedelta(days=5)
    )
    PrivacyRequest.objects.filter(pk=overdue.pk).update(
        due_at=timezone.now() - timedelta(days=2)
    )
    closed = verified()
    services.request_deny(
        actor=officer, request=closed, reason="Excessive", legal_basis="Art 12(5)"
    )
    client.force_login(officer)
    html = client.get(URL).content.decode()
    assert _references(html, later, sooner, overdue, closed) == [
        overdue.reference,
        sooner.reference,
        later.reference,
    ]
    assert "Open requests, most urgent first" in html
    closed_only = client.get(URL, {"status": "closed"}).content.decode()
    assert _references(closed_only, later, closed) == [closed.reference]
    everything = client.get(URL, {"status": "all"}).content.decode()
    assert len(_references(everything, later, sooner, overdue, closed)) == 4


@pytest.mark.parametrize(
    ("query", "expect"),
    [
        ("status__exact=denied", {"closed"}),  # a field lookup an old link carries
        ("status=denied", {"closed"}),
        ("status=needs_info", {"waiting"}),
        ("needs_attention=yes", {"failed"}),
        ("needs_attention__exact=1", {"failed"}),
        ("jurisdiction=US-CA", {"california"}),
        ("jurisdiction=US-ANY", {"california"}),
        ("jurisdiction=EU", {"waiting", "failed"}),
        ("jurisdiction=OTHER", {"brazil"}),
        ("type=erasure", {"california"}),
    ],
)
def test_filter_links_old_and_new(client, officer, query, expect):
    rows = {
        "closed": verified(),
        "waiting": in_progress(officer),
        "failed": in_progress(officer),
        "california": verified(country="US", region="CA", type="erasure"),
        "brazil": verified(country="BR"),
    }
    services.request_deny(
        actor=officer, request=rows["closed"], reason="No", legal_basis="Art 12(5)"
    )
    services.request_ask(actor=officer, request=rows["waiting"], question="Which?")
    PrivacyRequest.objects.filter(pk=rows["failed"].pk).update(needs_attention=True)
    client.force_login(officer)
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert {name for name, r in rows.items() if r.reference in html} == expect
    assert ("needs attention</span>" in html) is ("failed" in expect)


def test_jurisdiction_filter_offers_groups_not_every_code(client, officer):
    client.force_login(officer)
    html = client.get(URL).content.decode()
    sidebar = html.split('id="changelist-filter"')[1]
    assert "EU / EEA" in sidebar and "United States" in sidebar
    assert "US: California" not in sidebar and "Wyoming" not in sidebar
    assert (
        "California (US)" in client.get(URL, {"jurisdiction": "US-CA"}).content.decode()
    )


def test_bulk_action_names_each_skipped_request_and_why(client, officer):
    fresh = [verified(), verified(), verified()]
    mine = in_progress(officer)
    closed = verified()
    services.request_deny(
        actor=officer, request=closed, reason="No", legal_basis="Art 12(5)"
    )
    client.force_login(officer)
    # Closed requests are listed (and so selectable) once the list shows them.
    response = action(client, "assign_to_me", [*fresh, mine, closed], "?status=all")
    said = [str(m) for m in response.wsgi_request._messages]
    assert said[0] == "3 of 5 requests assigned."
    assert set(said[1:]) == {
        f"{mine.reference} was not assigned: it is already assigned to you.",
        f"{closed.reference} was not assigned: it is closed (denied).",
    }


def test_bulk_form_sets_aside_what_it_cannot_do_before_the_form(client, officer):
    germany, brazil = (
        in_progress(officer, country="DE"),
        in_progress(officer, country="BR"),
    )
    client.force_login(officer)
    page = action(client, "extend", [germany, brazil]).content.decode()
    assert (
        f"{brazil.reference} was not extended: the law that applies allows no" in page
    )
    assert "Due after the extension" in page
    preview = page.split('class="pr-fulfilment pr-preview"')[1].split("</table>")[0]
    assert germany.reference in preview and brazil.reference not in preview
    lonely = action(client, "extend", [brazil])
    assert lonely.status_code == 302  # nothing to confirm: back, with the reason


def test_deadline_rules_read_in_words(admin_client):
    page = admin_client.get("/admin/requests_app/deadlinerule/").content.decode()
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    assert "EU / EEA" in body and "Everyone (company policy)" in body
    assert "[&quot;" not in body and '["' not in body
