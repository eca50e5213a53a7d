"""The access-export package as the person reads it: index.html and the CSVs."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.utils import dateformat, timezone, translation
from django.utils.formats import get_format

from consent_app.services import consent_grant, consent_withdraw
from consent_app.tests.factories import PurposeFactory
from disclosures_app.models import Transfer
from disclosures_app.tests.factories import DisclosureFactory, RecipientFactory
from privacyportal.audit.services import Actor
from privacyportal.registry import ErasureResult, Outcome, SourceInfo, registry
from privacyportal.subjects.sources import SubjectProfileSource
from privacyportal.subjects.tests.factories import DataSubjectFactory, DeviceFactory
from requests_app.fulfilment import exports
from requests_app.fulfilment.export import _DateText, build_export
from requests_app.models import PrivacyRequest
from requests_app.tests.factories import staff_user
from requests_app.tests.fulfilment_helpers import verified_for

pytestmark = pytest.mark.django_db
AT = datetime(2026, 12, 4, 10, 53, 42, tzinfo=UTC)
ART_15_HEADINGS = (
    "Your data",
    "Why we hold it, who receives it, how long we keep it",
    "Categories of data",
    "Purposes of processing",
    "Recipients",
    "How long we keep it",
    "Where it came from",
    "Who may receive your data",
    "Automated decisions",
    "Your rights",
    "How to complain",
)


class Visits:
    """A source with fixed timestamps, numbers and awkward text."""

    key, label = "test.visits", "Shop visits"
    info = SourceInfo(
        categories=("visits",),
        purposes=("counting visitors",),
        retention="90 days",
        origin="the shop's door counter",
    )

    def __init__(self, rows: list[dict] | None = None) -> None:
        self.rows = rows if rows is not None else self.default_rows()

    @staticmethod
    def default_rows() -> list[dict]:
        return [
            {
                "at": AT,
                "day": date(2026, 12, 1),
                "iso_text": "2026-12-01T10:53:42+00:00",
                "balance": Decimal("-12.50"),
                "change": -3,
                "code": "-SN-1",
                "note": '<script>alert("x")</script>',
            }
        ]

    def export(self, subject):
        return {"visits": iter(self.rows), "empty": iter([]), "tags": iter(["a", "b"])}

    def erase(self, subject, *, actor):
        return ErasureResult(Outcome.NOTHING)


class _Text(HTMLParser):
    """The words a reader sees: text nodes, outside <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = False

    def handle_starttag(self, tag, attrs):
        self._skip = tag == "style"

    def handle_endtag(self, tag):
        self._skip = False

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return " ".join(" ".join(parser.parts).split())


def package(tmp_path: Path, subject, **options) -> zipfile.ZipFile:
    manifest = build_export(
        subject=subject, path=tmp_path / "p.zip", reference="PR-7", **options
    )
    return zipfile.ZipFile(manifest.path)


@pytest.fixture
def person():
    subject = DataSubjectFactory(
        name="Marta Kowalska",
        email="marta@example.org",
        demographics={"age_band": "30-39"},
    )
    DeviceFactory(subject=subject, serial_number="SN-4471")
    PurposeFactory(code="newsletter")
    system = Actor.system("test")
    consent_grant(actor=system, subject=subject, purpose="newsletter", source="form")
    consent_withdraw(actor=system, subject=subject, purpose="newsletter", source="form")
    return subject


# --- index.html -------------------------------------------------------------------


def test_index_shows_the_persons_own_data_from_every_source(tmp_path, person):
    DisclosureFactory(subject=person, recipient=RecipientFactory(name="Acme Resale"))
    index = package(tmp_path, person).read("index.html").decode()
    text = visible_text(index)
    # Profile, devices, consent history and disclosures: the values, not counts.
    for value in (
        "Marta Kowalska",
        "marta@example.org",
        "SN-4471",
        "Age band",
        "30-39",
        "newsletter",
        "granted",
        "withdrawn",
        "Acme Resale",
    ):
        assert value in text, value
    # Sections carry the sources' labels and fields read as words.
    for label in ("Profile and devices", "Consent choices and their history"):
        assert label in text
    assert "Serial number" in text and "serial_number" not in text


def test_index_gives_the_article_15_information_without_raw_keys(tmp_path, person):
    text = visible_text(package(tmp_path, person).read("index.html").decode())
    for heading in ART_15_HEADINGS:
        assert heading in text, heading
    for right in ("Rectification", "Erasure", "Restriction", "Objection"):
        assert right in text
    assert "supervisory authority" in text
    for source in registry:
        assert source.key not in text, source.key
    assert "subjects." not in text


def test_index_is_self_contained(tmp_path, person):
    index = package(tmp_path, person).read("index.html").decode()
    assert "<style>" in index
    assert "<script" not in index.lower()
    assert "<link" not in index.lower() and "src=" not in index.lower()
    assert not re.search(r"https?://", index)
    # Links go to files in the package or to places on the page.
    hrefs = re.findall(r'href="([^"]*)"', index)
    assert hrefs and all(h.startswith(("#", "csv/")) for h in hrefs)


def test_index_escapes_the_data_and_keeps_every_row(tmp_path):
    rows = [*Visits.default_rows(), {"other": "field", "at": AT}]
    archive = package(tmp_path, DataSubjectFactory(), sources=[Visits(rows)])
    index = archive.read("index.html").decode()
    assert "<script" not in index
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in index
    text = visible_text(index)
    # A row with other fields gets its own header row instead of losing them.
    assert "Other" in text and "field" in text
    assert "2 records." in text
    assert "Nothing held." in text  # the empty list says so
    assert "<li>a</li><li>b</li>" in index  # a plain list of values


def test_index_summary_names_the_register_recipients_and_their_safeguards(
    tmp_path, person
):
    processor = RecipientFactory(
        name="Mailhouse", processor=True, data_categories=["contact details"]
    )
    Transfer.objects.create(
        recipient=processor, country="United States", safeguard="scc"
    )
    RecipientFactory(name="Gone Partner", archived_at=timezone.now())
    text = visible_text(package(tmp_path, person).read("index.html").decode())
    assert "Mailhouse" in text
    assert "United States (Standard contractual clauses)" in text
    assert "Gone Partner" not in text
    # The profile holds contact details: its recipients include that kind.
    assert "Service provider (processor)" in text


@pytest.mark.parametrize(
    ("language", "day", "stamp"),
    [
        ("en-gb", "1 Dec 2026", "4 Dec 2026, 10:53 a.m."),
        ("de", "1. Dezember 2026", "4. Dezember 2026 10:53"),
        ("fr", "1 décembre 2026", "4 décembre 2026 10:53"),
    ],
)
def test_index_dates_follow_the_language(tmp_path, language, day, stamp):
    archive = package(
        tmp_path, DataSubjectFactory(), sources=[Visits()], language=language
    )
    index = archive.read("index.html").decode()
    assert f'<html lang="{language}">' in index
    text = visible_text(index)
    assert day in text and stamp in text
    # An ISO timestamp a source gave as text is shown as a date too.
    assert "2026-12-01T10:53:42" not in text


def test_the_built_package_follows_the_requests_language(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    subject = DataSubjectFactory(email="sprache@example.org")
    request = verified_for(subject, PrivacyRequest.Type.ACCESS, language="de")
    assert request.language == "de"
    package_row = exports.export_approve(
        actor=staff_user("officer", "Privacy Officer"), request=request
    )
    registry.register(Visits())
    try:
        assert exports.export_build(package_id=package_row.pk).state == "ready"
    finally:
        registry.unregister(Visits.key)
    package_row.refresh_from_db()
    with default_storage.open(package_row.file) as handle:
        index = zipfile.ZipFile(handle).read("index.html").decode()
    assert '<html lang="de">' in index
    assert "4. Dezember 2026 10:53" in index


@pytest.mark.parametrize("language", ["en-gb", "de", "fr", "es", "pt-br"])
def test_fast_dates_match_djangos_formatting(language):
    values = [
        AT,
        datetime(2026, 1, 1, 0, 5, tzinfo=UTC),
        datetime(2026, 7, 31, 23, 59, 59, tzinfo=UTC),
        datetime(2026, 7, 31, 12, 0),
        date(2026, 2, 28),
    ]
    with translation.override(language):
        fast = _DateText()
        for value in values * 2:  # the second round comes from the cache
            if isinstance(value, datetime):
                local = timezone.localtime(value) if timezone.is_aware(value) else value
                expected = dateformat.format(local, get_format("DATETIME_FORMAT"))
            else:
                expected = dateformat.format(value, get_format("DATE_FORMAT"))
            assert fast(value) == expected


# --- CSV ---------------------------------------------------------------------------


def read_csv(archive: zipfile.ZipFile, name: str) -> tuple[str, list[dict]]:
    raw = archive.read(name).decode()
    return raw, list(csv.DictReader(io.StringIO(raw)))


def test_csv_reads_back_plain_timestamps_and_numbers(tmp_path):
    archive = package(tmp_path, DataSubjectFactory(), sources=[Visits()])
    raw, (row,) = read_csv(archive, "csv/test.visits.visits.csv")
    assert '"""' not in raw
    assert row["at"] == "2026-12-04T10:53:42+00:00"
    assert row["day"] == "2026-12-01"
    assert row["iso_text"] == "2026-12-01T10:53:42+00:00"
    assert datetime.fromisoformat(row["at"]) == AT
    # Numbers stay numbers; text starting with "-" keeps the formula guard.
    assert row["balance"] == "-12.50" and row["change"] == "-3"
    assert row["code"] == "'-SN-1"


def test_csv_of_the_real_sources_has_no_doubled_quotes(tmp_path, person):
    verified_for(person, PrivacyRequest.Type.ACCESS)
    archive = package(tmp_path, person)
    names = [n for n in archive.namelist() if n.startswith("csv/")]
    assert "csv/consent.ledger.events.csv" in names
    for name in names:
        raw, rows = read_csv(archive, name)
        assert '"""' not in raw, name
        for row in rows:
            for value in row.values():
                assert not value.startswith('"'), (name, value)
    _, events = read_csv(archive, "csv/consent.ledger.events.csv")
    assert [e["action"] for e in events] == ["granted", "withdrawn"]
    for event in events:
        assert datetime.fromisoformat(event["occurred_at"]).tzinfo is not None
    _, (request,) = read_csv(archive, "csv/requests.privacy_requests.requests.csv")
    assert datetime.fromisoformat(request["received_at"]).tzinfo is not None


@pytest.mark.parametrize("language", ["en-gb", "de", "fr"])
def test_register_recipients_are_matched_in_every_language(tmp_path, person, language):
    # The register records the registry's (English) category names; a German
    # page shows them in German but must still match them.
    RecipientFactory(
        name="Mailhouse", processor=True, data_categories=["contact details"]
    )
    manifest = build_export(
        subject=person, path=tmp_path / "p.zip", reference="PR-7", language=language
    )
    profile = next(s for s in manifest.sources if s.key == "subjects.profile")
    own = SubjectProfileSource.info.recipients
    assert len(profile.recipients) == len(own) + 1


def test_a_long_table_shows_the_first_rows_and_says_where_the_rest_are(
    tmp_path, settings
):
    settings.EXPORT_INDEX_ROWS = 2
    rows = [{"note": f"visit number {i}"} for i in range(5)]
    archive = package(tmp_path, DataSubjectFactory(), sources=[Visits(rows)])
    page = visible_text(archive.read("index.html").decode())
    assert "visit number 1" in page and "visit number 2" not in page
    assert "The first 2 of 5 records are shown here" in page
    _, csv_rows = read_csv(archive, "csv/test.visits.visits.csv")
    assert [r["note"] for r in csv_rows] == [r["note"] for r in rows]
