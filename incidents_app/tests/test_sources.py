"""The compromise-report and breach-notice sources, and the reports' category."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from incidents_app import services
from incidents_app.categories import CompromiseReportCategory
from incidents_app.models import AffectedPerson, CompromiseReport, Incident
from incidents_app.sources import BreachNoticeSource, CompromiseReportSource
from incidents_app.tests.factories import IncidentFactory
from incidents_app.tests.test_compromise_reports import confirmed, filed
from privacyportal import retention
from privacyportal.audit.models import AuditEvent
from privacyportal.audit.services import Actor
from privacyportal.registry import Outcome, materialise, registry
from privacyportal.subjects.tests.factories import DataSubjectFactory
from retention_app.services.sweep import retention_sweep

pytestmark = pytest.mark.django_db
REPORTS, NOTICES = CompromiseReportSource(), BreachNoticeSource()
SYSTEM = Actor.system("test")
CR = CompromiseReport.Status


@pytest.fixture
def ada():
    return DataSubjectFactory(email="ada@example.org")


def closed_incident_report(officer, email: str) -> CompromiseReport:
    report = confirmed(email=email)
    incident = services.compromise_incident_open(actor=officer, report=report)
    # Closing goes through assessment and notification; only its end matters here.
    Incident.objects.filter(pk=incident.pk).update(
        status=Incident.Status.CLOSED, closed_at=timezone.now()
    )
    report.refresh_from_db()
    return report


def notice(incident: Incident, *, email: str, subject=None, sent: bool = True):
    now = timezone.now()
    return AffectedPerson.objects.create(
        incident=incident,
        subject=subject,
        email=email,
        language="de",
        source=AffectedPerson.Source.CSV,
        added_at=now,
        notified_at=now if sent else None,
    )


def erased_events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def test_both_sources_and_the_category_are_registered():
    assert {"incidents.compromise_reports", "incidents.breach_notices"} <= set(
        registry.keys()
    )
    category = retention.categories.get("incidents.compromise_reports")
    assert isinstance(category, CompromiseReportCategory)


# --- compromise reports ---------------------------------------------------------


def test_export_gives_the_persons_reports_found_by_address_and_no_one_elses(ada):
    mine = confirmed(email="Ada@Example.org", phone="+49 30 1234")
    confirmed(email="someone@example.org", what_happened="Not Ada's account.")
    (row,) = materialise(REPORTS.export(ada))["reports"]
    assert row["reference"] == mine.reference
    assert row["what happened"] == "My account sent messages I did not write."
    assert row["phone"] == "+49 30 1234" and row["e-mail address"] == "Ada@Example.org"
    assert row["status"] == "Confirmed: to be looked at" and row["confirmed"]


def test_export_of_a_person_without_an_address_is_empty():
    confirmed(email="ada@example.org")
    assert materialise(REPORTS.export(DataSubjectFactory(email=None))) == {
        "reports": []
    }


def test_erasure_keeps_a_report_being_looked_into_unchanged(ada):
    report = confirmed(email=ada.email)
    result = REPORTS.erase(ada, actor=SYSTEM)
    assert result.outcome == Outcome.RETAINED
    assert report.reference in result.reason and "still looking" in result.reason
    assert "Art. 33(5)" in result.legal_basis
    report.refresh_from_db()
    assert report.email == ada.email and report.anonymised_at is None
    assert not erased_events("incidents.compromise.erased")


def test_erasure_keeps_a_report_whose_incident_is_still_open(officer, ada):
    report = confirmed(email=ada.email)
    services.compromise_incident_open(actor=officer, report=report)
    assert REPORTS.erase(ada, actor=SYSTEM).outcome == Outcome.RETAINED


def test_erasure_deletes_an_unconfirmed_report_audited(ada):
    report, _ = filed(email=ada.email)
    result = REPORTS.erase(ada, actor=SYSTEM)
    assert (result.outcome, result.items) == (Outcome.DELETED, 1)
    assert not CompromiseReport.objects.filter(pk=report.pk).exists()
    event = AuditEvent.objects.get(action="incidents.compromise.erased")
    assert event.subject_id == ada.pk and event.data["deleted"] == 1


def test_erasure_anonymises_a_report_whose_incident_closed_then_finds_nothing(
    officer, ada
):
    report = closed_incident_report(officer, ada.email)
    first = REPORTS.erase(ada, actor=SYSTEM)
    assert (first.outcome, first.items) == (Outcome.ANONYMISED, 1)
    report.refresh_from_db()
    assert report.anonymised_at and report.reference and report.incident_id
    assert not (report.email or report.what_happened or report.phone)
    assert erased_events("incidents.compromise.erased") == 1
    # Run again: nothing of the person is left, nothing is written twice.
    assert REPORTS.erase(ada, actor=SYSTEM).outcome == Outcome.NOTHING
    assert erased_events("incidents.compromise.erased") == 1


def test_anonymising_a_report_removes_its_words_from_the_incident_it_opened(
    officer, ada
):
    report = confirmed(email=ada.email, account_name="ada.l")
    incident = services.compromise_incident_open(actor=officer, report=report)
    assert "messages I did not write" in incident.description
    Incident.objects.filter(pk=incident.pk).update(
        status=Incident.Status.CLOSED,
        closed_at=timezone.now(),
        description=incident.description + "\n\nStaff: passwords reset.",
    )
    REPORTS.erase(ada, actor=SYSTEM)
    incident.refresh_from_db()
    assert "did not write" not in incident.description
    assert "ada.l" not in incident.description
    assert incident.description.startswith(
        f"Reported by the public ({report.reference}): the reporter's words were "
        "removed with the report on "
    )
    assert "Staff: passwords reset." in incident.description  # staff's words stay
    event = AuditEvent.objects.get(action="incidents.incident.report_words_removed")
    assert event.target_id == str(incident.pk) and event.actor_type == "system"


def test_only_the_copied_block_goes_not_the_same_words_in_staffs_notes(officer):
    report = confirmed(email="b@example.org", what_happened="hacked")
    incident = services.compromise_incident_open(actor=officer, report=report)
    Incident.objects.filter(pk=incident.pk).update(
        status=Incident.Status.CLOSED,
        closed_at=timezone.now(),
        description=incident.description + "\n\nStaff: account hacked via phishing.",
    )
    sweep_reports(days=731)
    incident.refresh_from_db()
    assert incident.description.endswith("Staff: account hacked via phishing.")
    assert incident.description.count("hacked") == 1


def test_an_incident_description_staff_rewrote_is_left_as_they_wrote_it(officer):
    report = closed_incident_report(officer, "b@example.org")
    Incident.objects.filter(pk=report.incident_id).update(description="Our summary.")
    sweep_reports(days=731)
    assert Incident.objects.get(pk=report.incident_id).description == "Our summary."
    assert not AuditEvent.objects.filter(
        action="incidents.incident.report_words_removed"
    ).exists()


def test_the_sweep_removes_a_reports_words_from_its_incident_too(officer):
    report = closed_incident_report(officer, "b@example.org")
    sweep_reports(days=731)
    description = Incident.objects.get(pk=report.incident_id).description
    assert "did not write" not in description and "removed with" in description


def test_erasure_twice_with_a_report_being_looked_into_does_nothing_twice(ada):
    filed(email=ada.email)
    kept = confirmed(email=ada.email)
    first = REPORTS.erase(ada, actor=SYSTEM)
    second = REPORTS.erase(ada, actor=SYSTEM)
    assert first.outcome == second.outcome == Outcome.RETAINED
    assert "1 unconfirmed report(s) deleted" in first.detail
    assert "0 unconfirmed report(s) deleted" in second.detail
    assert erased_events("incidents.compromise.erased") == 1
    assert CompromiseReport.objects.get().pk == kept.pk


def test_confirmed_reports_are_anonymised_24_months_after_handling_ends(officer):
    waiting = confirmed(email="a@example.org")
    done = closed_incident_report(officer, "b@example.org")
    open_incident = confirmed(email="c@example.org")
    services.compromise_incident_open(actor=officer, report=open_incident)
    sweep_reports(days=700)
    assert not CompromiseReport.objects.filter(anonymised_at__isnull=False)
    sweep_reports(days=731)
    anonymised = set(
        CompromiseReport.objects.filter(anonymised_at__isnull=False).values_list(
            "pk", flat=True
        )
    )
    assert anonymised == {waiting.pk, done.pk}


def test_a_legal_hold_on_the_reporter_keeps_their_report(officer, ada):
    from retention_app.services.holds import hold_place

    report = confirmed(email="ADA@example.org")
    hold_place(actor=officer, scope="subject", reason="Case 4", subject_id=ada.pk)
    sweep_reports(days=800)
    report.refresh_from_db()
    assert report.anonymised_at is None and report.email


def sweep_reports(*, days: int):
    with time_machine.travel(timezone.now() + timedelta(days=days)):
        return retention_sweep(actor=SYSTEM, only=["incidents.compromise_reports"])


# --- breach notices ---------------------------------------------------------------


def test_export_gives_the_notices_sent_to_the_person_and_no_one_elses(ada):
    sent = IncidentFactory()
    pending = IncidentFactory()
    notice(sent, email=ada.email)
    notice(pending, email=ada.email, sent=False)
    notice(sent, email="other@example.org")
    rows = materialise(NOTICES.export(ada))["notices"]
    assert rows == [
        {
            "incident": sent.reference,
            "sent": timezone.now().date().isoformat(),
            "language": "de",
            "sent to": ada.email,
        }
    ]


def test_export_finds_a_notice_by_subject_after_the_address_changed(ada):
    incident = IncidentFactory()
    notice(incident, email="old@example.org", subject=ada)
    (row,) = materialise(NOTICES.export(ada))["notices"]
    assert row["incident"] == incident.reference


def test_a_notice_linked_to_someone_else_is_not_found_by_the_address(ada):
    former = DataSubjectFactory(email="former@example.org")
    notice(IncidentFactory(), email=ada.email, subject=former)
    assert materialise(NOTICES.export(ada))["notices"] == []
    assert NOTICES.erase(ada, actor=SYSTEM).outcome == Outcome.NOTHING


def test_erasure_keeps_a_sent_notice_without_the_address_once(ada):
    incident = IncidentFactory()
    row = notice(incident, email=ada.email, subject=ada)
    first = NOTICES.erase(ada, actor=SYSTEM)
    row.refresh_from_db()
    assert first.outcome == Outcome.RETAINED and first.items == 1
    assert "told you of a data breach" in first.reason
    assert "Art. 33(5) and 34" in first.legal_basis
    assert ada.email not in row.email and row.notified_at
    assert erased_events("incidents.notice.erased") == 1

    second = NOTICES.erase(ada, actor=SYSTEM)
    assert second == first
    assert erased_events("incidents.notice.erased") == 1
    assert materialise(NOTICES.export(ada))["notices"][0]["sent to"] == ""


def test_erasure_keeps_the_address_of_a_notice_not_yet_sent(ada):
    incident = IncidentFactory()
    pending = notice(incident, email=ada.email, sent=False)
    result = NOTICES.erase(ada, actor=SYSTEM)
    assert result.outcome == Outcome.RETAINED
    assert incident.reference in result.reason and "need your address" in result.reason
    pending.refresh_from_db()
    assert pending.email == ada.email
    assert not erased_events("incidents.notice.erased")


def test_erasure_of_a_person_never_notified_holds_nothing(ada):
    notice(IncidentFactory(), email="other@example.org")
    assert NOTICES.erase(ada, actor=SYSTEM).outcome == Outcome.NOTHING


def close(incident: Incident, *, days_ago: int = 0) -> None:
    Incident.objects.filter(pk=incident.pk).update(
        status=Incident.Status.CLOSED,
        closed_at=timezone.now() - timedelta(days=days_ago),
    )


def test_erasure_deletes_a_place_on_a_closed_incidents_list_never_sent(ada):
    incident = IncidentFactory()
    row = notice(incident, email=ada.email, subject=ada, sent=False)
    close(incident)
    result = NOTICES.erase(ada, actor=SYSTEM)
    assert (result.outcome, result.items) == (Outcome.DELETED, 1)
    assert not AffectedPerson.objects.filter(pk=row.pk).exists()
    event = AuditEvent.objects.get(action="incidents.notice.erased")
    assert event.data["unsent_deleted"] == 1
    assert NOTICES.erase(ada, actor=SYSTEM).outcome == Outcome.NOTHING


def test_erasure_keeps_the_address_while_a_closed_incidents_notice_still_sends(ada):
    from incidents_app.models import NoticeRun

    incident = IncidentFactory()
    row = notice(incident, email=ada.email, sent=False)
    NoticeRun.objects.create(incident=incident, total=1, what_happened="x")
    close(incident)
    result = NOTICES.erase(ada, actor=SYSTEM)
    assert result.outcome == Outcome.RETAINED and "need your address" in result.reason
    row.refresh_from_db()
    assert row.email == ada.email


def test_erasure_with_a_sent_notice_and_an_unused_place_keeps_the_record(ada):
    told, unused = IncidentFactory(), IncidentFactory()
    notice(told, email=ada.email, subject=ada)
    notice(unused, email=ada.email, subject=ada, sent=False)
    close(unused)
    result = NOTICES.erase(ada, actor=SYSTEM)
    assert result.outcome == Outcome.RETAINED and "told you" in result.reason
    assert result.items == 2
    assert "1 place(s) on a list never sent deleted" in result.detail
    assert AffectedPerson.objects.filter(incident=unused).count() == 0
    assert AffectedPerson.objects.get(incident=told).notified_at


def sweep_unsent(*, days: int):
    with time_machine.travel(timezone.now() + timedelta(days=days)):
        return retention_sweep(actor=SYSTEM, only=["incidents.unsent_notices"])


def test_untold_people_of_a_closed_incident_are_deleted_90_days_after(officer, ada):
    from retention_app.services.holds import hold_place

    closed, still_open = IncidentFactory(), IncidentFactory()
    told = notice(closed, email="told@example.org")
    untold = notice(closed, email="untold@example.org", sent=False)
    held = notice(closed, email="ADA@example.org".lower(), sent=False)
    waiting = notice(still_open, email="waiting@example.org", sent=False)
    close(closed)
    hold_place(actor=officer, scope="subject", reason="Case 7", subject_id=ada.pk)
    sweep_unsent(days=89)
    assert AffectedPerson.objects.count() == 4
    sweep_unsent(days=91)
    left = set(AffectedPerson.objects.values_list("pk", flat=True))
    assert left == {told.pk, held.pk, waiting.pk}
    assert untold.pk not in left
    assert retention.categories.get("incidents.unsent_notices").default_days == 90


def test_untold_people_stay_while_a_closed_incidents_notice_still_sends(officer):
    from incidents_app.models import NoticeRun

    incident = IncidentFactory()
    untold = notice(incident, email="untold@example.org", sent=False)
    NoticeRun.objects.create(incident=incident, total=1, what_happened="x")
    close(incident)
    sweep_unsent(days=91)
    assert AffectedPerson.objects.filter(pk=untold.pk).exists()
    NoticeRun.objects.filter(incident=incident).update(status=NoticeRun.Status.DONE)
    sweep_unsent(days=91)
    assert not AffectedPerson.objects.filter(pk=untold.pk).exists()


def test_a_hold_on_the_linked_person_keeps_their_place_whatever_the_address(officer):
    from retention_app.services.holds import hold_place

    person = DataSubjectFactory(email="now@example.org")
    incident = IncidentFactory()
    linked = notice(incident, email="then@example.org", subject=person, sent=False)
    close(incident)
    hold_place(actor=officer, scope="subject", reason="Case 8", subject_id=person.pk)
    sweep_unsent(days=91)
    assert AffectedPerson.objects.filter(pk=linked.pk).exists()
