"""Portal-wide tasks and the safe way to enqueue any task."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

log = logging.getLogger(__name__)
HEARTBEAT_KEY = "portal:worker-heartbeat"


def enqueue(task: Any, *args: Any, keep: bool = False, **kwargs: Any) -> None:
    """Send a task once the current transaction commits; never raise to the caller.

    Usually the database already records the work, so a broker outage only
    delays it: the periodic re-dispatch job of the owning app sends it later.
    With ``keep`` the work exists only in this task (its JSON arguments), so a
    refused send is stored as a PendingTask for ``pending_tasks_redispatch``.
    """

    def send() -> None:
        try:
            task.apply_async(args=args, kwargs=kwargs)
        except Exception:  # broker down: logged, retried by the re-dispatch job
            log.warning(
                "could not enqueue %s; it will be re-dispatched",
                task.name,
                exc_info=True,
            )
            if keep:
                _keep(task.name, args)

    transaction.on_commit(send)


def _keep(name: str, args: tuple) -> None:
    from privacyportal.models import PendingTask

    try:
        PendingTask.objects.create(name=name, args=list(args))
    except Exception:  # the database too: nothing left to keep it in
        log.error("lost task %s: broker and database unavailable", name)


# Sent per run; a row refused this many times is left for an operator (logged).
PENDING_BATCH = 500
PENDING_MAX_ATTEMPTS = 50


def pending_tasks_redispatch() -> int:
    """Send kept tasks, oldest first; each row goes once the broker took it."""
    from celery import current_app

    from privacyportal.models import PendingTask

    sent = 0
    rows = PendingTask.objects.filter(attempts__lt=PENDING_MAX_ATTEMPTS)
    for row in rows[:PENDING_BATCH]:
        try:
            current_app.send_task(row.name, args=row.args)
        except Exception:
            PendingTask.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
            log.warning("broker still refuses %s", row.name, exc_info=True)
            break  # the broker is down: the rest wait for the next run
        PendingTask.objects.filter(pk=row.pk).delete()
        sent += 1
    return sent


# A lost database connection (failover, a terminated backend) is retried in
# seconds like a lost SMTP connection, not left to the re-dispatch job's 5
# minutes. Backoff 2, 4, ... capped at 60 s (with jitter): about 2 minutes in
# all, then the re-dispatch job has it. The retry runs on a fresh connection:
# Celery's Django fixup closes one that failed before the next task.
EMAIL_RETRY_ON = (ConnectionError, TimeoutError, OperationalError, InterfaceError)


@shared_task(
    name="privacyportal.tasks.send_email_task",
    autoretry_for=EMAIL_RETRY_ON,
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=6,
)
def send_email_task(email_id: int) -> bool:
    from privacyportal.mail import send_one

    return send_one(email_id)


@shared_task(
    name="privacyportal.tasks.send_emails_task",
    autoretry_for=EMAIL_RETRY_ON,
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=6,
)
def send_emails_task(email_ids: list[int]) -> int:
    """A campaign batch's e-mails; a retry skips those already sent."""
    from privacyportal.mail import send_many

    return send_many(email_ids)


@shared_task(name="privacyportal.tasks.redispatch_email_task")
def redispatch_email_task() -> int:
    from privacyportal.mail import redispatch_pending

    return redispatch_pending()


@shared_task(name="privacyportal.tasks.pending_tasks_redispatch_task")
def pending_tasks_redispatch_task() -> int:
    return pending_tasks_redispatch()


@shared_task(name="privacyportal.tasks.purge_sent_email_task")
def purge_sent_email_task() -> int:
    from privacyportal.mail import purge_sent

    return purge_sent()


@shared_task(name="privacyportal.tasks.heartbeat_task", ignore_result=True)
def heartbeat_task() -> str:
    stamp = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, stamp, None)
    return stamp


@shared_task(name="privacyportal.tasks.ping_task", ignore_result=False)
def ping_task(token: str) -> dict:
    """Answers with what the worker sees, so a test can prove the round trip."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    from privacyportal.subjects.models import DataSubject

    return {
        "token": token,
        "vendor": connection.vendor,
        "subjects": DataSubject.objects.count(),
    }


@shared_task(name="privacyportal.tasks.figures_rollup_task")
def figures_rollup_task() -> int:
    from privacyportal.stats import figures_rollup

    return figures_rollup()
