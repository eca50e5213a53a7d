"""Thin Celery tasks of the API."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="privacyportal.api.tasks.idempotency_sweep_task")
def idempotency_sweep_task() -> int:
    from privacyportal.api.idempotency import idempotency_sweep

    return idempotency_sweep()
