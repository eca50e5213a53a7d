"""Consent over the API (consent_app/api.py)."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from consent_app.models import ConsentEvent, ConsentLink, Purpose, Source
from consent_app.services import consent_allows, consent_grant, consent_withdraw
from privacyportal.api.keys import api_key_create, api_key_revoke, key_hash
from privacyportal.api.models import ApiKey
from privacyportal.api.problems import CONTENT_TYPE
from privacyportal.audit.models import AuditEvent
from privacyportal.audit.services import Actor
from privacyportal.subjects.models import DataSubject
from privacyportal.subjects.tests.factories import DataSubjectFactory

SYSTEM = Actor.system()
EVIDENCE = {
    "source_system": "CRM",
    "occurred_at": "2026-11-30T09:15:00Z",
    "text_shown": "Send me the monthly newsletter",
}


def _get(client, key=None, **params):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    return client.get("/api/v1/consent", params, **headers)


# --- the read that existed before the API: same URL, same answers ------------------


def test_consent_read_refuses_calls_without_a_valid_key(client, purposes, subject):
    assert _get(client, email=subject.email, purpose="newsletter").status_code == 401
    assert _get(client, "ck_forged", email=subject.email).status_code == 401
    key, raw = api_key_create(actor=SYSTEM, name="CRM", scopes=["consent:read"])
    api_key_revoke(actor=SYSTEM, key=key)
    response = _get(client, raw, email=subject.email, purpose="newsletter")
    assert response.status_code == 401
    assert response["Content-Type"] == CONTENT_TYPE


def test_consent_read_answers_and_bad_input_does_not_reveal_the_address(
    client, purposes, subject
):
    _, raw = api_key_create(actor=SYSTEM, name="CRM", scopes=["consent:read"])
    consent_grant(actor=SYSTEM, subject=subject, purpose="newsletter", source="form")
    ok = _get(client, raw, email=subject.email.upper(), purpose="newsletter").json()
    assert ok["allowed"] is True and ok["since"]
    known = _get(client, raw, email=subject.email, purpose="telepathy")
    unknown = _get(client, raw, email="who@example.org", purpose="telepathy")
    assert known.status_code == unknown.status_code == 400
    assert known.json() == unknown.json()
    assert _get(client, raw, email="bad", purpose="newsletter").status_code == 400
    nobody = _get(client, raw, email="who@example.org", purpose="newsletter").json()
    assert nobody == {
        "email": "who@example.org",
        "purpose": "newsletter",
        "allowed": False,
        "since": None,
        "policy_version": None,
    }


def test_api_keys_are_stored_hashed(purposes):
    key, raw = api_key_create(actor=SYSTEM, name="Ads", scopes=["consent:read"])
    assert raw.startswith("ck_") and raw not in key.key_hash
    assert key.prefix == raw[:10] and key.key_hash == key_hash(raw)


# --- answers equal consent_allows ----------------------------------------------


def _people(purposes) -> list[DataSubject]:
    """A subject in every state consent_allows distinguishes."""
    granted, withdrawn, child, restricted, renewal = DataSubjectFactory.create_batch(5)
    for person in (granted, restricted, renewal):
        consent_grant(actor=SYSTEM, subject=person, purpose="newsletter", source="form")
    consent_withdraw(
        actor=SYSTEM, subject=withdrawn, purpose="newsletter", source="form"
    )
    DataSubject.objects.filter(pk=child.pk).update(is_under_13=True)
    DataSubject.objects.filter(pk=restricted.pk).update(processing_restricted=True)
    # A less-protective policy after renewal's consent: it must be given again.
    Purpose.objects.filter(code="newsletter").update(
        reconsent_since=timezone.now() + timedelta(seconds=1)
    )
    return list(
        DataSubject.objects.filter(
            pk__in=[p.pk for p in (granted, withdrawn, child, restricted, renewal)]
        )
    )


def test_batch_read_answers_equal_consent_allows_for_every_state(api, purposes):
    people = _people(purposes)
    emails = [p.email for p in people] + ["unknown@example.org"]
    response = api().post("/api/v1/consent/batch-read", {"emails": emails})
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    active = list(Purpose.objects.filter(active=True))
    assert len(results) == len(emails) * len(active)
    by_email = {p.email: p for p in people}
    for row in results:
        subject = by_email.get(row["email"])
        assert row["allowed"] is consent_allows(subject, row["purpose"]), row


def test_single_and_subject_reads_equal_consent_allows(api, purposes):
    people = _people(purposes)
    client = api()
    for person in people:
        one = client.get(
            "/api/v1/consent", {"email": person.email, "purpose": "newsletter"}
        )
        assert one.json()["allowed"] is consent_allows(person, "newsletter")
        every = client.get("/api/v1/consent/subject", {"email": person.email}).json()
        for row in every["purposes"]:
            assert row["allowed"] is consent_allows(person, row["purpose"])


def test_a_single_read_is_one_query_once_the_key_is_known(
    api, purposes, subject, django_assert_num_queries
):
    consent_grant(actor=SYSTEM, subject=subject, purpose="newsletter", source="form")
    client = api()
    query = {"email": f" {subject.email.upper()} ", "purpose": "newsletter"}
    client.get("/api/v1/consent", query)  # finds the key and notes its use
    with django_assert_num_queries(1):
        body = client.get("/api/v1/consent", query).json()
    assert body["allowed"] is True and body["since"] is not None
    assert body["email"] == subject.email
    unknown = {"email": "nobody@example.org", "purpose": "newsletter"}
    assert client.get("/api/v1/consent", unknown).json() == {
        **unknown,
        "allowed": purposes["newsletter"].default_granted,
        "since": None,
        "policy_version": None,
    }


def test_batch_read_takes_at_most_100_addresses(api, purposes):
    emails = [f"p{n}@example.org" for n in range(101)]
    response = api().post("/api/v1/consent/batch-read", {"emails": emails})
    assert response.status_code == 400
    assert "emails" in response.json()["errors"]


def test_batch_read_refuses_an_unknown_purpose_before_any_lookup(
    api, purposes, django_assert_max_num_queries
):
    client = api()
    with django_assert_max_num_queries(4):  # key, touch, purpose lookups: no subject
        response = client.post(
            "/api/v1/consent/batch-read",
            {"emails": ["a@example.org"], "purposes": ["telepathy"]},
        )
    assert response.status_code == 400
    assert response.json()["type"] == "urn:privacy-portal:problem:invalid-input"


def test_batch_read_of_100_addresses_is_a_handful_of_queries(
    api, purposes, django_assert_max_num_queries
):
    DataSubjectFactory.create_batch(50)
    emails = [f"person{n}@example.org" for n in range(100)]
    client = api()
    with django_assert_max_num_queries(6):
        response = client.post("/api/v1/consent/batch-read", {"emails": emails})
    assert response.status_code == 200


# --- writes ------------------------------------------------------------------


def test_grant_through_the_api_records_evidence_and_audits_the_key(api, purposes):
    client = api("consent:write")
    body = {"email": "New@Example.org", "purpose": "newsletter", "evidence": EVIDENCE}
    response = client.post("/api/v1/consent/grant", body)
    assert response.status_code == 200, response.content
    assert response.json()["allowed"] is True and response.json()["recorded"] is True
    subject = DataSubject.objects.by_email("new@example.org").get()
    event = ConsentEvent.objects.get(subject=subject)
    assert event.source == Source.API
    assert (
        "CRM" in event.evidence and "Send me the monthly newsletter" in event.evidence
    )
    assert "2026-11-30T09:15:00" in event.evidence
    key = ApiKey.objects.get()
    by_key = AuditEvent.objects.filter(actor_type="api_key", actor_id=str(key.pk))
    assert set(by_key.values_list("action", flat=True)) == {
        "subjects.subject.created",
        "consent.consent.granted",
    }
    assert by_key.first().actor_label == f"API key {key.name}"
    assert consent_allows(subject, "newsletter") is True


def test_withdraw_twice_records_once(api, purposes, subject):
    client = api("consent:write")
    body = {"email": subject.email, "purpose": "newsletter", "evidence": EVIDENCE}
    consent_grant(actor=SYSTEM, subject=subject, purpose="newsletter", source="form")
    first = client.post("/api/v1/consent/withdraw", body).json()
    second = client.post("/api/v1/consent/withdraw", body).json()
    assert first["recorded"] is True and second["recorded"] is False
    assert first["allowed"] is second["allowed"] is False
    assert ConsentEvent.objects.filter(subject=subject, action="withdrawn").count() == 1


def test_grant_for_a_child_is_a_conflict_and_changes_nothing(api, purposes):
    child = DataSubjectFactory(child=True)
    body = {"email": child.email, "purpose": "newsletter", "evidence": EVIDENCE}
    response = api("consent:write").post("/api/v1/consent/grant", body)
    assert response.status_code == 409
    assert response.json()["type"] == "urn:privacy-portal:problem:conflict"
    assert not ConsentEvent.objects.filter(subject=child).exists()


def test_changes_need_consent_write(api, purposes, subject):
    body = {"email": subject.email, "purpose": "newsletter", "evidence": EVIDENCE}
    response = api("consent:read").post("/api/v1/consent/grant", body)
    assert response.status_code == 403
    assert response.json()["type"] == "urn:privacy-portal:problem:missing-scope"
    assert not ConsentEvent.objects.exists()


def test_a_change_without_evidence_is_refused(api, purposes, subject):
    body = {"email": subject.email, "purpose": "newsletter"}
    response = api("consent:write").post("/api/v1/consent/grant", body)
    assert response.status_code == 400
    assert "evidence" in response.json()["errors"]
    assert not ConsentEvent.objects.exists()


def test_unknown_evidence_fields_are_refused(api, purposes, subject):
    evidence = {**EVIDENCE, "shown_by": "me"}
    body = {"email": subject.email, "purpose": "newsletter", "evidence": evidence}
    response = api("consent:write").post("/api/v1/consent/grant", body)
    assert response.status_code == 400
    assert response.json()["errors"] == {"evidence": {"shown_by": ["Unknown field."]}}


# --- unsubscribe headers -----------------------------------------------------


def test_unsubscribe_headers_work_as_a_one_click_post(api, purposes, subject):
    consent_grant(actor=SYSTEM, subject=subject, purpose="newsletter", source="form")
    body = {"email": subject.email, "purpose": "newsletter"}
    response = api("consent:write").post("/api/v1/consent/unsubscribe-headers", body)
    assert response.status_code == 200, response.content
    headers = response.json()
    assert headers["list_unsubscribe_post"] == "List-Unsubscribe=One-Click"
    url = headers["list_unsubscribe"]
    assert url.startswith("<http") and url.endswith(">")
    path = "/" + url[1:-1].split("/", 3)[3]
    assert Client().post(path).status_code == 200
    assert consent_allows(subject, "newsletter") is False
    assert (
        ConsentLink.objects.filter(subject=subject, used_at__isnull=False).count() == 1
    )


def test_unsubscribe_headers_only_for_marketing_purposes(api, purposes, subject):
    code = Purpose.objects.filter(is_marketing=False).values_list("code", flat=True)[0]
    body = {"email": subject.email, "purpose": code}
    response = api("consent:write").post("/api/v1/consent/unsubscribe-headers", body)
    assert response.status_code == 400
    assert not ConsentLink.objects.exists()
