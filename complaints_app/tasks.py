"""Thin Celery tasks over the complaint services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="complaints_app.tasks.complaints_alert_task", acks_late=True)
def complaints_alert_task() -> dict[str, int]:
    """Hourly: reminders before each complaint date, escalation once overdue."""
    from complaints_app.services import complaints_alert

    reminders, escalations = complaints_alert()
    return {"reminders": reminders, "escalations": escalations}
