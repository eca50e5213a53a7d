from __future__ import annotations

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "privacyportal.api.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from privacyportal import emailtitles, retention, schedule
        from privacyportal.api.webhooks import categories
        from privacyportal.api.webhooks.services import on_audit_event
        from privacyportal.audit import describe
        from privacyportal.audit.services import SUBSCRIBERS

        if on_audit_event not in SUBSCRIBERS:
            SUBSCRIBERS.append(on_audit_event)
        for category in categories.ALL:
            retention.register(category)
        for code, sentence in SENTENCES.items():
            describe.register(code, sentence)
        describe.register_area("webhooks", "Webhook", "Webhooks")
        emailtitles.register("webhook_disabled", "A webhook was disabled")
        schedule.register(
            schedule.Job(
                "Webhooks: send due deliveries",
                "privacyportal.api.webhooks.tasks.webhooks_dispatch_due_task",
                1,
                "Sends webhook deliveries whose retry time has come, and any the "
                "broker lost; each delivery is sent by one worker only.",
            )
        )


SENTENCES = {
    "webhooks.subscription.created": "Webhook subscription created",
    "webhooks.subscription.changed": "Webhook subscription changed",
    "webhooks.subscription.enabled": "Webhook subscription enabled",
    "webhooks.subscription.disabled": "Webhook subscription disabled",
    "webhooks.delivery.redelivered": "Webhook event sent again",
}
