from __future__ import annotations

from django.apps import AppConfig


class RequestsConfig(AppConfig):
    name = "requests_app"
    verbose_name = "Privacy requests"

    def ready(self) -> None:
        from privacyportal import schedule

        schedule.register(
            schedule.Job(
                "Privacy request deadlines",
                "requests_app.tasks.request_deadlines_task",
                60,
                "Closes unverified requests, sends acknowledgements, reminders 7 and "
                "2 days before due, one escalation when overdue and a daily digest.",
            )
        )
