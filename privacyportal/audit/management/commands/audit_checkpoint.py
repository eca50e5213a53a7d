from __future__ import annotations

from django.core.management.base import BaseCommand
from django.template.defaultfilters import pluralize

from privacyportal.audit.checkpoints import (
    checkpoint_file,
    checkpoint_line,
    checkpoint_mail,
    checkpoint_write,
)


class Command(BaseCommand):
    help = (
        "Append the audit chain's newest event number and hash, signed, to the "
        "checkpoint file (AUDIT_CHECKPOINT_FILE) so audit_verify can detect deleted "
        "events. With --mail, also e-mail it to the Privacy Officers (once a day per "
        "officer, however often this runs)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--mail",
            action="store_true",
            help="Also e-mail the checkpoint to every Privacy Officer.",
        )

    def handle(self, *args, **options) -> None:
        if options["mail"]:
            sent = checkpoint_mail()
            self.stdout.write(
                f"checkpoint written to {checkpoint_file()}; {sent} e-mail"
                f"{pluralize(sent)} to Privacy Officers queued (one each a day)"
            )
            return
        checkpoint = checkpoint_write()
        self.stdout.write(
            f"checkpoint #{checkpoint.seq} written to {checkpoint_file()}: "
            f"{checkpoint_line(checkpoint)}"
        )
