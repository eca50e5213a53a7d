from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from disclosures_app.importer import OPTIONAL, REQUIRED, disclosures_import, read_rows
from privacyportal.audit.services import Actor


class Command(BaseCommand):
    help = (
        f"Record disclosures made by other systems, from a CSV file with columns "
        f"{', '.join(REQUIRED)} and optional {', '.join(OPTIONAL)}. categories are "
        "separated by ';'. Every row goes through the policy check; all rows or "
        "none: any bad row stores nothing and is reported by line."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path, help="CSV file (UTF-8, header row)")
        parser.add_argument(
            "--dry-run", action="store_true", help="check only; store nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows, header_error = read_rows(handle)
        if header_error:
            raise CommandError(f"line 1: {header_error}; nothing was imported")
        report = disclosures_import(
            actor=Actor.system(f"import_disclosures {path.name}"),
            rows=rows,
            dry_run=options["dry_run"],
            progress=self._progress(len(rows)),
        )
        self.stderr.write("")
        for line, message in report.errors:
            self.stderr.write(f"line {line}: {message}")
        if report.errors:
            raise CommandError(
                f"{len(report.errors)} of {report.rows} rows have errors; "
                "nothing was imported"
            )
        if report.dry_run:
            self.stdout.write(f"{report.rows} rows valid; nothing imported (dry run)")
            return
        self.stdout.write(f"{report.imported} disclosures imported")

    def _progress(self, total: int):
        step = max(total // 50, 1)

        def show(done: int) -> None:
            if done % step and done != total:
                return
            filled = 40 * done // max(total, 1)
            sys.stderr.write(f"\rchecking [{'#' * filled}{'.' * (40 - filled)}] ")
            sys.stderr.write(f"{done}/{total}")
            sys.stderr.flush()

        return show
