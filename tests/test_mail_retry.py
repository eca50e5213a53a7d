"""An e-mail whose send fails on a database error is retried in seconds."""

from __future__ import annotations

import time

import psycopg2
import pytest
from django.db import (
    InterfaceError,
    OperationalError,
    connection,
    transaction,
)

from conftest import WorkerProcess
from privacyportal import mail as outbox
from privacyportal.models import OutboundEmail
from privacyportal.tasks import send_email_task


@pytest.mark.django_db
@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_database_error_while_sending_is_retried_with_backoff(error, monkeypatch):
    calls = []

    def send_one(email_id: int) -> bool:
        calls.append(email_id)
        if len(calls) == 1:
            raise error("server closed the connection unexpectedly")
        return True

    monkeypatch.setattr(outbox, "send_one", send_one)
    result = send_email_task.apply(args=(7,))

    assert result.successful() and result.result is True
    assert calls == [7, 7]
    assert send_email_task.retry_backoff and send_email_task.retry_backoff_max <= 60
    assert send_email_task.max_retries <= 8  # bounded: then the re-dispatch job


def _allow_connections(allow: bool) -> None:
    # Sessions already open (this test's) stay; new ones are refused, as
    # during a failover or a restart of the database. Said from another
    # database: PostgreSQL refuses it for the current one.
    conf = connection.settings_dict
    admin = psycopg2.connect(
        dbname="postgres",
        user=conf["USER"],
        password=conf["PASSWORD"] or None,
        host=conf["HOST"] or "127.0.0.1",
        port=conf["PORT"] or 5432,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'ALTER DATABASE "{conf["NAME"]}" ALLOW_CONNECTIONS {allow}')
    admin.close()


def _worker_log_since(offset: int) -> str:
    with open(WorkerProcess().log, "rb") as log:
        log.seek(offset)
        return log.read().decode(errors="replace")


@pytest.mark.services
def test_an_email_sent_while_the_database_refused_the_worker_goes_within_seconds(
    celery_worker, wait_until
):
    offset = celery_worker.log.stat().st_size
    connection.ensure_connection()  # ours stays open while new ones are refused
    _allow_connections(False)
    try:
        with transaction.atomic():
            email = outbox.queue_email(
                key="retry-after-db-error",
                to="ann@example.org",
                template="consent_preferences_link",
                context={"url": "https://example.org/p/x", "days": 7},
            )
        began = time.monotonic()
        wait_until(lambda: "OperationalError" in _worker_log_since(offset), timeout=15)
    finally:
        _allow_connections(True)

    wait_until(
        lambda: OutboundEmail.objects.filter(
            pk=email.pk, status=OutboundEmail.Status.SENT
        ).exists(),
        timeout=30,
    )
    print(f"sent {time.monotonic() - began:.1f} s after queueing")
    assert "send_email_task" in _worker_log_since(offset)
