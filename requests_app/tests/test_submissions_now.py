"""``request_submissions --now`` while the broker is down: fast, e-mails sent."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from conftest import ROOT, _database_url
from privacyportal import mail as outbox
from privacyportal.models import OutboundEmail
from privacyportal.tasks import send_email_task
from requests_app.models import PrivacyRequest, RequestSubmission

# Nothing listens on port 1: every publish would wait for the broker and fail.
DEAD_BROKER = "redis://127.0.0.1:1/0"
LATE = 20


def _late_submissions(n: int) -> list[str]:
    received = timezone.now() - timedelta(minutes=10)
    emails = [f"late{i}@example.org" for i in range(n)]
    RequestSubmission.objects.bulk_create(
        RequestSubmission(
            data={
                "type": "access",
                "name": "Ada Lovelace",
                "email": email,
                "country": "DE",
                "relationship": "customer",
                "details": "Everything, please.",
            },
            received_at=received,
        )
        for email in emails
    )
    return emails


def test_emails_queued_while_sending_here_go_after_commit_without_the_broker(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    def no_broker(*args, **kwargs):
        raise AssertionError("the broker was asked")

    monkeypatch.setattr(send_email_task, "apply_async", no_broker)
    with outbox.sending_here(), django_capture_on_commit_callbacks(execute=True):
        email = outbox.queue_email(
            key="here",
            to="ann@example.org",
            template="consent_preferences_link",
            context={"url": "https://example.org/p/x", "days": 7},
        )
        assert mail.outbox == []  # not before commit
    assert [m.to for m in mail.outbox] == [["ann@example.org"]]
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT


@pytest.mark.services
def test_the_now_command_with_the_broker_down_files_and_mails_each_quickly(
    transactional_db,
):
    emails = _late_submissions(LATE)
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": DEAD_BROKER,
        "EMAIL_URL": "dummymail://",
    }
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "manage.py", "request_submissions", "--now"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    elapsed = time.monotonic() - began
    print(f"{LATE} submissions with the broker down: {elapsed:.1f} s")

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"processed {LATE}"
    assert not RequestSubmission.objects.exists()
    assert PrivacyRequest.objects.filter(email__in=emails).count() == LATE
    sent = OutboundEmail.objects.filter(to__in=emails, status="sent")
    assert sent.count() == LATE
    assert not OutboundEmail.objects.filter(status="pending").exists()
    # Publishing first cost ~2.4 s per submission; process start-up is ~3 s.
    assert elapsed < 15
