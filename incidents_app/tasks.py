"""Thin tasks: one service call each."""

from __future__ import annotations

from celery import shared_task

from incidents_app.services import compromise_reports_purge, incidents_scan


@shared_task
def incidents_scan_task() -> dict[str, int]:
    return incidents_scan()


@shared_task
def compromise_reports_purge_task() -> int:
    return compromise_reports_purge()


# --- breach notices to the people affected (incidents_app/notices.py) -------------


@shared_task(
    name="incidents_app.tasks.notice_batch_task",
    autoretry_for=(ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=5,
)
def notice_batch_task(run_id: int) -> int:
    from incidents_app.notices import notice_run_batch

    return notice_run_batch(run_id=run_id)


@shared_task(name="incidents_app.tasks.notice_runs_resume_task")
def notice_runs_resume_task() -> int:
    from incidents_app.notices import notice_runs_resume

    return notice_runs_resume()
