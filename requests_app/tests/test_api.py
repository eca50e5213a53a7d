"""Requests over the API: filed as the form files them, read and listed by key."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from privacyportal import mail as outbox
from privacyportal.api.tests.fixtures import assert_problem
from privacyportal.audit.models import AuditEvent
from requests_app.models import PrivacyRequest, RequestLink
from requests_app.tests.factories import submit, token_from, verified
from requests_app.tests.test_views import FORM, payload

pytestmark = pytest.mark.django_db
URL = "/api/v1/requests"


def filing(**overrides) -> dict:
    body = {
        "type": "access",
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "country": "US",
        "region": "CA",
        "relationship": "customer",
        "details": "Filed by phone with the helpdesk.",
    }
    return {**body, **overrides}


def test_a_filing_gets_the_same_deadline_as_the_form_for_the_jurisdiction(
    api, post_form
):
    assert post_form(FORM, payload(country="US", region="CA")).status_code == 302
    by_form = PrivacyRequest.objects.get(email="ada@example.org")
    response = api("requests:write").post(URL, filing(email="bob@example.org"))
    assert response.status_code == 201, response.content
    body = response.json()
    by_api = PrivacyRequest.objects.get(reference=body["reference"])
    assert by_api.channel == "api" and body["channel"] == "api"
    assert body["jurisdiction"] == by_form.jurisdiction == "US-CA"
    assert by_api.due_at == by_form.due_at
    assert by_api.ack_due_at == by_form.ack_due_at
    assert parse_datetime(body["due_at"]) == by_form.due_at
    assert body["reference"].startswith("PR-") and body["status"] == "received"


def test_a_filing_e_mails_the_verification_link_and_never_answers_with_a_token(api):
    response = api("requests:write").post(URL, filing())
    request = PrivacyRequest.objects.get(reference=response.json()["reference"])
    token = token_from(request)  # the e-mail the form path sends, with its link
    assert RequestLink.objects.filter(
        request=request, purpose=RequestLink.Purpose.VERIFY
    ).exists()
    assert token not in response.content.decode()
    assert any(m.to == ["ada@example.org"] for m in mail.outbox)


def test_a_filing_is_audited_with_the_key_as_actor(api):
    api("requests:write", name="Helpdesk").post(URL, filing())
    event = AuditEvent.objects.get(action="requests.request.received")
    assert event.actor_type == AuditEvent.ActorType.API_KEY
    assert event.actor_label == "API key Helpdesk"


def test_a_filing_is_refused_by_the_forms_own_rules(api):
    client = api("requests:write")
    complaint = client.post(URL, filing(type="complaint", details=""))
    assert "details" in assert_problem(complaint, 400, "invalid-input")["errors"]
    no_state = client.post(URL, filing(region=""))
    assert "region" in assert_problem(no_state, 400, "invalid-input")["errors"]
    agent = client.post(URL, filing(is_agent=True))
    assert "agent_name" in assert_problem(agent, 400, "invalid-input")["errors"]
    assert not PrivacyRequest.objects.exists()


@pytest.mark.parametrize(
    "body",
    [filing(colour="blue"), filing(type="nonsense"), filing(email="not-an-address")],
)
def test_unknown_fields_and_bad_values_are_400_problems(api, body):
    assert_problem(api("requests:write").post(URL, body), 400, "invalid-input")
    assert not PrivacyRequest.objects.exists()


def test_malformed_json_is_a_400_problem(api):
    response = api("requests:write").post(
        URL, "{not json", content_type="application/json"
    )
    assert_problem(response, 400, "malformed-body")


def test_a_repeated_idempotency_key_files_once(api):
    client = api("requests:write")
    first = client.post(URL, filing(), HTTP_IDEMPOTENCY_KEY="call-1")
    again = client.post(URL, filing(), HTTP_IDEMPOTENCY_KEY="call-1")
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert PrivacyRequest.objects.count() == 1
    other = client.post(URL, filing(name="Someone Else"), HTTP_IDEMPOTENCY_KEY="call-1")
    assert_problem(other, 409, "idempotency-key-reused")


@pytest.mark.parametrize(
    ("scopes", "method", "path"),
    [
        (["requests:read"], "post", URL),
        (["requests:write"], "get", URL),
        (["requests:write"], "get", f"{URL}/PR-2026-000001"),
        (["consent:read"], "get", URL),
    ],
)
def test_a_key_without_the_scope_is_403(api, scopes, method, path):
    client = api(*scopes)
    response = client.post(path, filing()) if method == "post" else client.get(path)
    assert_problem(response, 403, "missing-scope")
    assert not PrivacyRequest.objects.exists()


def test_one_request_reads_with_its_timeline_in_words(api):
    request = submit(country="US", region="CA")
    response = api("requests:read").get(f"{URL}/{request.reference}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["reference"] == request.reference
    assert body["status_words"] == "Received"
    whats = [entry["what"] for entry in body["timeline"]]
    assert whats[0] == "Request received"
    assert not any("." in what and " " not in what for what in whats)  # no codes


def test_an_unknown_reference_is_a_404_problem(api):
    assert_problem(api("requests:read").get(f"{URL}/PR-2026-999999"), 404, "not-found")


def test_the_list_filters_by_status_type_jurisdiction_and_overdue(api):
    late = verified(country="US", region="CA", type="erasure")
    submit(country="DE")
    PrivacyRequest.objects.filter(pk=late.pk).update(
        due_at=timezone.now() - timedelta(days=1)
    )
    client = api("requests:read")

    def refs(**params) -> list[str]:
        response = client.get(URL, params)
        assert response.status_code == 200, response.content
        return [row["reference"] for row in response.json()["results"]]

    assert refs(jurisdiction="us-ca") == [late.reference]
    assert refs(type="erasure", status="verified") == [late.reference]
    assert refs(overdue="true") == [late.reference]
    assert late.reference not in refs(overdue="false") and len(refs()) == 2
    assert refs(due_before=timezone.now().isoformat()) == [late.reference]
    assert refs(received_after=(timezone.now() + timedelta(hours=1)).isoformat()) == []


def test_the_list_pages_with_a_cursor(api):
    made = [submit().reference for _ in range(3)]
    client = api("requests:read")
    first = client.get(URL, {"page_size": 2}).json()
    assert [r["reference"] for r in first["results"]] == made[::-1][:2]
    second = client.get(first["next"]).json()
    assert [r["reference"] for r in second["results"]] == made[:1]


@pytest.mark.parametrize("cursor", ["garbage!", "", "bm90IGEgY3Vyc29y"])
def test_a_bad_cursor_is_a_400_problem(api, cursor):
    response = api("requests:read").get(URL, {"cursor": cursor})
    assert_problem(response, 400, "bad-cursor")


def test_a_bad_filter_is_a_400_problem(api):
    client = api("requests:read")
    assert_problem(client.get(URL, {"status": "lost"}), 400, "invalid-input")
    assert_problem(client.get(URL, {"due_before": "soon"}), 400, "invalid-input")
    assert_problem(client.get(URL, {"colour": "blue"}), 400, "invalid-input")


def test_the_timeline_names_the_key_that_filed(api):
    response = api("requests:write", name="Helpdesk").post(URL, filing())
    reference = response.json()["reference"]
    outbox.send_pending()
    detail = api("requests:read").get(f"{URL}/{reference}").json()
    assert detail["timeline"][0]["who"] == "API key Helpdesk"


def test_filings_for_one_address_share_the_forms_hourly_limit(api, settings):
    settings.REQUEST_RATE_PER_EMAIL = 1
    client = api("requests:write")
    assert client.post(URL, filing()).status_code == 201
    assert_problem(client.post(URL, filing(type="erasure")), 429, "rate-limited")
    assert client.post(URL, filing(email="bob@example.org")).status_code == 201
    assert PrivacyRequest.objects.count() == 2
