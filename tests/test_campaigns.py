"""The outbox-campaign runner (privacyportal/campaigns.py) and its bulk outbox calls.

The runner is driven here through a campaign of its own: the policy campaign's
run rows, every subject with an address as recipients, and a probe template.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.core import mail
from django.db import connection, connections, transaction

from consent_app.models import PolicyCampaign
from consent_app.tests.factories import PolicyVersionFactory
from privacyportal import campaigns
from privacyportal import mail as outbox
from privacyportal.audit.models import AuditEvent
from privacyportal.audit.services import Actor
from privacyportal.models import OutboundEmail
from privacyportal.subjects.models import DataSubject
from privacyportal.subjects.tests.factories import DataSubjectFactory

HERE = Path(__file__).parent


class _Batches:
    """Stands in for the batch task: records what the runner enqueues."""

    def __init__(self) -> None:
        self.sent: list[int] = []

    def apply_async(self, args, countdown=0):
        self.sent.append(args[0])


BATCHES = _Batches()


def _finished(run) -> None:
    from privacyportal import audit

    audit.record("test.campaign.finished", actor=Actor.system("t"), target=run)


PROBE = campaigns.Campaign(
    name="probe campaign",
    model=PolicyCampaign,
    task="tests.test_campaigns.BATCHES",
    template="probe",
    key_prefix=lambda run: f"probe-{run.pk}-",
    recipients=lambda run: DataSubject.objects.filter(email__isnull=False),
    context=lambda run: {"name": "everyone"},
    finished=_finished,
    related=("version",),
)


@pytest.fixture(autouse=True)
def probe_templates(settings):
    templates = [dict(settings.TEMPLATES[0])]
    templates[0]["DIRS"] = [HERE / "templates", *templates[0]["DIRS"]]
    settings.TEMPLATES = templates
    BATCHES.sent.clear()


@pytest.fixture
def no_sends(monkeypatch):
    """The send tasks the outbox enqueues, recorded instead of published."""
    from privacyportal.tasks import send_emails_task

    chunks: list[list[int]] = []
    monkeypatch.setattr(
        send_emails_task, "apply_async", lambda args, kwargs: chunks.append(args[0])
    )
    return chunks


def _run() -> PolicyCampaign:
    return PolicyCampaign.objects.create(version=PolicyVersionFactory(), total=0)


def _run_all(run: PolicyCampaign, size: int = 3) -> None:
    while campaigns.run_batch(PROBE, run_id=run.pk, batch_size=size):
        pass


def _keys() -> list[str]:
    return list(OutboundEmail.objects.values_list("key", flat=True))


@pytest.mark.django_db
def test_every_recipient_gets_one_email_and_the_end_is_audited_once(no_sends):
    people = DataSubjectFactory.create_batch(7)
    DataSubjectFactory(email=None)
    run = _run()
    _run_all(run)
    run.refresh_from_db()
    assert run.status == PolicyCampaign.Status.DONE
    assert (run.sent, run.batches, run.cursor) == (7, 3, people[-1].pk)
    assert sorted(_keys()) == sorted(f"probe-{run.pk}-{p.pk}" for p in people)
    assert AuditEvent.objects.filter(action="test.campaign.finished").count() == 1
    assert campaigns.run_batch(PROBE, run_id=run.pk) == 0  # delivered after the end
    assert AuditEvent.objects.filter(action="test.campaign.finished").count() == 1


@pytest.mark.django_db
def test_a_batch_enqueues_the_next_one_only_after_commit(
    no_sends, django_capture_on_commit_callbacks
):
    DataSubjectFactory.create_batch(2)
    run = _run()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        campaigns.run_batch(PROBE, run_id=run.pk, batch_size=5)
    assert BATCHES.sent == [run.pk]
    assert len(callbacks) == 2  # the e-mails' send task, then the next batch


@pytest.mark.django_db
def test_a_lost_cursor_mails_no_key_twice(no_sends):
    DataSubjectFactory.create_batch(4)
    run = _run()
    _run_all(run)
    PolicyCampaign.objects.filter(pk=run.pk).update(status="running", cursor=0)
    before = sorted(_keys())
    _run_all(run)
    run.refresh_from_db()
    assert sorted(_keys()) == before and len(before) == 4
    assert run.sent == 4  # the second pass queued no one


@pytest.mark.django_db
def test_a_worker_dying_mid_batch_leaves_nothing_and_the_resume_job_finishes(
    no_sends,
):
    people = DataSubjectFactory.create_batch(5)
    run = _run()
    campaigns.run_batch(PROBE, run_id=run.pk, batch_size=2)
    real = outbox.queue_many

    def dies_after_queueing(**kwargs):
        assert real(**kwargs)
        raise RuntimeError("worker killed")

    with (
        mock.patch("privacyportal.mail.queue_many", dies_after_queueing),
        pytest.raises(RuntimeError),
    ):
        campaigns.run_batch(PROBE, run_id=run.pk, batch_size=2)
    run.refresh_from_db()
    assert (run.cursor, run.sent, run.batches) == (people[1].pk, 2, 1)
    assert len(_keys()) == 2  # the dying batch's e-mails went with it

    assert campaigns.resume(PROBE, stalled_after=timedelta(hours=1)) == 0
    assert campaigns.resume(PROBE, stalled_after=timedelta(seconds=-1)) == 1
    _run_all(run, size=2)
    run.refresh_from_db()
    assert run.sent == 5 and run.status == PolicyCampaign.Status.DONE
    assert sorted(_keys()) == sorted(f"probe-{run.pk}-{p.pk}" for p in people)
    assert campaigns.resume(PROBE, stalled_after=timedelta(seconds=-1)) == 0


def _in_another_worker(fn):
    """Call ``fn`` in a thread, on its own database connection."""
    result: list = []

    def work() -> None:
        try:
            result.append(fn())
        finally:
            connections.close_all()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=30)
    return result[0]


@pytest.mark.django_db(transaction=True)
def test_a_run_locked_by_another_worker_is_skipped_not_waited_for(no_sends):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's")
    DataSubjectFactory.create_batch(2)
    run = _run()
    with transaction.atomic():
        PolicyCampaign.objects.select_for_update().get(pk=run.pk)
        handled = _in_another_worker(lambda: campaigns.run_batch(PROBE, run_id=run.pk))
    assert handled == 0
    assert not OutboundEmail.objects.exists()
    assert campaigns.run_batch(PROBE, run_id=run.pk) == 2  # once the lock is gone


@pytest.mark.django_db(transaction=True)
def test_racing_workers_claim_each_batch_once_and_mail_no_one_twice(no_sends):
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent PostgreSQL writers")
    people = DataSubjectFactory.create_batch(30)
    run = _run()
    barrier = threading.Barrier(6)
    handled: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            for _ in range(10):
                handled.append(campaigns.run_batch(PROBE, run_id=run.pk, batch_size=2))
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _run_all(run)  # whatever the race left (a claim skipped ends a worker's turn)

    assert not errors
    run.refresh_from_db()
    keys = _keys()
    assert len(keys) == len(set(keys)) == 30 == run.sent
    assert sorted(keys) == sorted(f"probe-{run.pk}-{p.pk}" for p in people)
    assert sum(handled) <= 30


@pytest.mark.django_db
def test_queue_many_adds_only_new_keys_and_checks_the_template_once_per_language(
    no_sends,
):
    outbox.queue_email(key="k-1", to="a@example.org", template="probe", context={})
    with mock.patch.object(outbox, "render", wraps=outbox.render) as render:
        ids = outbox.queue_many(
            template="probe",
            context={"name": "Ann"},
            recipients=[
                ("k-1", "a@example.org", "en"),
                ("k-2", "b@example.org", "de"),
                ("k-3", "c@example.org", "de"),
            ],
        )
    assert render.call_count == 2  # en and de
    assert len(ids) == 2
    rows = OutboundEmail.objects.filter(pk__in=ids).order_by("key")
    assert [(r.key, r.to, r.language, r.context) for r in rows] == [
        ("k-2", "b@example.org", "de", {"name": "Ann"}),
        ("k-3", "c@example.org", "de", {"name": "Ann"}),
    ]
    assert outbox.queue_many(template="probe", context={}, recipients=[]) == []


@pytest.mark.django_db
def test_queue_many_with_a_missing_template_adds_nothing(no_sends):
    from django.template import TemplateDoesNotExist

    with pytest.raises(TemplateDoesNotExist):
        outbox.queue_many(
            template="no_such_template",
            context={},
            recipients=[("k-1", "a@example.org", "en")],
        )
    assert not OutboundEmail.objects.exists() and no_sends == []


@pytest.mark.django_db
def test_queue_many_sends_in_chunks_after_commit(
    no_sends, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(outbox, "SEND_CHUNK", 2)
    recipients = [(f"k-{n}", f"p{n}@example.org", "en") for n in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        ids = outbox.queue_many(template="probe", context={}, recipients=recipients)
        assert no_sends == []
    assert no_sends == [ids[0:2], ids[2:4], ids[4:5]]


@pytest.mark.django_db
def test_send_many_renders_each_text_once_and_sends_each_email_once(no_sends):
    ids = outbox.queue_many(
        template="probe",
        context={"name": "Ann"},
        recipients=[(f"k-{n}", f"p{n}@example.org", "en") for n in range(4)],
    )
    with mock.patch.object(outbox, "render", wraps=outbox.render) as render:
        assert outbox.send_many(ids) == 4
    assert render.call_count == 1
    assert outbox.send_many(ids) == 0  # a redelivered task
    assert sorted(m.to[0] for m in mail.outbox) == [
        f"p{n}@example.org" for n in range(4)
    ]
    assert {m.subject for m in mail.outbox} == {"Hello Ann"}


@pytest.mark.django_db
def test_send_many_records_a_refused_email_and_sends_the_rest(no_sends, monkeypatch):
    ids = outbox.queue_many(
        template="probe",
        context={},
        recipients=[(f"k-{n}", f"p{n}@example.org", "en") for n in range(3)],
    )
    from django.core.mail.backends.locmem import EmailBackend

    real = EmailBackend.send_messages

    def refuse_p1(self, messages):
        if messages[0].to == ["p1@example.org"]:
            raise ConnectionRefusedError("relay refused")
        return real(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuse_p1)
    assert outbox.send_many(ids) == 2
    refused = OutboundEmail.objects.get(key="k-1")
    assert refused.status == OutboundEmail.Status.PENDING and refused.attempts == 1
    assert "relay refused" in refused.last_error


@pytest.mark.django_db
def test_send_many_leaves_the_connection_awaiting_commits_again(no_sends):
    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's")
    ids = outbox.queue_many(
        template="probe", context={}, recipients=[("k-1", "a@example.org", "en")]
    )
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        before = cursor.fetchone()[0]
        assert outbox.send_many(ids) == 1
        cursor.execute("SHOW synchronous_commit")
        # The next task on this worker's connection (a batch) waits for the disk.
        assert cursor.fetchone()[0] == before == "on"


@pytest.mark.django_db
def test_a_campaign_runs_at_the_pace_its_own_settings_give(
    settings, no_sends, django_capture_on_commit_callbacks, monkeypatch
):
    import dataclasses

    paced = dataclasses.replace(
        PROBE, size_setting="PROBE_BATCH_SIZE", interval_setting="PROBE_INTERVAL"
    )
    settings.PROBE_BATCH_SIZE, settings.PROBE_INTERVAL = 2, 7
    settings.CONSENT_CAMPAIGN_BATCH_SIZE = 50
    settings.CONSENT_CAMPAIGN_BATCH_INTERVAL = 1
    countdowns: list[int] = []
    monkeypatch.setattr(
        BATCHES, "apply_async", lambda args, countdown=0: countdowns.append(countdown)
    )
    DataSubjectFactory.create_batch(5)
    run = _run()
    with django_capture_on_commit_callbacks(execute=True):
        assert campaigns.run_batch(paced, run_id=run.pk) == 2
        assert campaigns.run_batch(PROBE, run_id=run.pk) == 3  # the default pace
    assert countdowns == [7, 1]


def test_breach_notices_have_their_own_pace_and_default_to_the_campaigns(tmp_path):
    from incidents_app.notices import CAMPAIGN
    from tests.test_settings import run_django

    assert CAMPAIGN.size_setting == "BREACH_NOTICE_BATCH_SIZE"
    assert CAMPAIGN.interval_setting == "BREACH_NOTICE_BATCH_INTERVAL"
    show = (
        "shell",
        "--verbosity=0",  # without the "objects imported" line
        "-c",
        "from django.conf import settings as s; "
        "print(s.BREACH_NOTICE_BATCH_SIZE, s.BREACH_NOTICE_BATCH_INTERVAL)",
    )
    env = {"DEBUG": "1", "CONSENT_CAMPAIGN_BATCH_SIZE": "300"}
    env["CONSENT_CAMPAIGN_BATCH_INTERVAL"] = "9"
    assert run_django(env, *show).stdout.split() == ["300", "9"]
    env |= {"BREACH_NOTICE_BATCH_SIZE": "800", "BREACH_NOTICE_BATCH_INTERVAL": "1"}
    assert run_django(env, *show).stdout.split() == ["800", "1"]
    bad = run_django({**env, "BREACH_NOTICE_BATCH_SIZE": "0"}, *show)
    assert "Environment variable BREACH_NOTICE_BATCH_SIZE" in bad.stderr
