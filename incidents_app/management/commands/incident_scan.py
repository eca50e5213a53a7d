"""Operators' and cron's way to run the 72-hour scan (beat runs it every 5 minutes)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from incidents_app.clocks import AUTHORITY_HOURS, REMINDER_HOURS
from incidents_app.services import incidents_scan


class Command(BaseCommand):
    help = (
        "Send the Privacy Officers the reminders due now for incidents whose "
        "supervisory authority is not yet notified (at "
        f"{', '.join(str(h) for h in REMINDER_HOURS)} hours after becoming aware) "
        f"and, once, the alert when the {AUTHORITY_HOURS} hours have passed. Each "
        "is sent once, so running it again sends nothing new; a scan that runs "
        "late sends only the latest reminder reached."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = incidents_scan()
        reminded, escalated = sent["reminded"], sent["escalated"]
        self.stdout.write(f"{reminded} reminder(s), {escalated} overdue alert(s) sent.")
