"""recording.deleted names every deleted recording by id: sweep batches, erasure."""

from __future__ import annotations

import json

import pytest

from privacyportal.api.webhooks import events
from privacyportal.api.webhooks.models import WebhookDelivery
from privacyportal.audit.models import AuditEvent
from privacyportal.audit.services import Actor, verify_chain
from privacyportal.registry import registry
from privacyportal.subjects.tests.factories import DataSubjectFactory
from retention_app.categories import RECORDINGS, recording_category
from retention_app.models import ChatTranscript, DeletionRecord, Recording
from retention_app.services import recording_delete, retention_sweep
from retention_app.tests.factories import RecordingFactory, ago

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


@pytest.fixture(params=["one statement", "portable"])
def sweep_path(request, monkeypatch):
    """The sweep's PostgreSQL batch statement, and the path other databases take."""
    if request.param == "portable":
        monkeypatch.setattr(recording_category, "dispose_batch_recorded", None)
    return request.param


def deleted_events() -> list[dict]:
    rows = WebhookDelivery.objects.filter(event_type="recording.deleted")
    return [row.payload for row in rows.order_by("pk")]


def named(bodies: list[dict]) -> list[str]:
    return [o["id"] for body in bodies for o in body["objects"]]


def test_a_sweep_over_three_batches_sends_one_event_per_batch_naming_exactly_them(
    subscription, sweep_path
):
    due = RecordingFactory.create_batch(5)
    RecordingFactory(fresh=True)
    RecordingFactory(keep=True)

    run = retention_sweep(actor=SYSTEM, only=[RECORDINGS], batch_size=2)

    bodies = deleted_events()
    assert len(bodies) == 3  # batches of 2, 2 and 1
    assert sorted(named(bodies)) == sorted(str(r.pk) for r in due)
    for body in bodies:
        assert body["object"] == {"type": "retention_sweep", "id": str(run.pk)}
        assert body["data"] == {
            "reason": "retention",
            "recordings": len(body["objects"]),
        }
        assert {o["type"] for o in body["objects"]} == {"recording"}
    assert len({body["id"] for body in bodies}) == 3


def test_sweep_events_carry_no_titles_or_people(subscription):
    person = DataSubjectFactory(email="ada@example.org", name="Ada Lovelace")
    recording = RecordingFactory(meeting_title="Layoffs in Ada's team")
    recording.participants.add(person)

    retention_sweep(actor=SYSTEM, only=[RECORDINGS])

    (body,) = deleted_events()
    assert body["subject"] is None
    text = json.dumps(body).lower()
    # Not "ada" alone: hex ids (the event's) can spell it.
    assert "lovelace" not in text and "layoffs" not in text and "@" not in text
    batch = AuditEvent.objects.get(action="retention.sweep.batch")
    assert batch.data["ids"] == [str(recording.pk)] and batch.personal == {}


def test_a_sweep_that_deletes_no_recording_sends_nothing(subscription, sweep_path):
    RecordingFactory(fresh=True)
    RecordingFactory(held=True)

    run = retention_sweep(actor=SYSTEM)

    assert run.counts[RECORDINGS] == 0
    assert deleted_events() == []
    assert not AuditEvent.objects.filter(action="retention.sweep.batch").exists()


def test_a_dry_run_sends_nothing(subscription):
    RecordingFactory.create_batch(2)
    retention_sweep(actor=SYSTEM, dry_run=True)
    assert deleted_events() == []
    assert Recording.objects.count() == 2


def test_a_batch_that_fails_sends_nothing_and_committed_batches_keep_theirs(
    subscription, monkeypatch, sweep_path
):
    from retention_app.services import sweep

    RecordingFactory.create_batch(4)
    real = sweep._announce
    calls = []

    def dies_on_the_second_batch(*args, **kwargs):
        calls.append(1)
        real(*args, **kwargs)  # the event and its delivery are written...
        if len(calls) == 2:
            raise RuntimeError("connection lost")  # ...then the batch rolls back

    monkeypatch.setattr(sweep, "_announce", dies_on_the_second_batch)
    run = retention_sweep(actor=SYSTEM, only=[RECORDINGS], batch_size=2)

    assert run.errors and Recording.objects.count() == 2
    receipts = DeletionRecord.objects.filter(category=RECORDINGS)
    assert sorted(named(deleted_events())) == sorted(
        receipts.values_list("item_id", flat=True)
    )
    assert AuditEvent.objects.filter(action="retention.sweep.batch").count() == 1


def test_batch_audit_events_keep_the_chain_verifiable(subscription):
    RecordingFactory.create_batch(5)
    retention_sweep(actor=SYSTEM, only=[RECORDINGS], batch_size=2)

    *_, (checked, problem) = verify_chain()

    assert problem is None
    assert checked == AuditEvent.objects.count()
    assert AuditEvent.objects.filter(action="retention.sweep.batch").count() == 3


def test_erasure_that_deletes_recordings_sends_their_ids(subscription):
    person = DataSubjectFactory(email="grace@example.org")
    mine = RecordingFactory.create_batch(2, fresh=True)
    for recording in mine:
        recording.participants.add(person)
    held = RecordingFactory(fresh=True, held=True)
    held.participants.add(person)
    RecordingFactory(fresh=True)  # someone else's

    registry.get("retention.recordings").erase(person, actor=SYSTEM)

    (body,) = deleted_events()
    assert sorted(named([body])) == sorted(str(r.pk) for r in mine)
    assert body["object"] == {"type": "erasure"}
    assert body["data"] == {"reason": "erasure", "recordings": 2}
    assert body["subject"] is None and "grace" not in json.dumps(body)


def test_erasure_that_deletes_only_transcripts_sends_no_recording_event(
    subscription,
):
    from retention_app.services import transcript_register

    person = DataSubjectFactory()
    transcript_register(
        actor=SYSTEM,
        organization_id=RecordingFactory(fresh=True).organization_id,
        meeting_title="Standup",
        started_at=ago(3),
        text="hello",
        participant_ids=[person.pk],
    )

    registry.get("retention.recordings").erase(person, actor=SYSTEM)

    assert not ChatTranscript.objects.exists()
    assert deleted_events() == []


def test_a_long_list_is_split_into_events_of_bounded_size(subscription, monkeypatch):
    monkeypatch.setattr(events, "MAX_OBJECTS", 2)
    person = DataSubjectFactory()
    mine = RecordingFactory.create_batch(5, fresh=True)
    for recording in mine:
        recording.participants.add(person)

    registry.get("retention.recordings").erase(person, actor=SYSTEM)

    bodies = deleted_events()
    assert [len(body["objects"]) for body in bodies] == [2, 2, 1]
    assert sorted(named(bodies)) == sorted(str(r.pk) for r in mine)


def test_staff_deletion_names_the_recording_in_objects_too(subscription, officer):
    recording = RecordingFactory(fresh=True)
    recording_delete(actor=officer, recording=recording)
    (body,) = deleted_events()
    assert body["objects"] == [{"type": "recording", "id": str(recording.pk)}]
    assert body["object"] == body["objects"][0]


def test_deleting_a_recording_already_gone_sends_nothing(subscription, officer):
    recording = RecordingFactory(fresh=True)
    Recording.objects.filter(pk=recording.pk).delete()  # e.g. a sweep won the race

    recording_delete(actor=officer, recording=recording)

    assert deleted_events() == []


def test_deleting_several_recordings_sends_one_event_per_chunk_not_per_recording(
    subscription, monkeypatch
):
    from retention_app.services import content, recordings_delete

    monkeypatch.setattr(content, "DELETE_CHUNK", 2)
    rows = RecordingFactory.create_batch(5, fresh=True)
    held = RecordingFactory(fresh=True, held=True)
    ids = [r.pk for r in rows] + [held.pk]

    result = recordings_delete(actor=SYSTEM, ids=ids)

    bodies = deleted_events()
    assert len(bodies) == 3  # chunks of 2, 2 and 2 (the last keeps the held one)
    assert sorted(named(bodies)) == sorted(str(r.pk) for r in rows)
    for body in bodies:
        assert body["object"] == {"type": "customer_instruction"}
        assert body["data"] == {
            "reason": "customer",
            "recordings": len(body["objects"]),
        }
    assert list(result.refused) == [held.pk]
    assert Recording.objects.get().pk == held.pk


def test_a_chunk_where_everything_is_held_sends_nothing(subscription):
    from retention_app.services import recordings_delete

    held = RecordingFactory(fresh=True, held=True)
    assert recordings_delete(actor=SYSTEM, ids=[held.pk]).deleted == 0
    assert deleted_events() == []
    event = AuditEvent.objects.get(action="retention.recordings.deleted")
    assert event.data["ids"] == [] and event.data["held"] == [held.pk]
