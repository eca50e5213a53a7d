from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from privacyportal.audit.services import verify_chain


class Command(BaseCommand):
    help = (
        "Walk the audit chain in order, recomputing every HMAC; report the first "
        "broken link and exit non-zero, or the number of events verified."
    )

    def handle(self, *args, **options) -> None:
        checked, broken = 0, None
        for checked, broken in verify_chain():
            if broken:
                break
            if checked and checked % 100_000 == 0:
                self.stderr.write(f"... {checked} events verified")
        if broken:
            raise CommandError(
                f"audit chain broken at event seq={broken.seq} id={broken.event_id}: "
                f"{broken.problem} ({checked - 1} events before it verified)"
            )
        self.stdout.write(
            self.style.SUCCESS(f"audit chain intact: {checked} events verified")
        )
