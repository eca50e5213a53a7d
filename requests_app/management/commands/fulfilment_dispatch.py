from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from requests_app.fulfilment.erasure import dispatch_preview, erasure_dispatch
from requests_app.fulfilment.exports import exports_dispatch, exports_gone


class Command(BaseCommand):
    help = (
        "Run the fulfilment dispatch job once: start erasures whose cancel window "
        "has passed, re-send erasure steps and export builds whose task was lost, "
        "reset builds a killed worker left half-done, finish erasures whose "
        "sources all have an outcome and delete export packages whose link "
        "expired or was used up. --dry-run only counts."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what is due; change nothing."
        )

    def handle(self, *args, **options) -> None:
        if options["dry_run"]:
            gone = exports_gone(timezone.now()).count()
            summary = {**dispatch_preview(), "exports_deleted": gone}
            prefix = "would do: "
        else:
            summary = {**erasure_dispatch(), **exports_dispatch()}
            prefix = ""
        self.stdout.write(prefix + ", ".join(f"{k} {v}" for k, v in summary.items()))
