"""Operators' and cron's way to run the complaint reminders (beat runs it hourly)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from complaints_app.services import complaints_alert


class Command(BaseCommand):
    help = (
        "Send the complaint reminders due now (7 and 2 days before the "
        "acknowledgement or decision date) and the overdue escalations; each "
        "is sent once, so running it again sends nothing new."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        reminders, escalations = complaints_alert()
        self.stdout.write(f"{reminders} reminder(s), {escalations} escalation(s) sent.")
