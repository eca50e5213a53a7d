from __future__ import annotations

from datetime import timedelta

import pytest

from privacyportal.audit.models import AuditEvent
from privacyportal.registry import Outcome, materialise, registry
from privacyportal.subjects.tests.factories import (
    DataSubjectFactory,
    OrganizationFactory,
)
from retention_app.models import (
    ApplicantStatistic,
    CallRecord,
    DeletionRecord,
    JobApplicant,
)
from retention_app.services import (
    applicant_register,
    call_record_register,
    hold_place,
)
from retention_app.tests.factories import JobApplicantFactory, ago

pytestmark = pytest.mark.django_db


def test_unsuccessful_applicant_expires_from_the_decision(actor):
    decided = ago(10)
    rejected = applicant_register(
        actor=actor,
        name="Bea Lund",
        email="bea@example.net",
        position="Support engineer",
        applied_at=ago(40),
        outcome="rejected",
        decided_at=decided,
    )
    hired = applicant_register(
        actor=actor,
        name="Cem Yilmaz",
        email="cem@example.net",
        position="Support engineer",
        applied_at=ago(40),
        outcome="hired",
        decided_at=decided,
    )
    assert rejected.purge_after == decided + timedelta(days=180)
    assert hired.purge_after is None
    event = AuditEvent.objects.filter(action="retention.applicant.registered").first()
    assert "bea@example.net" not in str(event.data)


def test_call_record_under_a_subject_hold_is_born_held(actor, officer):
    person = DataSubjectFactory()
    hold_place(actor=officer, scope="subject", subject_id=person.pk, reason="case")
    record = call_record_register(
        actor=actor,
        organization_id=OrganizationFactory().pk,
        subject_id=person.pk,
        started_at=ago(3),
    )
    assert record.held
    assert record.purge_after == record.started_at + timedelta(days=730)
    assert CallRecord.objects.get().pk == record.pk


def test_applications_are_exported_and_erased_into_statistics(actor):
    person = DataSubjectFactory(email="dana@example.net")
    JobApplicantFactory(email="Dana@example.net", position="Codec developer")
    JobApplicantFactory(subject=person, outcome="hired", purge_after=None)
    JobApplicantFactory(email="someone.else@example.net")
    source = registry.get("retention.applicants")

    exported = materialise(source.export(person))
    assert len(exported["applications"]) == 2

    result = source.erase(person, actor=actor)
    assert result.outcome == Outcome.ANONYMISED and result.items == 2
    assert list(JobApplicant.objects.values_list("email", flat=True)) == [
        "someone.else@example.net"
    ]
    assert sum(ApplicantStatistic.objects.values_list("count", flat=True)) == 2
    receipts = DeletionRecord.objects.filter(category="retention.applicants")
    assert {r.reason for r in receipts} == {"erasure"} and receipts.count() == 2


def test_erasure_of_held_applications_is_retained_naming_the_hold(actor, officer):
    person = DataSubjectFactory()
    JobApplicantFactory(subject=person)
    hold = hold_place(actor=officer, scope="subject", subject_id=person.pk, reason="r")
    result = registry.get("retention.applicants").erase(person, actor=actor)
    assert result.outcome == Outcome.RETAINED and str(hold) in result.reason
    assert JobApplicant.objects.count() == 1
