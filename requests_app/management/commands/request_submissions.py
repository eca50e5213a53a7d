from __future__ import annotations

from django.core.management.base import BaseCommand

from requests_app.services.submissions import (
    submissions_process_pending,
    submissions_redispatch,
)


class Command(BaseCommand):
    help = (
        "Public form submissions accepted but not yet turned into requests (the "
        "broker was down): re-send their tasks, or with --now process them here "
        "(no broker needed)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--now", action="store_true", help="Process them in this process."
        )

    def handle(self, *args, **options) -> None:
        if options["now"]:
            self.stdout.write(f"processed {submissions_process_pending()}")
        else:
            self.stdout.write(f"re-dispatched {submissions_redispatch()}")
