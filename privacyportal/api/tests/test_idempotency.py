"""Idempotency-Key: one execution per key, the first answer replayed."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from consent_app.models import ConsentEvent
from privacyportal.api.idempotency import idempotency_sweep
from privacyportal.api.models import IdempotentCall
from privacyportal.api.tests.fixtures import ApiClient

GRANT = "/api/v1/consent/grant"
EVIDENCE = {
    "source_system": "CRM",
    "occurred_at": "2026-11-30T09:15:00Z",
    "text_shown": "Send me the newsletter",
}


def _body(email: str = "a@example.org") -> dict:
    return {"email": email, "purpose": "newsletter", "evidence": EVIDENCE}


@pytest.fixture
def writer(api, purposes) -> ApiClient:
    return api("consent:write")


def test_a_repeat_with_the_same_body_replays_the_first_answer(writer):
    first = writer.post(GRANT, _body(), HTTP_IDEMPOTENCY_KEY="k-1")
    again = writer.post(GRANT, _body(), HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and first.json()["recorded"] is True
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert ConsentEvent.objects.count() == 1


def test_the_same_key_with_another_body_is_a_409_and_runs_nothing(writer):
    writer.post(GRANT, _body(), HTTP_IDEMPOTENCY_KEY="k-1")
    other = writer.post(GRANT, _body("b@example.org"), HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 409
    assert other.json()["type"] == "urn:privacy-portal:problem:idempotency-key-reused"
    assert ConsentEvent.objects.count() == 1


def test_the_same_key_on_another_endpoint_is_a_409(writer):
    writer.post(GRANT, _body(), HTTP_IDEMPOTENCY_KEY="k-1")
    other = writer.post("/api/v1/consent/withdraw", _body(), HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 409


def test_keys_are_per_api_key(api, purposes):
    one, two = api("consent:write"), api("consent:write")
    one.post(GRANT, _body(), HTTP_IDEMPOTENCY_KEY="k-1")
    response = two.post(GRANT, _body("b@example.org"), HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 200 and "Idempotent-Replayed" not in response
    assert ConsentEvent.objects.count() == 2


def test_an_error_answer_is_replayed_as_given(writer):
    bad = {**_body(), "purpose": "telepathy"}
    first = writer.post(GRANT, bad, HTTP_IDEMPOTENCY_KEY="k-1")
    again = writer.post(GRANT, bad, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 400
    assert again.json() == first.json()
    assert again["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("key", ["", "x" * 256, "naïve", "tab\there"])
def test_a_malformed_idempotency_key_is_a_400(writer, key):
    response = writer.post(GRANT, _body(), HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert response.json()["type"].endswith(":bad-idempotency-key")
    assert not ConsentEvent.objects.exists()


def test_a_crash_midway_leaves_the_key_free_for_a_retry(writer, monkeypatch):
    def crash(**kwargs):
        raise ConnectionError("database went away")

    monkeypatch.setattr("consent_app.api.GrantView.change", staticmethod(crash))
    writer.client.raise_request_exception = False
    assert writer.post(GRANT, _body(), HTTP_IDEMPOTENCY_KEY="k-1").status_code == 500
    assert not IdempotentCall.objects.exists()
    monkeypatch.undo()
    retry = writer.post(GRANT, _body(), HTTP_IDEMPOTENCY_KEY="k-1")
    assert retry.status_code == 200 and retry.json()["recorded"] is True
    assert ConsentEvent.objects.count() == 1


def test_stored_answers_are_swept_after_the_retention(writer, settings):
    writer.post(GRANT, _body(), HTTP_IDEMPOTENCY_KEY="k-1")
    later = timezone.now() + timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
    assert idempotency_sweep() == 0
    with time_machine.travel(later + timedelta(minutes=1)):
        assert idempotency_sweep() == 1
    assert not IdempotentCall.objects.exists()


@pytest.mark.services  # PostgreSQL: row locks, not SQLite's one writer
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_run_once_and_both_get_the_answer(
    api, purposes, monkeypatch
):
    from consent_app import api as consent_api

    writer = api("consent:write")
    inside = threading.Event()
    release = threading.Event()
    real = consent_api.GrantView.change

    def slow(**kwargs):
        inside.set()
        release.wait(10)  # hold the first call open while the second arrives
        return real(**kwargs)

    monkeypatch.setattr(consent_api.GrantView, "change", staticmethod(slow))
    answers: list = []

    def call() -> None:
        try:
            answers.append(writer.post(GRANT, _body(), HTTP_IDEMPOTENCY_KEY="same"))
        finally:
            connection.close()

    first = threading.Thread(target=call)
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=call)
    second.start()
    second.join(1)  # it is waiting on the first call's row, not running
    assert second.is_alive()
    release.set()
    first.join(10)
    second.join(10)
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json() == answers[1].json()
    assert ConsentEvent.objects.count() == 1
    assert sorted("Idempotent-Replayed" in a for a in answers) == [False, True]
