from __future__ import annotations

from django.core.management.base import BaseCommand

from incidents_app.services import (
    COMPROMISE_UNCONFIRMED_DAYS,
    compromise_reports_purge,
)


class Command(BaseCommand):
    help = (
        "Delete compromised-account reports that were never confirmed by e-mail "
        f"within {COMPROMISE_UNCONFIRMED_DAYS} days. Confirmed reports are kept. "
        "--dry-run only counts."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what is due; delete nothing."
        )

    def handle(self, *args, **options) -> None:
        count = compromise_reports_purge(dry_run=options["dry_run"])
        verb = "would delete" if options["dry_run"] else "deleted"
        self.stdout.write(f"{verb} {count} unconfirmed report(s)")
