"""Portal-wide tasks and the safe way to enqueue any task."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

log = logging.getLogger(__name__)
HEARTBEAT_KEY = "portal:worker-heartbeat"


def enqueue(task: Any, *args: Any, **kwargs: Any) -> None:
    """Send a task once the current transaction commits; never raise to the caller.

    The database already records the work, so a broker outage only delays it:
    the periodic re-dispatch job of the owning app sends it later.
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

    transaction.on_commit(send)


@shared_task(
    name="privacyportal.tasks.send_email_task",
    autoretry_for=(ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=5,
)
def send_email_task(email_id: int) -> bool:
    from privacyportal.mail import send_one

    return send_one(email_id)


@shared_task(name="privacyportal.tasks.redispatch_email_task")
def redispatch_email_task() -> int:
    from privacyportal.mail import redispatch_pending

    return redispatch_pending()


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
