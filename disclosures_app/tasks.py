"""Thin tasks: take ids, call one service."""

from __future__ import annotations

from celery import shared_task

from disclosures_app.notices import notice_send, notices_dispatch


@shared_task(acks_late=True)
def notice_send_task(notice_id: int) -> str:
    result = notice_send(notice_id=notice_id)
    if result.retry_in is not None:
        notice_send_task.apply_async((notice_id,), countdown=result.retry_in)
    return result.status


@shared_task
def notices_dispatch_task() -> int:
    return notices_dispatch()
