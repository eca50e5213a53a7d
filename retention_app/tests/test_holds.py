from __future__ import annotations

import pytest

from privacyportal.audit.models import AuditEvent
from privacyportal.registry import Outcome, registry
from privacyportal.retention import active_holds
from privacyportal.subjects.tests.factories import DataSubjectFactory
from retention_app.models import CallRecord, LegalHold, Recording
from retention_app.services import (
    HeldError,
    HoldError,
    hold_place,
    hold_release,
    recording_delete,
    retention_sweep,
)
from retention_app.tests.factories import CallRecordFactory, RecordingFactory

pytestmark = pytest.mark.django_db


def test_hold_without_reason_is_refused(officer):
    org = RecordingFactory().organization
    with pytest.raises(HoldError, match="reason"):
        hold_place(
            actor=officer, scope="organization", organization_id=org.pk, reason=" "
        )
    assert not LegalHold.objects.exists()


def test_hold_without_scope_target_is_refused(officer):
    with pytest.raises(HoldError):
        hold_place(actor=officer, scope="subject", reason="r")


def test_customer_deletion_of_held_recording_is_refused_naming_the_hold(officer):
    recording = RecordingFactory()
    hold = hold_place(
        actor=officer,
        scope="recordings",
        recording_ids=[recording.pk],
        reason="Subpoena",
        matter_reference="M-17",
    )
    with pytest.raises(HeldError, match=f"legal hold #{hold.pk}, matter M-17"):
        recording_delete(actor=officer, recording=recording)
    assert Recording.objects.filter(pk=recording.pk).exists()


def test_erasure_retains_held_items_and_names_the_hold(officer, actor):
    person = DataSubjectFactory()
    held = RecordingFactory()
    free = RecordingFactory()
    held.participants.add(person)
    free.participants.add(person)
    hold = hold_place(
        actor=officer, scope="recordings", recording_ids=[held.pk], reason="r"
    )

    result = registry.get("retention.recordings").erase(person, actor=actor)

    assert result.outcome == Outcome.RETAINED
    assert str(hold) in result.reason
    assert list(Recording.objects.all()) == [held]


def test_erasure_of_call_records_under_subject_hold_is_retained(officer, actor):
    person = DataSubjectFactory()
    CallRecordFactory(subject=person)
    hold = hold_place(actor=officer, scope="subject", subject_id=person.pk, reason="r")
    result = registry.get("retention.call_records").erase(person, actor=actor)
    assert result.outcome == Outcome.RETAINED and str(hold) in result.reason
    assert CallRecord.objects.count() == 1


def test_releasing_a_hold_lets_the_sweep_delete(officer, actor):
    recording = RecordingFactory()
    hold = hold_place(
        actor=officer,
        scope="organization",
        organization_id=recording.organization_id,
        reason="r",
    )
    retention_sweep(actor=actor)
    assert Recording.objects.filter(pk=recording.pk).exists()

    assert hold_release(actor=officer, hold=hold, reason="settled")
    assert not hold_release(actor=officer, hold=hold)  # once only
    retention_sweep(actor=actor)
    assert not Recording.objects.filter(pk=recording.pk).exists()
    assert AuditEvent.objects.filter(action="retention.hold.released").count() == 1


def test_release_keeps_rows_another_active_hold_covers(officer, actor):
    recording = RecordingFactory()
    org_hold = hold_place(
        actor=officer,
        scope="organization",
        organization_id=recording.organization_id,
        reason="r",
    )
    hold_place(
        actor=officer, scope="recordings", recording_ids=[recording.pk], reason="s"
    )
    hold_release(actor=officer, hold=org_hold)
    recording.refresh_from_db()
    assert recording.held


def test_hold_provider_exposes_holds_to_other_apps(officer):
    person = DataSubjectFactory()
    hold = hold_place(actor=officer, scope="subject", subject_id=person.pk, reason="r")
    assert active_holds().covering(subject_id=person.pk) == str(hold)
    assert active_holds().covering(subject_id=person.pk + 1) == ""
