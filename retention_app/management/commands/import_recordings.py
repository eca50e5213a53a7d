from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from privacyportal.audit.services import Actor
from retention_app.management.commands.retention_sweep import Bar
from retention_app.manifest import ManifestError, check_rows, read_manifest
from retention_app.services.ingest import recordings_import

MAX_ERRORS_SHOWN = 50


class Command(BaseCommand):
    help = (
        "Register recordings and chat transcripts listed in a CSV or JSON manifest "
        "(organization, meeting_title, started_at, duration_seconds, participants, "
        "media, transcript or transcript_path; paths relative to the manifest). "
        "Every row is validated first: one bad row imports nothing and is named. "
        "Content is encrypted at rest and each item audited."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("manifest", help="path of a .csv or .json manifest")
        parser.add_argument(
            "--dry-run", action="store_true", help="validate only; import nothing"
        )

    def handle(self, *args, **options) -> None:
        path = Path(options["manifest"])
        try:
            rows = read_manifest(path)
        except ManifestError as exc:
            raise CommandError(str(exc)) from None
        checked = check_rows(rows, base_dir=path.resolve().parent)
        if checked.errors:
            shown = checked.errors[:MAX_ERRORS_SHOWN]
            more = len(checked.errors) - len(shown)
            tail = f"\n... and {more} more" if more > 0 else ""
            raise CommandError(
                f"nothing imported: {len(checked.errors)} problem(s)\n"
                + "\n".join(shown)
                + tail
            )
        if options["dry_run"]:
            self.stdout.write(
                f"dry run: {len(checked.items)} rows valid; nothing imported"
            )
            return
        bar = Bar(self.stdout, len(checked.items))
        result = recordings_import(
            actor=Actor.system("import_recordings command"),
            items=checked.items,
            source=path.name,
            progress=lambda n: bar.advance("import", n),
        )
        bar.close()
        self.stdout.write(
            f"imported {result.recordings} recordings and {result.transcripts} "
            f"transcripts ({result.bytes} bytes) from {len(checked.items)} rows"
        )
