from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from consent_app.importer import consents_import, read_csv
from privacyportal.audit.services import Actor


class Command(BaseCommand):
    help = (
        "Import consents from a CSV file with columns email, purpose, action "
        "(granted|withdrawn) and optional evidence, given_at (ISO date-time). "
        "All rows or none: any bad row aborts the import and is reported."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path, help="CSV file (UTF-8, header row)")
        parser.add_argument(
            "--dry-run", action="store_true", help="validate only; write nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows, errors = read_csv(handle)
        if errors:
            self._fail(errors, len(rows))
        report = consents_import(
            actor=Actor.system("import_consents"),
            rows=rows,
            source_name=path.name,
            dry_run=options["dry_run"],
            progress=self._progress(len(rows)),
        )
        if report.errors:
            self._fail(report.errors, report.rows)
        if report.dry_run:
            self.stdout.write(f"{report.rows} rows valid; nothing imported (dry run)")
            return
        self.stderr.write("")
        self.stdout.write(
            f"{report.imported} consents imported, "
            f"{report.subjects_created} subjects created"
        )

    def _fail(self, errors: list[tuple[int, str]], rows: int) -> None:
        for line, message in errors:
            self.stderr.write(f"line {line}: {message}")
        raise CommandError(
            f"{len(errors)} of {rows} rows have errors; nothing was imported"
        )

    def _progress(self, total: int):
        step = max(total // 50, 1)

        def show(done: int) -> None:
            if done % step and done != total:
                return
            filled = 40 * done // max(total, 1)
            bar = "#" * filled + "." * (40 - filled)
            sys.stderr.write(f"\r[{bar}] {done}/{total}")
            sys.stderr.flush()

        return show
