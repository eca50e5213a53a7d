"""Thin Celery tasks: each calls one service."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="privacyportal.audit.tasks.audit_checkpoint_task")
def audit_checkpoint_task() -> int:
    from privacyportal.audit.checkpoints import checkpoint_write

    return checkpoint_write().seq


@shared_task(
    name="privacyportal.audit.tasks.audit_checkpoint_mail_task",
    autoretry_for=(ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=5,
)
def audit_checkpoint_mail_task() -> int:
    from privacyportal.audit.checkpoints import checkpoint_mail

    return checkpoint_mail()


@shared_task(name="privacyportal.audit.tasks.audit_chain_check_task")
def audit_chain_check_task() -> bool:
    from privacyportal.audit.watch import audit_chain_check

    return audit_chain_check().ok
