from __future__ import annotations

from pathlib import Path
from typing import Any

from consent_app.importer import consents_import, read_csv
from privacyportal.audit.services import Actor
from privacyportal.management.csvimport import CsvImportCommand


class Command(CsvImportCommand):
    help = (
        "Import consents from a CSV file with columns email, purpose, action "
        "(granted|withdrawn) and optional evidence, given_at (ISO date-time). "
        "All rows or none: any bad row aborts the import and is reported."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        with self.open_csv(path) as handle:
            rows, errors = read_csv(handle)
        if errors:
            self.fail(errors, len(rows))
        report = consents_import(
            actor=Actor.system("import_consents"),
            rows=rows,
            source_name=path.name,
            dry_run=options["dry_run"],
            progress=self.progress(len(rows)),
        )
        if report.errors:
            self.fail(report.errors, report.rows)
        if report.dry_run:
            self.stdout.write(f"{report.rows} rows valid; nothing imported (dry run)")
            return
        self.stderr.write("")
        self.stdout.write(
            f"{report.imported} consents imported, "
            f"{report.subjects_created} subjects created"
        )
