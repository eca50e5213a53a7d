"""Telling the people affected by a breach: choosing, previewing, sending once."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from consent_app.models import ConsentState, Purpose
from incidents_app import notices
from incidents_app.models import AffectedPerson, Incident, NoticeRun
from incidents_app.tasks import notice_batch_task
from incidents_app.tests.factories import IncidentFactory
from privacyportal.audit.models import AuditEvent
from privacyportal.audit.services import Actor
from privacyportal.mail import send_pending
from privacyportal.models import OutboundEmail
from privacyportal.subjects import story
from privacyportal.subjects.tests.factories import DataSubjectFactory

SYSTEM = Actor.system("test")
TEXT = notices.NoticeText(
    what_happened="A backup was copied by an outsider.",
    consequences="Your address may receive phishing.",
    measures="We changed every access key.",
    advice="Be careful with unexpected e-mails.",
)


def _decided(**extra) -> Incident:
    incident = IncidentFactory(**extra)
    Incident.objects.filter(pk=incident.pk).update(notify_people=True)
    incident.refresh_from_db()
    return incident


def _actions(incident: Incident) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_id=str(incident.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def _run_all(run: NoticeRun, size: int = 2) -> None:
    while notices.notice_run_batch(run_id=run.pk, batch_size=size):
        pass


def test_everyone_on_file_is_added_once_and_the_unreachable_not_at_all(db):
    people = [DataSubjectFactory() for _ in range(3)]
    DataSubjectFactory(email=None)
    DataSubjectFactory(anonymised_at=timezone.now())
    incident = _decided()
    assert notices.affected_add_everyone(actor=SYSTEM, incident=incident) == 3
    # the same choice again adds no one
    assert notices.affected_add_everyone(actor=SYSTEM, incident=incident) == 0
    chosen = set(incident.affected.values_list("subject_id", flat=True))
    assert chosen == {p.pk for p in people}
    assert _actions(incident)[-2:] == ["incidents.affected.added"] * 2


def test_consent_criterion_chooses_only_people_with_an_answer(db):
    offers = Purpose.objects.create(code="offers", name="Offers", description="x")
    other = Purpose.objects.create(code="other", name="Other", description="x")
    with_answer, refused, unrelated = (DataSubjectFactory() for _ in range(3))
    for subject, purpose, granted in (
        (with_answer, offers, True),
        (refused, offers, False),
        (unrelated, other, True),
    ):
        ConsentState.objects.create(
            subject=subject,
            purpose=purpose,
            granted=granted,
            since=timezone.now(),
            source="import",
        )
    incident = _decided()
    added = notices.affected_add_by_consent(
        actor=SYSTEM, incident=incident, purpose_codes=["offers"]
    )
    assert added == 2
    assert set(incident.affected.values_list("subject_id", flat=True)) == {
        with_answer.pk,
        refused.pk,
    }
    with pytest.raises(notices.NoticeRefused):
        notices.affected_add_by_consent(
            actor=SYSTEM, incident=incident, purpose_codes=[]
        )


def test_a_list_with_a_bad_line_adds_no_one(db):
    incident = _decided()
    text = "email\nok@example.org\nnot-an-address\n\nalso@example.org\n@bad\n"
    with pytest.raises(notices.ListRejected) as rejected:
        notices.affected_add_list(actor=SYSTEM, incident=incident, text=text)
    assert [line for line, _ in rejected.value.errors] == [3, 6]
    assert "2 of 4 lines" in str(rejected.value)
    assert not AffectedPerson.objects.exists()
    assert "incidents.affected.added" not in _actions(incident)


def test_empty_list_is_refused(db):
    with pytest.raises(notices.ListRejected):
        notices.affected_add_list(actor=SYSTEM, incident=_decided(), text="email\n")


def test_a_list_links_known_subjects_and_ignores_repeats(db):
    known = DataSubjectFactory(email="Known@Example.org", language="de")
    incident = _decided()
    text = "KNOWN@example.org\nstranger@example.org\nstranger@example.org\n"
    assert notices.affected_add_list(actor=SYSTEM, incident=incident, text=text) == 2
    rows = dict(incident.affected.values_list("email", "subject_id"))
    assert rows == {"known@example.org": known.pk, "stranger@example.org": None}
    # everyone on file afterwards: the known person is not added a second time
    assert notices.affected_add_everyone(actor=SYSTEM, incident=incident) == 0


def test_preview_is_in_the_persons_language(db):
    DataSubjectFactory(email="anna@example.org", language="de")
    incident = _decided()
    notices.affected_add_everyone(actor=SYSTEM, incident=incident)
    preview = notices.notice_preview(incident, TEXT)
    assert preview["person"].email == "anna@example.org"
    assert preview["language"] == "German"
    assert preview["body"].startswith("Guten Tag,")
    assert "We changed every access key." in preview["body"]
    assert incident.reference in preview["subject"]


def test_preview_without_a_language_uses_the_default(db, settings):
    DataSubjectFactory(language="")
    incident = _decided()
    notices.affected_add_everyone(actor=SYSTEM, incident=incident)
    assert notices.notice_preview(incident, TEXT)["body"].startswith("Hello,")


def test_sending_needs_the_decision_to_tell_them(db):
    DataSubjectFactory()
    incident = IncidentFactory()  # notify_people not decided
    notices.affected_add_everyone(actor=SYSTEM, incident=incident)
    with pytest.raises(notices.NoticeRefused, match="decision"):
        notices.notice_run_start(actor=SYSTEM, incident=incident, text=TEXT)
    assert not NoticeRun.objects.exists()


def test_sending_with_nobody_waiting_or_twice_at_once_is_refused(db):
    incident = _decided()
    with pytest.raises(notices.NoticeRefused, match="no one"):
        notices.notice_run_start(actor=SYSTEM, incident=incident, text=TEXT)
    DataSubjectFactory()
    notices.affected_add_everyone(actor=SYSTEM, incident=incident)
    notices.notice_run_start(actor=SYSTEM, incident=incident, text=TEXT)
    with pytest.raises(notices.NoticeRefused, match="already sending"):
        notices.notice_run_start(actor=SYSTEM, incident=incident, text=TEXT)


def test_each_person_is_told_once_even_when_tasks_run_twice(
    db, django_capture_on_commit_callbacks
):
    people = [DataSubjectFactory(language="fr") for _ in range(5)]
    incident = _decided()
    notices.affected_add_everyone(actor=SYSTEM, incident=incident)
    run = notices.notice_run_start(actor=SYSTEM, incident=incident, text=TEXT)
    assert run.total == 5 and run.progress == "0 of 5 sent"

    assert notices.notice_run_batch(run_id=run.pk, batch_size=2) == 2
    notice_batch_task.run(run.pk)  # a redelivered task: the next batch, not again
    _run_all(run)
    run.refresh_from_db()
    assert run.status == NoticeRun.Status.DONE and run.progress == "5 of 5 sent"
    assert notice_batch_task.run(run.pk) == 0  # delivered after the end
    # a lost checkpoint cannot send twice: the outbox key is once per person
    NoticeRun.objects.filter(pk=run.pk).update(status="running", cursor=0)
    AffectedPerson.objects.update(notified_at=None)
    _run_all(run)
    assert OutboundEmail.objects.count() == 5
    keys = set(OutboundEmail.objects.values_list("key", flat=True))
    assert keys == set(AffectedPerson.objects.values_list("outbox_key", flat=True))
    assert all(k.startswith(f"breach-notice-{incident.pk}-") for k in keys)

    send_pending()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    assert mail.outbox[0].body.startswith("Bonjour,")
    assert "A backup was copied" in mail.outbox[0].body


def test_a_batch_killed_half_way_leaves_nothing_and_resumes_without_repeats(db):
    for _ in range(6):
        DataSubjectFactory()
    incident = _decided()
    notices.affected_add_everyone(actor=SYSTEM, incident=incident)
    run = notices.notice_run_start(actor=SYSTEM, incident=incident, text=TEXT)

    from privacyportal import mail as outbox

    real = outbox.queue_many

    def dies_after_queueing(**kwargs):
        assert real(**kwargs)  # the batch's e-mails are in the outbox ...
        raise RuntimeError("worker killed")  # ... when the worker dies

    with (
        mock.patch("privacyportal.mail.queue_many", dies_after_queueing),
        pytest.raises(RuntimeError),
    ):
        notices.notice_run_batch(run_id=run.pk, batch_size=4)
    run.refresh_from_db()
    assert run.cursor == 0 and run.sent == 0
    assert not OutboundEmail.objects.exists()
    assert not AffectedPerson.objects.filter(notified_at__isnull=False).exists()

    # the resume job finds the run stalled and the next batch redoes it
    assert notices.notice_runs_resume(stalled_after=timedelta(seconds=-1)) == 1
    _run_all(run, size=4)
    run.refresh_from_db()
    assert run.sent == 6 and run.status == NoticeRun.Status.DONE
    assert OutboundEmail.objects.count() == 6
    assert notices.notice_runs_resume(stalled_after=timedelta(seconds=-1)) == 0


def test_people_added_later_are_told_by_a_second_run_and_no_one_else(db):
    DataSubjectFactory()
    incident = _decided()
    notices.affected_add_everyone(actor=SYSTEM, incident=incident)
    _run_all(notices.notice_run_start(actor=SYSTEM, incident=incident, text=TEXT))
    notices.affected_add_list(actor=SYSTEM, incident=incident, text="late@example.org")
    second = notices.notice_run_start(actor=SYSTEM, incident=incident, text=TEXT)
    assert second.total == 1
    _run_all(second)
    assert OutboundEmail.objects.count() == 2


def test_runs_are_audited_once_each_not_per_person(db):
    for _ in range(5):
        DataSubjectFactory()
    incident = _decided()
    notices.affected_add_everyone(actor=SYSTEM, incident=incident)
    _run_all(notices.notice_run_start(actor=SYSTEM, incident=incident, text=TEXT))
    assert _actions(incident)[1:] == [
        "incidents.affected.added",
        "incidents.notice.started",
        "incidents.notice.finished",
    ]
    from privacyportal.audit.describe import describe

    event = AuditEvent.objects.get(action="incidents.notice.finished")
    assert describe(event.action) == "Breach notice sent to everyone on its list"


def test_the_subjects_story_shows_the_notices_they_received(db):
    person, bystander = DataSubjectFactory(), DataSubjectFactory(email=None)
    incident = _decided()
    notices.affected_add_everyone(actor=SYSTEM, incident=incident)
    _run_all(notices.notice_run_start(actor=SYSTEM, incident=incident, text=TEXT))
    sections = {s.key: s for s in story.sections(person)}
    row = sections["breach_notices"].as_dicts()[0]
    assert row["Incident"] == incident.reference
    assert row["Notice sent"] and row["Notice sent"] != "Not told yet"
    assert "breach_notices" not in {s.key for s in story.sections(bystander)}


def test_the_resume_job_is_scheduled_and_names_a_real_task():
    from privacyportal import schedule
    from privacyportal.celery import app

    job = next(j for j in schedule.JOBS if j.task.endswith("notice_runs_resume_task"))
    assert job.task in app.tasks
