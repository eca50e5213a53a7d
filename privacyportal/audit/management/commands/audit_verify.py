from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import pluralize

from privacyportal.audit.services import Break
from privacyportal.audit.verify import Verdict, audit_verify


class Command(BaseCommand):
    help = (
        "Walk the audit chain in order, recomputing every HMAC, and compare it with "
        "the signed checkpoints (the checkpoint file and any --checkpoint line, e.g. "
        "from the daily e-mail): a missing newest event, a forged checkpoint or a "
        "redaction no redaction event explains is reported. Exits non-zero on any "
        "problem, else prints the number of events verified."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--checkpoint",
            action="append",
            default=[],
            metavar="LINE",
            help="A signed checkpoint line, e.g. from the e-mail to the Privacy "
            "Officers; may be given more than once.",
        )

    def handle(self, *args, **options) -> None:
        verdict = audit_verify(
            extra_lines=options["checkpoint"], progress=self.progress
        )
        for warning in verdict.warnings:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        for problem in verdict.problems:
            self.stderr.write(self.style.ERROR(f"problem: {problem}"))
        if verdict.broken:
            raise CommandError(self.describe(verdict.broken, verdict.checked))
        if verdict.problems:
            count = len(verdict.problems)
            raise CommandError(f"audit check failed: {count} problem{pluralize(count)}")
        self.stdout.write(self.style.SUCCESS(self.summary(verdict)))

    def progress(self, checked: int) -> None:
        if checked % 100_000 == 0:
            self.stderr.write(f"... {checked} events verified")

    @staticmethod
    def describe(broken: Break, checked: int) -> str:
        where = f"seq={broken.seq}"
        if broken.event_id is not None:
            where += f" id={broken.event_id}"
        verified = checked if broken.after_walk else checked - 1
        return (
            f"audit chain broken at event {where}: {broken.problem} "
            f"({verified} events {'' if broken.after_walk else 'before it '}verified)"
        )

    @staticmethod
    def summary(verdict: Verdict) -> str:
        text = f"audit chain intact: {verdict.checked} events verified"
        anchor = verdict.newest_checkpoint
        if anchor is not None:
            when = f"{anchor.at:%Y-%m-%d %H:%M} UTC"
            text += f"; newest checkpoint #{anchor.seq} ({when}) matches"
        return text
