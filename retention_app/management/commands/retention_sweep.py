from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from privacyportal.audit.services import Actor
from retention_app.services import retention_preview, retention_sweep


class Command(BaseCommand):
    help = (
        "Delete or anonymise every item past its retention period, except what a "
        "legal hold protects, writing a deletion record for each. Safe to run "
        "beside the hourly beat job."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="count what is due; change nothing"
        )
        parser.add_argument(
            "--category",
            action="append",
            dest="categories",
            metavar="C",
            help="only this category (repeatable), e.g. retention.recordings",
        )
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args, **options) -> None:
        only = options["categories"]
        try:
            due = retention_preview(only=only)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        bar = Bar(self.stdout, sum(d.count for d in due.values()))
        run = retention_sweep(
            actor=Actor.system("retention_sweep command"),
            dry_run=options["dry_run"],
            only=only,
            batch_size=options["batch_size"],
            progress=None if options["dry_run"] else bar.advance,
        )
        bar.close()
        counts = ", ".join(f"{k}: {v}" for k, v in sorted(run.counts.items()))
        verb = "would dispose of" if run.dry_run else "disposed of"
        self.stdout.write(
            f"sweep {run.pk} {verb} {counts or 'nothing'} "
            f"({run.bytes_freed} bytes, {len(run.errors)} errors, "
            f"{len(run.anomalies)} anomalies)"
        )
        if run.errors:
            raise CommandError("; ".join(run.errors))


class Bar:
    """Progress (no dependency): a redrawn bar on a terminal, else a line per 10 %."""

    def __init__(self, out, total: int) -> None:
        self.out, self.total, self.done = out, max(total, 1), 0
        self.tty = getattr(out, "isatty", lambda: False)()
        self.step = 0

    def advance(self, category: str, n: int) -> None:
        self.done += n
        share = min(self.done / self.total, 1)
        if self.tty:
            filled = int(30 * share)
            self.out.write(
                f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total}",
                ending="",
            )
            self.out.flush()
        elif int(share * 10) > self.step:
            self.step = int(share * 10)
            self.out.write(f"{category}: {self.done}/{self.total}")

    def close(self) -> None:
        if self.tty:
            self.out.write("")
