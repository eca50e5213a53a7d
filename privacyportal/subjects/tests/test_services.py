from __future__ import annotations

import pytest

from privacyportal.audit.models import AuditEvent
from privacyportal.subjects import services
from privacyportal.subjects.models import DataSubject, Device
from privacyportal.subjects.tests.factories import DataSubjectFactory, DeviceFactory

pytestmark = pytest.mark.django_db


def test_create_normalises_email_and_audits_with_personal_data_separate():
    subject = services.subject_create(actor=None, email=" Eve@Example.ORG", name="Eve")
    assert subject.email == "eve@example.org"
    event = AuditEvent.objects.get(action="subjects.subject.created")
    assert event.subject_id == subject.pk
    assert "eve@example.org" not in str(event.data)
    assert event.personal == {"email": "eve@example.org"}


def test_get_or_create_finds_existing_subject_by_normalised_email():
    existing = DataSubjectFactory(email="sam@example.org")
    found, created = services.subject_get_or_create(
        actor=None, email="SAM@example.org "
    )
    assert (found, created) == (existing, False)
    fresh, created = services.subject_get_or_create(actor=None, email="new@example.org")
    assert created and fresh.requester_only


def test_update_changes_only_changed_fields_and_records_them():
    subject = DataSubjectFactory(name="Old", company="Acme")
    changed = services.subject_update(
        actor=None, subject=subject, changes={"name": "New", "company": "Acme"}
    )
    assert changed == ["name"]
    subject.refresh_from_db()
    assert subject.name == "New"
    event = AuditEvent.objects.get(action="subjects.subject.updated")
    assert event.data["fields"] == ["name"]
    assert event.personal == {"old": {"name": "Old"}, "new": {"name": "New"}}


def test_update_refuses_unknown_field_and_changes_nothing():
    subject = DataSubjectFactory(name="Keep")
    with pytest.raises(services.SubjectError, match="password"):
        services.subject_update(
            actor=None, subject=subject, changes={"name": "X", "password": "y"}
        )
    subject.refresh_from_db()
    assert subject.name == "Keep"
    assert not AuditEvent.objects.filter(action="subjects.subject.updated").exists()


def test_mark_under_13_runs_hooks_once():
    calls = []
    services.UNDER_13_HOOKS.append(lambda subject, actor: calls.append(subject.pk))
    try:
        subject = DataSubjectFactory()
        assert services.subject_mark_under_13(actor=None, subject=subject)
        assert not services.subject_mark_under_13(actor=None, subject=subject)
    finally:
        services.UNDER_13_HOOKS.pop()
    assert calls == [subject.pk]
    assert DataSubject.objects.get(pk=subject.pk).is_under_13


def test_anonymise_clears_personal_fields_and_deletes_devices():
    device = DeviceFactory()
    subject = device.subject
    services.subject_anonymise(actor=None, subject=subject)
    subject.refresh_from_db()
    assert subject.email is None and subject.name == "" and subject.phone == ""
    assert subject.anonymised_at is not None
    assert not Device.objects.filter(pk=device.pk).exists()


def test_restriction_is_set_once_and_can_be_lifted():
    subject = DataSubjectFactory()
    assert services.subject_set_restriction(
        actor=None, subject=subject, restricted=True, reason="accuracy contested"
    )
    assert not services.subject_set_restriction(
        actor=None, subject=subject, restricted=True
    )
    subject.refresh_from_db()
    assert subject.processing_restricted and subject.restricted_at
    assert services.subject_set_restriction(
        actor=None, subject=subject, restricted=False
    )
    subject.refresh_from_db()
    assert not subject.processing_restricted and subject.restricted_at is None
    actions = list(
        AuditEvent.objects.filter(subject_id=subject.pk)
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "subjects.subject.restricted",
        "subjects.subject.restriction_lifted",
    ]


def test_objection_records_only_what_is_new():
    subject = DataSubjectFactory()
    assert services.subject_record_objection(
        actor=None, subject=subject, marketing=True, profiling=False
    ) == ["objects_to_marketing"]
    assert services.subject_record_objection(
        actor=None, subject=subject, marketing=True, profiling=True
    ) == ["objects_to_profiling"]
    subject.refresh_from_db()
    assert subject.objects_to_marketing and subject.objects_to_profiling


def test_marketing_opt_out_is_noted_once():
    subject = DataSubjectFactory()
    assert services.subject_record_marketing_opt_out(actor=None, subject=subject)
    assert not services.subject_record_marketing_opt_out(actor=None, subject=subject)
    assert (
        AuditEvent.objects.filter(action="subjects.subject.marketing_opted_out").count()
        == 1
    )
