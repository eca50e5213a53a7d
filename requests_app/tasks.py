"""Thin Celery tasks over the request services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="requests_app.tasks.request_deadlines_task", acks_late=True)
def request_deadlines_task() -> dict[str, int]:
    """Hourly: close unverified, acknowledge, remind, escalate, digest."""
    from requests_app.services import deadlines_run

    return deadlines_run().as_dict()
