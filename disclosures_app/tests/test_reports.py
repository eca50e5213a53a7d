"""Disclosures to authorities are counted in the yearly requests report."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from disclosures_app.tests.factories import DisclosureFactory, RecipientFactory

pytestmark = pytest.mark.django_db


def when(year: int) -> dt.datetime:
    return dt.datetime(year, 6, 1, 12, tzinfo=dt.UTC)


def test_the_yearly_report_counts_authority_disclosures_and_those_withheld(
    admin_client,
):
    police = RecipientFactory(name="City Police", authority=True)
    DisclosureFactory(recipient=police, disclosed_at=when(2025), legal_reference="W1")
    DisclosureFactory(
        recipient=police,
        disclosed_at=when(2025),
        legal_reference="W2",
        withheld_from_subject=True,
        withheld_ground="Court order forbids telling the person",
    )
    DisclosureFactory(recipient=police, disclosed_at=when(2024), legal_reference="W0")
    DisclosureFactory(recipient=RecipientFactory(), disclosed_at=when(2025))

    page = admin_client.get(
        "/admin/reports/", {"year": 2025, "report": "accountability"}
    )
    extras = dict(page.context["table"]["extras"])
    assert extras["Disclosures to public authorities"] == "2"
    withheld = next(k for k in extras if k.startswith("of which withheld"))
    assert extras[withheld] == "1"
    download = admin_client.get(
        "/admin/reports/",
        {"year": 2025, "report": "accountability", "format": "csv"},
    )
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    assert ["Disclosures to public authorities", "2"] in rows
    published = admin_client.get(
        "/admin/reports/",
        {"year": 2025, "report": "accountability", "publishable": "on"},
    )
    assert "fewer than 5" in dict(published.context["table"]["extras"]).values()
