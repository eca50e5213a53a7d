"""The complaints source (export and erasure) and the decided-complaints category."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from complaints_app import services
from complaints_app.categories import DecidedComplaintCategory
from complaints_app.models import Complaint, ComplaintNote
from complaints_app.sources import ComplaintSource
from complaints_app.tests.factories import complaint
from privacyportal import retention
from privacyportal.audit.models import AuditEvent
from privacyportal.audit.services import Actor
from privacyportal.registry import Outcome, materialise, registry
from privacyportal.subjects.tests.factories import DataSubjectFactory
from retention_app.services.sweep import retention_sweep

pytestmark = pytest.mark.django_db
SOURCE = ComplaintSource()
SYSTEM = Actor.system("test")


def filed(subject, **extra) -> Complaint:
    return complaint(subject=subject, email=subject.email, **extra)


def decided(officer, subject, **extra) -> Complaint:
    item = filed(subject, **extra)
    services.complaint_acknowledge(actor=officer, complaint=item)
    services.complaint_note_add(
        actor=officer, complaint=item, text="Spoke to Ben in marketing about Ada."
    )
    services.complaint_decide(
        actor=officer, complaint=item, upheld=True, outcome="We removed you."
    )
    item.refresh_from_db()
    return item


def exported(subject) -> dict:
    return materialise(SOURCE.export(subject))


def sweep(*, days: int):
    with time_machine.travel(timezone.now() + timedelta(days=days)):
        return retention_sweep(actor=SYSTEM, only=["complaints.decided_complaints"])


def test_source_and_category_are_registered():
    assert isinstance(registry.get("complaints.complaints"), ComplaintSource)
    category = retention.categories.get("complaints.decided_complaints")
    assert isinstance(category, DecidedComplaintCategory)


def test_export_gives_the_complaint_outcome_and_notes_of_that_person_only(officer):
    ada = DataSubjectFactory(email="ada@example.org")
    other = DataSubjectFactory(email="other@example.org")
    mine = decided(officer, ada)
    filed(other, text="Someone else's grievance.")
    data = exported(ada)
    (row,) = data["complaints"]
    assert row["reference"] == mine.reference
    assert row["complaint"] == "You kept e-mailing me after I unsubscribed."
    assert row["outcome sent to you"] == "We removed you."
    assert row["status"] == "Resolved" and row["decided"] == mine.decided_at
    assert row["email"] == "ada@example.org"
    (note,) = data["investigation notes"]
    # Notes about the person are theirs (Art. 15), names in them included.
    assert note == {
        "complaint": mine.reference,
        "written": note["written"],
        "note": "Spoke to Ben in marketing about Ada.",
    }
    assert "grievance" not in str(data)


def test_export_of_a_person_without_complaints_is_empty():
    data = exported(DataSubjectFactory())
    assert data == {"complaints": [], "investigation notes": []}


def test_erasure_keeps_a_complaint_being_handled_until_decided():
    ada = DataSubjectFactory()
    item = filed(ada)
    result = SOURCE.erase(ada, actor=SYSTEM)
    assert result.outcome == Outcome.RETAINED and result.items == 1
    assert "still being handled" in result.reason
    assert "Art. 17(3)(b)" in result.legal_basis
    item.refresh_from_db()
    assert item.text and item.email and item.anonymised_at is None


def test_erasure_keeps_a_decided_complaint_for_24_months_and_says_so(officer):
    ada = DataSubjectFactory()
    decided(officer, ada)
    result = SOURCE.erase(ada, actor=SYSTEM)
    assert result.outcome == Outcome.RETAINED
    assert "24 months after each was decided, then anonymised" in result.reason
    assert "legal claims" in result.legal_basis
    assert "still being handled" not in result.reason


def test_erasure_with_open_and_decided_complaints_explains_both(officer):
    ada = DataSubjectFactory()
    decided(officer, ada)
    filed(ada)
    result = SOURCE.erase(ada, actor=SYSTEM)
    assert result.items == 2
    assert "1 complaint(s) still being handled" in result.reason
    assert "24 months" in result.reason and "legal claims" in result.legal_basis


def test_erasure_twice_changes_nothing_and_writes_no_audit(officer):
    ada = DataSubjectFactory()
    item = decided(officer, ada)
    before = AuditEvent.objects.count()
    first = SOURCE.erase(ada, actor=SYSTEM)
    second = SOURCE.erase(ada, actor=SYSTEM)
    assert first == second
    assert AuditEvent.objects.count() == before
    assert Complaint.objects.get(pk=item.pk).text == item.text


def test_erasure_of_an_anonymised_complaint_says_so(officer):
    ada = DataSubjectFactory()
    decided(officer, ada)
    Complaint.objects.update(anonymised_at=timezone.now())
    result = SOURCE.erase(ada, actor=SYSTEM)
    assert (result.outcome, result.detail) == (Outcome.ANONYMISED, "already anonymised")


def test_erasure_of_a_person_without_complaints_holds_nothing():
    assert SOURCE.erase(DataSubjectFactory(), actor=SYSTEM).outcome == Outcome.NOTHING


def test_decided_complaints_are_anonymised_24_months_after_the_decision(officer):
    item = decided(officer, DataSubjectFactory(email="old@example.org"))
    sweep(days=700)
    item.refresh_from_db()
    assert item.anonymised_at is None and item.email == "old@example.org"

    sweep(days=731)
    item.refresh_from_db()
    assert item.anonymised_at and not (item.email or item.name or item.text)
    assert not item.outcome and item.reference.startswith("CP-")
    assert item.status == Complaint.Status.RESOLVED and item.decided_at
    assert not ComplaintNote.objects.filter(complaint=item).exclude(text="")


def test_open_complaints_never_expire():
    item = filed(DataSubjectFactory())
    sweep(days=3000)
    item.refresh_from_db()
    assert item.anonymised_at is None and item.text


def test_a_legal_hold_keeps_a_decided_complaint(officer):
    from retention_app.services.holds import hold_place

    item = decided(officer, DataSubjectFactory())
    hold_place(
        actor=officer, scope="subject", reason="Case 9", subject_id=item.subject_id
    )
    sweep(days=800)
    item.refresh_from_db()
    assert item.anonymised_at is None and item.text


def test_retention_msgid_names_the_months_actually_kept():
    from complaints_app.sources import KEEP_MONTHS

    assert f"{KEEP_MONTHS} months" in ComplaintSource.info.retention
    category = retention.categories.get("complaints.decided_complaints")
    assert category.default_days == 730 and KEEP_MONTHS == 24
