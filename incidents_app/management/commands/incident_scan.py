"""Operators' and cron's way to run the notice-period scan (beat: every 5 minutes)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from incidents_app.clocks import AUTHORITY_HOURS, reminder_hours
from incidents_app.services import incidents_scan


class Command(BaseCommand):
    help = (
        "Send the Privacy Officers the reminders due now for incidents whose "
        "supervisory authority is not yet notified (at a third and two thirds of "
        "the incident's notice period and 6 hours before its end: "
        f"{', '.join(str(h) for h in reminder_hours(AUTHORITY_HOURS))} hours after "
        f"becoming aware for {AUTHORITY_HOURS} hours) and, once, the alert when the "
        "period has passed. Each "
        "is sent once, so running it again sends nothing new; a scan that runs "
        "late sends only the latest reminder reached."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = incidents_scan()
        reminded, escalated = sent["reminded"], sent["escalated"]
        self.stdout.write(f"{reminded} reminder(s), {escalated} overdue alert(s) sent.")
