"""The shell every CSV import command shares: the file, --dry-run, errors, progress.

Each app keeps its own reader and all-or-nothing service; this is only the
operator's side of it, so the commands say and show the same things.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class CsvImportCommand(BaseCommand):
    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path, help="CSV file (UTF-8, header row)")
        parser.add_argument(
            "--dry-run", action="store_true", help="check only; store nothing"
        )

    def open_csv(self, path: Path) -> Any:
        """The file opened as the readers expect it (a BOM is ignored)."""
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        return path.open(newline="", encoding="utf-8-sig")

    def fail(self, errors: list[tuple[int, str]], rows: int) -> None:
        """Report every bad row by line, then stop: nothing was imported."""
        self.stderr.write("")
        for line, message in errors:
            self.stderr.write(f"line {line}: {message}")
        raise CommandError(
            f"{len(errors)} of {rows} rows have errors; nothing was imported"
        )

    def progress(self, total: int) -> Callable[[int], None]:
        """A bar on stderr, redrawn about 50 times over the whole file."""
        step = max(total // 50, 1)

        def show(done: int) -> None:
            if done % step and done != total:
                return
            filled = 40 * done // max(total, 1)
            bar = "#" * filled + "." * (40 - filled)
            sys.stderr.write(f"\rchecking [{bar}] {done}/{total}")
            sys.stderr.flush()

        return show
