"""Keys: who may call, from where, with what scope."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from privacyportal.api import keys
from privacyportal.api.keys import (
    ApiKeyError,
    api_key_create,
    api_key_revoke,
    api_key_update,
)
from privacyportal.api.models import ApiKey
from privacyportal.api.problems import CONTENT_TYPE
from privacyportal.api.tests.fixtures import ApiClient
from privacyportal.audit.models import AuditEvent
from privacyportal.audit.services import Actor

URL = "/api/v1/consent"
QUERY = {"email": "someone@example.org", "purpose": "newsletter"}
SYSTEM = Actor.system()


def _problem(response, status: int, slug: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == CONTENT_TYPE
    assert response.json()["type"] == f"urn:privacy-portal:problem:{slug}"
    assert response.json()["status"] == status


def test_a_call_without_a_key_is_401_with_a_bearer_challenge(purposes):
    response = ApiClient(None).get(URL, QUERY)
    _problem(response, 401, "unauthenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header", ["Bearer ck_" + "x" * 43, "Basic Zm9vOmJhcg==", "Bearer", "ck_abc"]
)
def test_an_unknown_or_malformed_key_is_401(purposes, header):
    client = ApiClient(None)
    _problem(client.get(URL, QUERY, HTTP_AUTHORIZATION=header), 401, "unauthenticated")


def test_a_revoked_key_is_401(purposes):
    key, raw = api_key_create(actor=SYSTEM, name="CRM", scopes=["consent:read"])
    assert ApiClient(raw).get(URL, QUERY).status_code == 200
    api_key_revoke(actor=SYSTEM, key=key)
    _problem(ApiClient(raw).get(URL, QUERY), 401, "unauthenticated")


def test_an_expired_key_is_401(purposes):
    expires = timezone.now() + timedelta(days=1)
    _, raw = api_key_create(
        actor=SYSTEM, name="CRM", scopes=["consent:read"], expires_at=expires
    )
    assert ApiClient(raw).get(URL, QUERY).status_code == 200
    with time_machine.travel(expires + timedelta(seconds=1)):
        _problem(ApiClient(raw).get(URL, QUERY), 401, "unauthenticated")


def test_a_key_outside_its_allowed_networks_is_403(purposes, make_key):
    raw = make_key(allowed_ips="10.1.0.0/16\n2001:db8::1")
    client = ApiClient(raw)
    _problem(client.get(URL, QUERY), 403, "address-not-allowed")  # from 127.0.0.1
    assert client.get(URL, QUERY, REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get(URL, QUERY, REMOTE_ADDR="2001:db8::1").status_code == 200


def test_the_allow_list_reads_the_client_behind_trusted_proxies(
    purposes, make_key, settings
):
    settings.PROXY_COUNT = 1
    client = ApiClient(make_key(allowed_ips="10.1.0.0/16"))
    behind = {"REMOTE_ADDR": "192.0.2.1", "HTTP_X_FORWARDED_FOR": "10.1.2.3"}
    forged = {"REMOTE_ADDR": "192.0.2.1", "HTTP_X_FORWARDED_FOR": "10.1.2.3, 8.8.8.8"}
    assert client.get(URL, QUERY, **behind).status_code == 200
    assert client.get(URL, QUERY, **forged).status_code == 403


def test_a_key_without_the_scope_is_403_and_names_it(purposes, make_key):
    response = ApiClient(make_key(["reports:read"])).get(URL, QUERY)
    _problem(response, 403, "missing-scope")
    assert "consent:read" in response.json()["detail"]


def test_last_use_is_written_at_most_every_five_minutes(purposes, make_key):
    raw = make_key()
    client = ApiClient(raw)
    client.get(URL, QUERY)
    first = ApiKey.objects.get().last_used_at
    client.get(URL, QUERY)
    assert ApiKey.objects.get().last_used_at == first is not None
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        client.get(URL, QUERY)
    assert ApiKey.objects.get().last_used_at > first


def test_key_changes_are_audited_without_the_key(db):
    key, raw = api_key_create(actor=SYSTEM, name="CRM", scopes=["consent:read"])
    api_key_update(actor=SYSTEM, key=key, scopes=["consent:read", "consent:write"])
    api_key_revoke(actor=SYSTEM, key=key)
    assert api_key_revoke(actor=SYSTEM, key=key) is False
    events = AuditEvent.objects.filter(target_type="api.apikey", target_id=str(key.pk))
    assert sorted(events.values_list("action", flat=True)) == [
        "api.key.changed",
        "api.key.created",
        "api.key.revoked",
    ]
    for event in events:
        assert raw not in str(event.data) and key.key_hash not in str(event.data)


def test_a_revoked_key_cannot_be_changed(db):
    key, _ = api_key_create(actor=SYSTEM, name="CRM", scopes=["consent:read"])
    api_key_revoke(actor=SYSTEM, key=key)
    with pytest.raises(ApiKeyError):
        api_key_update(actor=SYSTEM, key=key, scopes=["consent:write"])
    assert ApiKey.objects.get().scopes == ["consent:read"]


@pytest.mark.parametrize(
    "fields",
    [
        {"scopes": ["consent:everything"]},
        {"allowed_ips": "10.0.0.0/33"},
        {"allowed_ips": "not an address"},
        {"expires_at": timezone.now() - timedelta(days=1)},
    ],
)
def test_a_key_with_bad_fields_is_not_created(db, fields):
    with pytest.raises(ApiKeyError):
        api_key_create(
            actor=SYSTEM, name="CRM", **{"scopes": ["consent:read"], **fields}
        )
    assert not ApiKey.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_key_revoked_by_another_process_is_refused_within_seconds(
    purposes, monkeypatch
):
    key, raw = api_key_create(actor=SYSTEM, name="CRM", scopes=["consent:read"])
    client = ApiClient(raw)
    assert client.get(URL, QUERY).status_code == 200
    # Another worker revokes it: this one keeps the key it found for a moment.
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    assert client.get(URL, QUERY).status_code == 200
    later = keys._clock() + keys.FOUND_SECONDS + 1
    monkeypatch.setattr(keys, "_clock", lambda: later)
    _problem(client.get(URL, QUERY), 401, "unauthenticated")


def test_a_scope_taken_away_here_applies_to_the_next_call(purposes):
    key, raw = api_key_create(actor=SYSTEM, name="CRM", scopes=["consent:read"])
    client = ApiClient(raw)
    assert client.get(URL, QUERY).status_code == 200
    api_key_update(actor=SYSTEM, key=key, scopes=["reports:read"])
    _problem(client.get(URL, QUERY), 403, "missing-scope")
