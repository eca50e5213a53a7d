from __future__ import annotations

from celery import shared_task


@shared_task(
    name="privacyportal.api.webhooks.tasks.webhook_deliver_task", ignore_result=True
)
def webhook_deliver_task(delivery_id: int) -> str:
    """Claims the delivery first: a duplicated task sends nothing twice."""
    from privacyportal.api.webhooks.services import delivery_attempt

    return delivery_attempt(delivery_id=delivery_id)


@shared_task(
    name="privacyportal.api.webhooks.tasks.webhooks_dispatch_due_task",
    ignore_result=True,
)
def webhooks_dispatch_due_task() -> int:
    from privacyportal.api.webhooks.services import deliveries_dispatch_due

    return deliveries_dispatch_due()
