from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from privacyportal.audit.models import AuditEvent
from privacyportal.registry import Outcome, materialise, registry
from privacyportal.subjects.tests.factories import (
    DataSubjectFactory,
    OrganizationFactory,
)
from retention_app.categories import RECORDINGS, TRANSCRIPTS
from retention_app.models import AccessGrant, ChatTranscript, DeletionRecord, Recording
from retention_app.selectors import certificate, certificate_csv
from retention_app.services import (
    ContentAccessError,
    RecordingDisabledError,
    content_open,
    grant_create,
    recording_delete,
    recording_disable,
    recording_register,
    retention_sweep,
    transcript_register,
)
from retention_app.tests.factories import RecordingFactory, ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return OrganizationFactory()


@pytest.fixture
def recording(actor, org):
    return recording_register(
        actor=actor,
        organization_id=org.pk,
        meeting_title="Quarterly review",
        started_at=ago(3),
        media=b"secret video",
    )


def grant(actor, org, hours=2):
    return grant_create(
        actor=actor,
        organization_id=org.pk,
        requested_by="Support agent Sam",
        approved_by="Customer admin Kim",
        purpose="Ticket 4411: audio problem",
        hours=hours,
    )


def test_content_is_encrypted_at_rest(recording):
    with default_storage.open(recording.media, "rb") as handle:
        stored = handle.read()
    assert b"secret video" not in stored


def test_no_grant_means_no_content(actor, recording):
    with pytest.raises(ContentAccessError):
        content_open(actor=actor, item=recording)
    assert not AuditEvent.objects.filter(action="retention.content.opened").exists()


def test_expired_grant_means_no_content(actor, org, recording):
    old = grant(actor, org)
    AccessGrant.objects.filter(pk=old.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    with pytest.raises(ContentAccessError):
        content_open(actor=actor, item=recording)


def test_each_opening_under_a_grant_is_audited(actor, org, recording):
    active = grant(actor, org)
    assert content_open(actor=actor, item=recording) == b"secret video"
    text = transcript_register(
        actor=actor,
        organization_id=org.pk,
        meeting_title="Quarterly review",
        started_at=ago(3),
        text="hello there",
        recording=recording,
    )
    assert b"hello there" not in bytes(text.text_encrypted)
    assert content_open(actor=actor, item=text) == b"hello there"
    opened = AuditEvent.objects.filter(action="retention.content.opened")
    assert opened.count() == 2
    assert {e.data["grant_id"] for e in opened} == {active.pk}


def test_grant_of_another_organization_does_not_open(actor, recording):
    grant(actor, OrganizationFactory())
    with pytest.raises(ContentAccessError):
        content_open(actor=actor, item=recording)


def test_customer_deletion_removes_recording_transcripts_and_file(
    actor, org, recording, django_capture_on_commit_callbacks
):
    transcript_register(
        actor=actor,
        organization_id=org.pk,
        meeting_title="Quarterly review",
        started_at=ago(3),
        text="chat",
        recording=recording,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert recording_delete(actor=actor, recording=recording) == 2
    assert not Recording.objects.exists() and not ChatTranscript.objects.exists()
    assert not default_storage.exists(recording.media)
    reasons = set(DeletionRecord.objects.values_list("reason", flat=True))
    assert reasons == {DeletionRecord.Reason.CUSTOMER}


def test_disabled_recording_refuses_new_recordings_and_can_purge(actor, org, recording):
    result = recording_disable(actor=actor, organization_id=org.pk, purge_existing=True)
    assert result.purged == 1 and result.held == 0
    with pytest.raises(RecordingDisabledError):
        recording_register(
            actor=actor, organization_id=org.pk, meeting_title="x", started_at=ago(0)
        )


def test_purging_on_disable_deletes_in_chunks_and_keeps_what_a_hold_covers(
    actor, org, monkeypatch
):
    from retention_app.services import content, hold_place

    monkeypatch.setattr(content, "DELETE_CHUNK", 3)
    rows = RecordingFactory.create_batch(7, organization=org, fresh=True)
    person = DataSubjectFactory()
    rows[1].participants.add(person)
    hold_place(actor=actor, scope="subject", reason="Case 9", subject_id=person.pk)
    other = RecordingFactory(fresh=True)  # another customer's: untouched

    result = recording_disable(actor=actor, organization_id=org.pk, purge_existing=True)

    assert (result.purged, result.held) == (6, 1)
    assert set(Recording.objects.values_list("pk", flat=True)) == {rows[1].pk, other.pk}
    events = AuditEvent.objects.filter(action="retention.recordings.deleted")
    # Chunks of 3 and 3 (the held one is not asked for), not one per recording.
    assert [len(e.data["ids"]) for e in events.order_by("pk")] == [3, 3]
    assert DeletionRecord.objects.filter(reason="customer").count() == 6


@pytest.mark.parametrize("scope", ["subject", "organization", "recordings"])
def test_recordings_delete_checks_the_holds_not_only_the_held_flag(actor, org, scope):
    from retention_app.services import hold_place, recordings_delete

    covered, free = RecordingFactory.create_batch(2, organization=org)
    person = DataSubjectFactory()
    covered.participants.add(person)
    where = {
        "subject": {"subject_id": person.pk},
        "organization": {"organization_id": org.pk},
        "recordings": {"recording_ids": [covered.pk]},
    }[scope]
    hold = hold_place(actor=actor, scope=scope, reason="Case 5", **where)
    # The flag as a row written behind the app's back would leave it.
    Recording.objects.update(held=False)
    result = recordings_delete(actor=actor, ids=[covered.pk, free.pk])
    kept = [covered, free] if scope == "organization" else [covered]
    assert result.refused == {r.pk: [hold] for r in kept}
    assert set(Recording.objects.values_list("pk", flat=True)) == {r.pk for r in kept}


def test_recordings_delete_costs_the_same_queries_for_many_as_for_few(actor, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from retention_app.services import recordings_delete

    def queries(n: int) -> int:
        ids = [r.pk for r in RecordingFactory.create_batch(n, organization=org)]
        for pk in ids[:: max(1, n // 3)]:
            Recording.objects.get(pk=pk).participants.add(DataSubjectFactory())
        with CaptureQueriesContext(connection) as captured:
            assert recordings_delete(actor=actor, ids=ids).deleted == n
        return len(captured)

    assert queries(30) == queries(3)


def test_recordings_are_stored_readable_by_the_owner_only_whatever_the_umask(
    actor, org, settings
):
    import os
    from pathlib import Path

    previous = os.umask(0)
    try:
        stored = recording_register(
            actor=actor,
            organization_id=org.pk,
            meeting_title="x",
            started_at=ago(0),
            media=b"secret video",
        )
    finally:
        os.umask(previous)
    path = Path(settings.MEDIA_ROOT) / stored.media
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert path.parent.parent.stat().st_mode & 0o777 == 0o700


def test_export_contains_metadata_and_decrypted_transcripts(actor, org, recording):
    person = DataSubjectFactory()
    recording.participants.add(person)
    transcript_register(
        actor=actor,
        organization_id=org.pk,
        meeting_title="Quarterly review",
        started_at=ago(3),
        text="my words",
        participant_ids=[person.pk],
    )
    data = materialise(registry.get("retention.recordings").export(person))
    assert data["recordings"][0]["id"] == recording.pk
    assert data["transcripts"][0]["text"] == "my words"


def test_erasure_deletes_unheld_items_with_receipts(actor, recording):
    person = DataSubjectFactory()
    recording.participants.add(person)
    result = registry.get("retention.recordings").erase(person, actor=actor)
    assert result.outcome == Outcome.DELETED and result.items == 1
    assert DeletionRecord.objects.get().reason == DeletionRecord.Reason.ERASURE


def test_certificate_counts_equal_the_receipts(actor, org):
    RecordingFactory.create_batch(3, organization=org)
    other = RecordingFactory()
    retention_sweep(actor=actor)
    survivor = RecordingFactory(organization=org, fresh=True)
    recording_delete(actor=actor, recording=survivor)

    cert = certificate(
        organization_id=org.pk, start=ago(1), end=timezone.now() + timedelta(1)
    )

    receipts = DeletionRecord.objects.filter(organization_id=org.pk)
    assert cert.total == receipts.count() == 4
    by_reason = {line.reason: line.count for line in cert.lines}
    assert by_reason == {"retention": 3, "customer": 1}
    csv_text = "".join(certificate_csv(cert))
    assert csv_text.count("\n") == 1 + 4
    assert str(other.pk) not in [row.split(",")[5] for row in csv_text.splitlines()[1:]]
    assert {line.category for line in cert.lines} <= {RECORDINGS, TRANSCRIPTS}
