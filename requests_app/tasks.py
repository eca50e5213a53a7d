"""Thin Celery tasks over the request services."""

from __future__ import annotations

import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(name="requests_app.tasks.request_deadlines_task", acks_late=True)
def request_deadlines_task() -> dict[str, int]:
    """Hourly: close unverified, acknowledge, remind, escalate, digest."""
    from requests_app.services import deadlines_run

    return deadlines_run().as_dict()


def _later(task, object_id: int, seconds: int) -> None:
    # A lost retry is not lost work: the dispatch job re-sends due pending rows.
    try:
        task.apply_async((object_id,), countdown=seconds)
    except Exception:
        log.warning("could not schedule a retry of %s", task.name, exc_info=True)


@shared_task(name="requests_app.tasks.erasure_start_task", acks_late=True)
def erasure_start_task(request_id: int) -> int:
    from requests_app.fulfilment.erasure import erasure_start

    return len(erasure_start(request_id=request_id))


# A step locked by another attempt is looked at again this often, for about
# as long as the dispatch job's period; after that the dispatch job has it.
STEP_BUSY_COUNTDOWN = 3
STEP_BUSY_RETRIES = 20


@shared_task(
    name="requests_app.tasks.erasure_step_task",
    acks_late=True,
    bind=True,
    max_retries=STEP_BUSY_RETRIES,
)
def erasure_step_task(self, outcome_id: int) -> str:
    """One source's erasure step; then try to finish the request."""
    from requests_app.fulfilment.erasure import erasure_finish, erasure_step_run

    result = erasure_step_run(outcome_id=outcome_id)
    if result.state == "busy" and self.request.retries < STEP_BUSY_RETRIES:
        # Another attempt holds the step (a duplicate delivery, or a worker
        # just killed whose lock goes with its connection): soon, not in minutes.
        raise self.retry(countdown=STEP_BUSY_COUNTDOWN)
    if result.state == "retry":
        _later(erasure_step_task, outcome_id, result.retry_in)
    elif result.state == "done" and result.request_id:
        erasure_finish(request_id=result.request_id)
    return result.state


@shared_task(name="requests_app.tasks.export_build_task", acks_late=True)
def export_build_task(package_id: int) -> str:
    from requests_app.fulfilment.exports import export_build

    result = export_build(package_id=package_id)
    if result.state == "retry":
        _later(export_build_task, package_id, result.retry_in)
    return result.state


@shared_task(name="requests_app.tasks.fulfilment_dispatch_task", acks_late=True)
def fulfilment_dispatch_task() -> dict[str, int]:
    """Every minute: start due erasures, recover lost steps and builds."""
    from requests_app.fulfilment.erasure import erasure_dispatch
    from requests_app.fulfilment.exports import exports_dispatch

    return {**erasure_dispatch(), **exports_dispatch()}


@shared_task(name="requests_app.tasks.submission_process_task", acks_late=True)
def submission_process_task(submission_id: int) -> str | None:
    """Turn one public form submission into a request (idempotent: claimed)."""
    from requests_app.services.submissions import submission_process

    request = submission_process(submission_id=submission_id)
    return None if request is None else request.reference


@shared_task(name="requests_app.tasks.status_link_resend_task", acks_late=True)
def status_link_resend_task(email: str, reference: str) -> bool:
    """A lost status link asked for on the public page (sends at most hourly)."""
    from requests_app.services.intake import request_status_link_resend

    return request_status_link_resend(email=email, reference=reference)


@shared_task(name="requests_app.tasks.submissions_drain_task", acks_late=True)
def submissions_drain_task() -> int:
    """Woken by the public form: file every fresh submission (see submissions.py)."""
    from requests_app.services.submissions import submissions_drain

    return submissions_drain()


@shared_task(name="requests_app.tasks.submission_redispatch_task", acks_late=True)
def submission_redispatch_task() -> int:
    """Every few minutes: re-send submissions whose task was lost."""
    from requests_app.services.submissions import submissions_redispatch

    return submissions_redispatch()
