"""Accept fast, process asynchronously: the public form's intake table."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from privacyportal.models import OutboundEmail
from privacyportal.subjects.tests.factories import DataSubjectFactory
from requests_app.models import PrivacyRequest, RequestSubmission
from requests_app.services import (
    submission_process,
    submissions_drain,
    submissions_redispatch,
)
from requests_app.services.submissions import WAKE_KEY
from requests_app.tasks import submission_process_task, submissions_drain_task

pytestmark = pytest.mark.django_db
FORM = "/privacy/request/"
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


def payload(**overrides) -> dict:
    return {
        "type": "access",
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "country": "DE",
        "relationship": "customer",
        "details": "Everything, please.",
        "website": "",
        **overrides,
    }


@pytest.fixture
def broker_down(monkeypatch):
    def fail(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(submission_process_task, "apply_async", fail)
    monkeypatch.setattr(submissions_drain_task, "apply_async", fail)


def test_broker_down_keeps_the_submission_for_the_redispatch_job(
    client, broker_down, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(FORM, payload(email="later@example.org"))
    assert (
        response.status_code == 302 and response["Location"] == "/privacy/request/sent/"
    )
    row = RequestSubmission.objects.get()
    assert row.processed_at is None and not PrivacyRequest.objects.exists()
    # Too recent to be re-sent (its task may still be in flight).
    assert submissions_redispatch() == 0
    monkeypatch.undo()  # the broker is back

    def inline(args=(), kwargs=None, **options):
        submission_process(submission_id=args[0])

    monkeypatch.setattr(submission_process_task, "apply_async", inline)
    later = timezone.now() + timedelta(minutes=5)
    with time_machine.travel(later), django_capture_on_commit_callbacks(execute=True):
        assert submissions_redispatch() == 1
    request = PrivacyRequest.objects.get(email="later@example.org")
    # The clock runs from when the form accepted it, not from processing.
    assert request.received_at == row.received_at
    assert OutboundEmail.objects.filter(to="later@example.org").count() == 1
    assert not RequestSubmission.objects.exists()


def test_the_command_processes_late_submissions_without_a_broker(
    client, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(FORM, payload(email="cmd@example.org"))
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        call_command("request_submissions", "--now", stdout=io.StringIO())
    assert PrivacyRequest.objects.filter(email="cmd@example.org").count() == 1
    assert not RequestSubmission.objects.exists()


def test_a_task_delivered_twice_files_one_request(
    client, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(FORM, payload(email="twice@example.org"))
    pk = RequestSubmission.objects.get().pk
    first = submission_process_task.run(pk)
    second = submission_process_task.run(pk)
    assert first and first.startswith("PR-") and second is None
    assert PrivacyRequest.objects.filter(email="twice@example.org").count() == 1
    assert OutboundEmail.objects.filter(to="twice@example.org").count() == 1


def test_a_processed_submission_holds_no_personal_data(post_form):
    post_form(FORM, payload(email="gone@example.org", details="my secret"))
    assert PrivacyRequest.objects.get().email == "gone@example.org"
    assert not RequestSubmission.objects.exists()


def test_the_intake_row_keeps_only_a_truncated_ip(client, broker_down):
    client.post(FORM, payload(), REMOTE_ADDR="192.0.2.77")
    row = RequestSubmission.objects.get()
    assert row.ip == "192.0.2.0"
    assert "website" not in row.data and row.data["email"] == "ada@example.org"


def _shape(sql: str) -> str:
    # The statement without its values (and without savepoint names).
    return re.sub(r'"s\d+_x\d+"', "sp", sql).split(" VALUES")[0]


def _post_counting(email: str) -> tuple[bytes, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = Client().post(FORM, payload(email=email))
    assert response.status_code == 302
    return CSRF.sub(b"", response.content), [q["sql"] for q in queries]


def test_known_and_unknown_emails_same_page_and_same_queries():
    DataSubjectFactory(email="known@example.org")
    known_page, known_sql = _post_counting("known@example.org")
    unknown_page, unknown_sql = _post_counting("stranger@example.org")
    assert known_page == unknown_page
    assert len(known_sql) == len(unknown_sql)
    assert [_shape(s) for s in known_sql] == [_shape(s) for s in unknown_sql]
    assert RequestSubmission.objects.count() == 2


@pytest.fixture
def published(monkeypatch):
    """Drain tasks published (not run): the worker is busy elsewhere."""
    sent: list[int] = []
    monkeypatch.setattr(
        submissions_drain_task, "apply_async", lambda *a, **k: sent.append(1)
    )
    return sent


def test_posts_while_a_drain_is_pending_publish_no_more_tasks(
    client, published, django_capture_on_commit_callbacks
):
    for i in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(FORM, payload(email=f"burst{i}@example.org"))
    assert len(published) == 1  # one wake-up for the burst
    assert RequestSubmission.objects.count() == 3
    # The drain that runs files all three, and the next POST wakes a new one.
    assert submissions_drain() == 3
    assert PrivacyRequest.objects.count() == 3
    with django_capture_on_commit_callbacks(execute=True):
        client.post(FORM, payload(email="after@example.org"))
    assert len(published) == 2


def test_a_failed_wake_up_lets_the_next_post_try_again(
    client, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(FORM, payload(email="one@example.org"))
    assert response.status_code == 302
    # The key was cleared when the publish failed: no drain is believed pending.
    from privacyportal import fastcache

    assert fastcache.add(WAKE_KEY, 10) is True


def test_one_failing_submission_does_not_hold_up_the_others(
    client, published, monkeypatch, django_capture_on_commit_callbacks
):
    for email in ("a@example.org", "bad@example.org", "c@example.org"):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(FORM, payload(email=email))
    from requests_app.services import submissions as module

    real = module.request_submit

    def flaky(**kwargs):
        if kwargs["submission"].email == "bad@example.org":
            raise RuntimeError("mail template missing")
        return real(**kwargs)

    monkeypatch.setattr(module, "request_submit", flaky)
    assert submissions_drain() == 2
    bad = RequestSubmission.objects.get()
    assert bad.attempts == 1 and bad.data["email"] == "bad@example.org"
    assert not PrivacyRequest.objects.filter(email="bad@example.org").exists()
    # A later drain leaves the retry to the re-dispatch job (its delay is the
    # back-off), which files it once the fault is gone.
    assert submissions_drain() == 0
    monkeypatch.setattr(module, "request_submit", real)
    monkeypatch.setattr(
        submission_process_task,
        "apply_async",
        lambda args=(), **k: submission_process(submission_id=args[0]),
    )
    with (
        time_machine.travel(timezone.now() + timedelta(minutes=5)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert submissions_redispatch() == 1
    assert PrivacyRequest.objects.filter(email="bad@example.org").count() == 1
    assert not RequestSubmission.objects.exists()


def test_a_drain_out_of_time_wakes_a_successor(
    client, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(FORM, payload(email="slow@example.org"))
    assert len(published) == 1
    assert submissions_drain(budget=0) == 0  # no time at all: nothing filed
    assert len(published) == 2  # but the work is handed on
    assert submissions_drain() == 1
