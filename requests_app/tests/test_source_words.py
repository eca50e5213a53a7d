"""The registry's words: English text where stored, the reader's language where read.

German catalogues are written elsewhere, so a fake catalogue stands in: it
translates a few registry words while German is active. What is tested is
the mechanics: which values go through translation, and which stay English.
"""

from __future__ import annotations

import json
import re
import zipfile

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy

from privacyportal.audit.models import AuditEvent
from privacyportal.registry import RectifiableSource, registry
from privacyportal.subjects.sources import SubjectProfileSource
from privacyportal.subjects.tests.factories import DataSubjectFactory, DeviceFactory
from requests_app import services
from requests_app.fulfilment import erasure
from requests_app.fulfilment.export import build_export
from requests_app.fulfilment.rectification import field_choices
from requests_app.fulfilment.sources import KEEP_MONTHS, PrivacyRequestSource
from requests_app.models import PrivacyRequest, RectificationItem, SourceOutcome
from requests_app.tests.factories import in_progress, submit, token_from
from requests_app.tests.fulfilment_helpers import run_erasure, verified_for

pytestmark = pytest.mark.django_db

GERMAN = {
    "Profile and devices": "Profil und Geräte",
    "contact details": "Kontaktdaten",
    "Phone number": "Telefonnummer",
}


@pytest.fixture
def german(monkeypatch):
    """A catalogue of three words, consulted only while German is active."""
    real = translation.gettext

    def fake(message: str) -> str:
        if translation.get_language() == "de" and message in GERMAN:
            return GERMAN[message]
        return real(message)

    monkeypatch.setattr(translation, "gettext", fake)


def main(response) -> str:
    html = response.content.decode()
    return re.search(r"<main[^>]*>(.*)</main>", html, re.S).group(1)


def _words(source) -> list:
    info = source.info
    words = [source.label, *info.categories, *info.purposes, *info.recipients]
    words += [info.retention, info.origin]
    if isinstance(source, RectifiableSource):
        words += list(source.rectifiable_fields().values())
    return words


def test_every_builtin_source_word_is_plain_english_text():
    for source in registry:
        words = _words(source)
        assert all(type(w) is str for w in words), source.key
        json.dumps(words)  # a lazy string would raise here


def test_retention_msgid_names_the_months_actually_kept():
    # The number is written into the msgid; this keeps it honest.
    assert f"{KEEP_MONTHS} months" in PrivacyRequestSource.info.retention


def test_export_speaks_the_request_language_and_stays_valid_json(german, tmp_path):
    device = DeviceFactory()
    for language, label, category in (
        ("de", "Profil und Geräte", "Kontaktdaten"),
        ("en-gb", "Profile and devices", "contact details"),
    ):
        path = tmp_path / f"{language}.zip"
        build_export(
            subject=device.subject, path=path, reference="PR-1", language=language
        )
        archive = zipfile.ZipFile(path)
        profile = json.loads(archive.read("data.json"))["sources"]["subjects.profile"]
        assert profile["label"] == label and category in profile["categories"]
        index = archive.read("index.html").decode()
        assert label in index and category in index


def test_erasure_under_german_stores_english_labels_and_audit_data(
    german, officer, settings
):
    settings.ERASURE_DELAY_HOURS = 0
    subject = DataSubjectFactory(email="erase.de@example.org")
    request = verified_for(subject, PrivacyRequest.Type.ERASURE)
    request = erasure.erasure_approve(actor=officer, request=request)
    with translation.override("de"):
        assert run_erasure(request) is True
    stored = SourceOutcome.objects.get(request=request, source_key="subjects.profile")
    assert type(stored.label) is str and stored.label == "Profile and devices"
    data = json.dumps(
        list(AuditEvent.objects.values_list("data", flat=True)), ensure_ascii=False
    )
    assert "Profil und Geräte" not in data


def test_correction_label_is_stored_in_english_and_shown_live(german, client):
    with translation.override("de"):
        request = submit(
            type="rectification",
            corrections=(("subjects.profile.phone", "+44 20 7946 0000"),),
        )
    (item,) = RectificationItem.objects.filter(request=request)
    assert type(item.label) is str and item.label == "Phone number"
    url = f"/privacy/request/verify/{token_from(request)}/"
    assert "Telefonnummer: +44 20 7946 0000" in main(client.get(url + "?lang=de"))
    assert "Phone number: +44 20 7946 0000" in main(client.get(url + "?lang=en-gb"))


def test_correction_form_choices_follow_the_active_language(german):
    with translation.override("de"):
        german_choices = dict(field_choices())
    assert (
        german_choices["subjects.profile.phone"] == "Profil und Geräte: Telefonnummer"
    )
    assert dict(field_choices())["subjects.profile.phone"] == (
        "Profile and devices: Phone number"
    )


def _outcome(request, key: str, label: str) -> None:
    SourceOutcome.objects.create(
        request=request, source_key=key, label=label, status="done", outcome="deleted"
    )


def test_status_page_names_sources_live_and_keeps_the_label_of_a_gone_one(
    german, client, officer
):
    request = in_progress(officer)
    _outcome(request, "subjects.profile", "An old stored label")
    _outcome(request, "gone.system", "A system removed since")
    url = f"/privacy/request/status/{token_from(request, 'request_confirmation')}/"
    page = main(client.get(url + "?lang=de"))
    assert "Profil und Geräte" in page and "An old stored label" not in page
    assert "A system removed since" in page and "gone.system" not in page


def test_status_page_prints_a_lazy_source_label_as_the_source_gives_it(
    client, officer, monkeypatch
):
    monkeypatch.setattr(SubjectProfileSource, "label", gettext_lazy("Your account"))
    request = in_progress(officer)
    _outcome(request, "subjects.profile", "Profile and devices")
    url = f"/privacy/request/status/{token_from(request, 'request_confirmation')}/"
    page = main(client.get(url))
    assert "Your account" in page and "Profile and devices" not in page


def test_status_page_shows_corrections_live_in_the_page_language(german, client):
    request = submit(
        type="rectification",
        corrections=(("subjects.profile.phone", "+44 20 7946 0000"),),
    )
    RectificationItem.objects.filter(request=request).update(label="Telephone (old)")
    request, _ = services.request_verify(token=token_from(request))
    url = f"/privacy/request/status/{token_from(request, 'request_confirmation')}/"
    page = main(client.get(url + "?lang=de"))
    assert "Telefonnummer" in page and "Telephone (old)" not in page
