from __future__ import annotations

from celery import shared_task

from privacyportal.audit.watch import audit_chain_check


@shared_task(name="privacyportal.audit.tasks.audit_chain_check_task")
def audit_chain_check_task() -> bool:
    return audit_chain_check().ok
