"""End to end: a person's complaint, appeal and compromise report reach their
access-export package, and their erasure says what happened to each."""

from __future__ import annotations

import json
import zipfile

import pytest
from django.core.files.storage import default_storage

from complaints_app.tests.factories import complaint
from incidents_app.tests.test_compromise_reports import confirmed
from privacyportal.audit.models import AuditEvent
from privacyportal.audit.services import Actor
from privacyportal.registry import Outcome
from requests_app.fulfilment import erasure, exports
from requests_app.models import PrivacyRequest, SourceOutcome
from requests_app.services import appeals
from requests_app.tests.fulfilment_helpers import run_erasure, verified_for
from requests_app.tests.test_appeals import (  # noqa: F401 (a fixture)
    _seeded_rules,
    refused,
)

pytestmark = pytest.mark.django_db
SUBJECT = Actor.subject(None)
KEYS = (
    "complaints.complaints",
    "requests.appeals",
    "incidents.compromise_reports",
    "incidents.breach_notices",
)


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def person(officer):
    """Someone who was refused, appealed, complained and reported an account."""
    request, _ = refused(officer, email="marta@example.org")
    appeals.appeal_file(request=request, text="Please look again.", actor=SUBJECT)
    subject = request.subject
    complaint(subject=subject, email=subject.email, text="My appeal was ignored.")
    confirmed(email="Marta@example.org", what_happened="Someone used my login.")
    # Another person's of each kind, which must stay out of the package.
    other, _ = refused(officer, email="other@example.org")
    appeals.appeal_file(request=other, text="Not Marta's.", actor=SUBJECT)
    complaint(subject=other.subject, email=other.email, text="Not Marta's.")
    confirmed(email="other@example.org", what_happened="Not Marta's.")
    return subject


def test_the_access_export_holds_the_complaint_appeal_and_report(person, officer):
    request = verified_for(person, PrivacyRequest.Type.ACCESS)
    package = exports.export_approve(actor=officer, request=request)
    assert exports.export_build(package_id=package.pk).state == "ready"
    package.refresh_from_db()
    with default_storage.open(package.file) as handle:
        archive = zipfile.ZipFile(handle)
        data = json.loads(archive.read("data.json"))
        index = archive.read("index.html").decode()
    sources = data["sources"]
    assert set(KEYS) <= set(sources)
    (mine,) = sources["complaints.complaints"]["data"]["complaints"]
    assert mine["complaint"] == "My appeal was ignored."
    (appeal,) = sources["requests.appeals"]["data"]["appeals"]
    assert appeal["appeal"] == "Please look again."
    (report,) = sources["incidents.compromise_reports"]["data"]["reports"]
    assert report["what happened"] == "Someone used my login."
    assert "Not Marta" not in json.dumps(data)
    for label in (
        "Your complaints",
        "Your appeals of our decisions",
        "Your reports of a compromised account",
    ):
        assert label in index


def test_erasure_records_an_outcome_with_reasons_for_each_new_source(
    person, officer, settings
):
    settings.ERASURE_DELAY_HOURS = 0
    request = verified_for(person, PrivacyRequest.Type.ERASURE)
    erasure.erasure_approve(actor=officer, request=request)
    assert run_erasure(request) is True
    steps = {s.source_key: s for s in SourceOutcome.objects.filter(request=request)}
    for key in KEYS[:3]:
        assert steps[key].status == SourceOutcome.Status.DONE, key
        assert steps[key].outcome == Outcome.RETAINED, key
        assert steps[key].reason and steps[key].legal_basis, key
        assert AuditEvent.objects.filter(
            action="requests.request.erasure_step", data__source=key
        ).exists()
    assert "being handled" in steps["complaints.complaints"].reason
    assert "not yet decided" in steps["requests.appeals"].reason
    assert "still looking" in steps["incidents.compromise_reports"].reason
    assert steps["incidents.breach_notices"].outcome == Outcome.NOTHING
    # A report kept while looked into is not a record of handling: it is
    # reported as kept, so the erasure is partly completed.
    request.refresh_from_db()
    assert request.status == PrivacyRequest.Status.PARTIALLY_COMPLETED
