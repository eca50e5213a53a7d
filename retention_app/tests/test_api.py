"""Recordings over the API: register, upload by streaming, delete, settings."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.storage import default_storage
from django.http import HttpRequest

from privacyportal.api.tests.fixtures import assert_problem
from privacyportal.audit.models import AuditEvent
from privacyportal.audit.services import Actor
from privacyportal.subjects.models import DataSubject
from privacyportal.subjects.tests.factories import OrganizationFactory
from retention_app import crypto
from retention_app.models import CallRecord, ChatTranscript, DeletionRecord, Recording
from retention_app.services import (
    hold_place,
    recording_settings_update,
)
from retention_app.tests.factories import RecordingFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/recordings"
VIDEO = b"frame " * 50_000  # 300 kB: several encryption chunks, over the JSON limit


@pytest.fixture
def org(db):
    return OrganizationFactory(slug="acme")


@pytest.fixture
def client(api):
    return api("recordings:write", name="Conferencing")


def meeting(**overrides) -> dict:
    body = {
        "organization": "acme",
        "meeting_title": "Weekly sync",
        "started_at": "2026-11-02T10:00:00+00:00",
        "duration_seconds": 1800,
        "participants": ["ada@example.org", "bob@example.org"],
    }
    return {**body, **overrides}


def registered(client) -> dict:
    response = client.post(URL, meeting(transcript="hi all"))
    assert response.status_code == 201, response.content
    return response.json()


def test_a_recording_is_registered_with_its_expiry_and_transcript(client, org):
    body = registered(client)
    row = Recording.objects.get(pk=body["id"])
    assert body["organization"] == "acme" and body["has_content"] is False
    assert body["purge_after"] is not None and row.purge_after is not None
    assert set(row.participants.values_list("email", flat=True)) == {
        "ada@example.org",
        "bob@example.org",
    }
    transcript = ChatTranscript.objects.get(pk=body["transcript_id"])
    assert transcript.recording_id == row.pk
    event = AuditEvent.objects.get(action="retention.recording.registered")
    assert event.actor_label == "API key Conferencing"


def test_the_content_is_streamed_encrypted_and_checksummed(client, org, settings):
    settings.API_MAX_BODY_BYTES = 64 * 1024  # the upload is over the JSON limit
    recording = registered(client)
    digest = hashlib.sha256(VIDEO).hexdigest()
    response = client.put(
        f"{URL}/{recording['id']}/content", VIDEO, HTTP_X_CONTENT_SHA256=digest
    )
    assert response.status_code == 200, response.content
    assert response.json()["checksum"] == digest
    assert response.json()["size_bytes"] == len(VIDEO)
    row = Recording.objects.get(pk=recording["id"])
    with default_storage.open(row.media, "rb") as handle:
        assert b"frame frame" not in handle.read(4096)
    with default_storage.open(row.media, "rb") as handle:
        plain = b"".join(
            crypto.decrypt_stream(row.organization_id, handle, name=row.media)
        )
    assert plain == VIDEO
    event = AuditEvent.objects.get(action="retention.recording.content_stored")
    assert event.actor_label == "API key Conferencing"


def test_the_same_content_again_changes_nothing_and_other_content_is_409(client, org):
    recording = registered(client)
    path = f"{URL}/{recording['id']}/content"
    first = client.put(path, VIDEO)
    again = client.put(path, VIDEO)
    assert again.status_code == 200 and again.json() == first.json()
    other = client.put(path, b"another film")
    assert "other content" in assert_problem(other, 409, "conflict")["detail"]
    assert len(default_storage.listdir(f"recordings/{org.pk}")[1]) == 1


def test_a_checksum_that_differs_stores_nothing(client, org):
    recording = registered(client)
    response = client.put(
        f"{URL}/{recording['id']}/content", VIDEO, HTTP_X_CONTENT_SHA256="0" * 64
    )
    assert_problem(response, 409, "conflict")
    assert Recording.objects.get(pk=recording["id"]).media == ""
    assert (
        not default_storage.exists(f"recordings/{org.pk}")
        or not (default_storage.listdir(f"recordings/{org.pk}")[1])
    )


def test_content_over_the_upload_limit_is_413(client, org, settings):
    settings.API_MAX_UPLOAD_BYTES = 1024
    recording = registered(client)
    response = client.put(f"{URL}/{recording['id']}/content", b"x" * 2048)
    assert_problem(response, 413, "body-too-large")
    assert Recording.objects.get(pk=recording["id"]).media == ""


def test_a_json_body_over_the_json_limit_is_still_413(client, org, settings):
    settings.API_MAX_BODY_BYTES = 1024
    response = client.post(URL, meeting(transcript="x" * 4096))
    assert_problem(response, 413, "body-too-large")
    assert not Recording.objects.exists()


def test_content_must_be_octet_stream(client, org):
    recording = registered(client)
    response = client.put(
        f"{URL}/{recording['id']}/content", b"{}", content_type="application/json"
    )
    assert_problem(response, 415, "unsupported-media-type")


def test_a_held_recording_is_not_deleted_and_the_409_names_the_hold(
    client, org, django_user_model
):
    recording = RecordingFactory(organization=org)
    officer = django_user_model.objects.create_superuser("o", "o@x.org", "pw-x-123456")
    hold_place(
        actor=officer,
        scope="recordings",
        recording_ids=[recording.pk],
        reason="Subpoena",
        matter_reference="M-17",
    )
    response = client.delete(f"{URL}/{recording.pk}")
    detail = assert_problem(response, 409, "conflict")["detail"]
    assert "legal hold" in detail and "M-17" in detail
    assert Recording.objects.filter(pk=recording.pk).exists()


def test_a_recording_is_deleted_through_the_retention_service(client, org):
    recording = RecordingFactory(organization=org)
    response = client.delete(f"{URL}/{recording.pk}")
    assert response.status_code == 204
    assert not Recording.objects.filter(pk=recording.pk).exists()
    assert DeletionRecord.objects.filter(item_id=str(recording.pk)).exists()
    assert_problem(client.delete(f"{URL}/{recording.pk}"), 404, "not-found")


def test_a_transcript_and_a_call_record_are_registered(client, org):
    transcript = client.post(
        "/api/v1/transcripts",
        {
            **{k: v for k, v in meeting().items() if k != "duration_seconds"},
            "text": "hi",
        },
    )
    assert transcript.status_code == 201, transcript.content
    assert ChatTranscript.objects.get(pk=transcript.json()["id"]).recording is None
    call = client.post(
        "/api/v1/call-records",
        {
            "organization": "acme",
            "started_at": "2026-11-02T10:00:00+00:00",
            "participant_count": 3,
            "email": "ada@example.org",
        },
    )
    assert call.status_code == 201, call.content
    record = CallRecord.objects.get(pk=call.json()["id"])
    assert record.subject == DataSubject.objects.get(email="ada@example.org")


def test_the_retention_settings_say_which_rule_is_in_force(client, org):
    default = client.get(f"/api/v1/organizations/{org.slug}/retention").json()
    assert default["recording"]["set_by"] == "portal"
    recording_settings_update(
        actor=Actor.system("test"), organization_id=org.pk, recording_until_deleted=True
    )
    own = client.get(f"/api/v1/organizations/{org.slug}/retention").json()
    assert own["recording"] == {
        "days": None,
        "set_by": "customer",
        "previous_days": None,
        "grace_until": None,
    }
    assert own["recording_enabled"] is True
    missing = client.get("/api/v1/organizations/nobody/retention")
    assert_problem(missing, 404, "not-found")


@pytest.mark.parametrize(
    "overrides",
    [
        {"organization": "nobody"},
        {"started_at": "last week"},
        {"participants": ["not-an-address"]},
        {"duration_seconds": -1},
        {"colour": "blue"},
    ],
)
def test_bad_metadata_is_a_400_problem_and_registers_nothing(client, org, overrides):
    assert_problem(client.post(URL, meeting(**overrides)), 400, "invalid-input")
    assert not Recording.objects.exists()


def test_a_repeated_idempotency_key_registers_once(client, org):
    first = client.post(URL, meeting(), HTTP_IDEMPOTENCY_KEY="rec-1")
    again = client.post(URL, meeting(), HTTP_IDEMPOTENCY_KEY="rec-1")
    assert first.json() == again.json() and again["Idempotent-Replayed"] == "true"
    assert Recording.objects.count() == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", URL),
        ("put", f"{URL}/1/content"),
        ("delete", f"{URL}/1"),
        ("get", "/api/v1/organizations/acme/retention"),
        ("post", "/api/v1/call-records"),
    ],
)
def test_a_key_without_recordings_write_is_403(api, org, method, path):
    client = api("reports:read")
    if method == "post":
        response = client.post(path, meeting())
    elif method == "put":
        response = client.put(path, b"x")
    else:
        response = getattr(client, method)(path)
    assert_problem(response, 403, "missing-scope")
    assert not Recording.objects.exists()


def test_the_upload_is_never_read_whole_into_memory(client, org, monkeypatch):
    recording = registered(client)

    def whole_body(request):
        raise AssertionError("the upload's body was read whole")

    monkeypatch.setattr(HttpRequest, "body", property(whole_body))
    response = client.put(f"{URL}/{recording['id']}/content", VIDEO)
    assert response.status_code == 200, response.content
    assert response.json()["size_bytes"] == len(VIDEO)


def test_a_start_date_beyond_any_expiry_is_a_400_problem(client, org):
    response = client.post(URL, meeting(started_at="9999-12-31T23:00:00+00:00"))
    assert_problem(response, 400, "invalid-input")
    assert not Recording.objects.exists()
