from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime

from disclosures_app.tests.factories import DisclosureFactory, RecipientFactory
from privacyportal.audit.services import Actor
from privacyportal.registry import Outcome, registry
from requests_app.fulfilment.export import build_export


def when(day: int) -> datetime:
    return datetime(2026, 10, day, 12, tzinfo=UTC)


def test_the_access_export_lists_each_recipient_from_the_log(tmp_path, subject):
    acme = RecipientFactory(name="Acme Resellers")
    police = RecipientFactory(name="City Police", authority=True)
    for day in (3, 9):
        DisclosureFactory(subject=subject, recipient=acme, disclosed_at=when(day))
    DisclosureFactory(subject=subject, recipient=police, disclosed_at=when(5))
    DisclosureFactory(  # withheld under a documented legal ground
        subject=subject,
        recipient=police,
        disclosed_at=when(6),
        legal_reference="Warrant 17",
        withheld_from_subject=True,
        withheld_ground="Court order forbids telling the person",
    )
    DisclosureFactory(recipient=acme)  # someone else's

    manifest = build_export(
        subject=subject, path=tmp_path / "export.zip", reference="PR-1"
    )
    with zipfile.ZipFile(manifest.path) as zf:
        data = json.loads(zf.read("data.json"))["sources"]["disclosures.log"]["data"]
    assert data["recipients"] == [
        {
            "recipient": "Acme Resellers",
            "kind of recipient": "Channel partner",
            "disclosures": 2,
            "first": "2026-10-03",
            "last": "2026-10-09",
        },
        {
            "recipient": "City Police",
            "kind of recipient": "Public authority",
            "disclosures": 1,
            "first": "2026-10-05",
            "last": "2026-10-05",
        },
    ]
    assert [d["date"] for d in data["disclosures"]] == [
        "2026-10-03",
        "2026-10-05",
        "2026-10-09",
    ]


def test_erasure_keeps_the_log_as_evidence_and_says_why(subject):
    source = registry.get("disclosures.log")
    assert source.erase(subject, actor=Actor.system()).outcome == Outcome.NOTHING
    DisclosureFactory(subject=subject)
    kept = source.erase(subject, actor=Actor.system())
    assert kept.outcome == Outcome.RETAINED and "Art. 19" in kept.legal_basis
