from __future__ import annotations

from celery import shared_task

from privacyportal.audit.services import Actor


@shared_task(name="retention_app.tasks.retention_sweep_task", ignore_result=True)
def retention_sweep_task(only: list[str] | None = None) -> int:
    """Hourly sweep. Safe to run twice at once: batches claim with SKIP LOCKED."""
    from retention_app.services import retention_sweep

    run = retention_sweep(actor=Actor.system("retention sweep"), only=only)
    return run.pk
