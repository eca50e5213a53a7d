from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from disclosures_app.importer import OPTIONAL, REQUIRED, disclosures_import, read_rows
from privacyportal.audit.services import Actor
from privacyportal.management.csvimport import CsvImportCommand


class Command(CsvImportCommand):
    help = (
        f"Record disclosures made by other systems, from a CSV file with columns "
        f"{', '.join(REQUIRED)} and optional {', '.join(OPTIONAL)}. categories are "
        "separated by ';'. Every row goes through the policy check; all rows or "
        "none: any bad row stores nothing and is reported by line."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        with self.open_csv(path) as handle:
            rows, header_error = read_rows(handle)
        if header_error:
            raise CommandError(f"line 1: {header_error}; nothing was imported")
        report = disclosures_import(
            actor=Actor.system(f"import_disclosures {path.name}"),
            rows=rows,
            dry_run=options["dry_run"],
            progress=self.progress(len(rows)),
        )
        if report.errors:
            self.fail(report.errors, report.rows)
        self.stderr.write("")
        if report.dry_run:
            self.stdout.write(f"{report.rows} rows valid; nothing imported (dry run)")
            return
        self.stdout.write(f"{report.imported} disclosures imported")
