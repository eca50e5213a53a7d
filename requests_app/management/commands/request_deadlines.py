from __future__ import annotations

from django.core.management.base import BaseCommand

from requests_app.services import deadlines_run


class Command(BaseCommand):
    help = (
        "Run the hourly deadline job once: close requests never verified, send "
        "acknowledgements a law demands, reminders 7 and 2 days before due, one "
        "escalation when overdue and the daily overdue digest. Each e-mail is sent "
        "once however often this runs. --dry-run only counts."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what is due; change nothing."
        )

    def handle(self, *args, **options) -> None:
        summary = deadlines_run(dry_run=options["dry_run"])
        prefix = "would do: " if options["dry_run"] else ""
        counts = ", ".join(f"{k} {v}" for k, v in summary.as_dict().items())
        self.stdout.write(prefix + counts)
