"""E-mails are written in their reader's language, whichever process sends them.

A requester's e-mails follow the language the request was made in; staff
e-mails are always in LANGUAGE_CODE, even when a German page caused them.
Error pages follow the visitor's language and never fail for it.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.template import Context, Template
from django.test import Client
from django.utils import timezone, translation

from privacyportal import errors
from privacyportal import mail as outbox
from privacyportal.audit.checkpoints import checkpoint_mail
from privacyportal.models import OutboundEmail
from requests_app.models import PrivacyRequest
from requests_app.services import common
from requests_app.tests.factories import submit

pytestmark = pytest.mark.django_db
DUE = timezone.make_aware(datetime(2026, 12, 4, 12, 0))


def _german_request() -> PrivacyRequest:
    request = submit(type=PrivacyRequest.Type.ERASURE, language="de")
    PrivacyRequest.objects.filter(pk=request.pk).update(due_at=DUE, legal_due_at=DUE)
    request.refresh_from_db()
    return request


def _only(template: str) -> OutboundEmail:
    return OutboundEmail.objects.get(template=template)


# --- a requester's e-mails ---------------------------------------------------------


def test_a_german_request_gets_german_mail_from_a_job_sent_by_an_english_worker():
    request = _german_request()
    assert request.language == "de"
    translation.deactivate_all()  # a job: no active language at all
    try:
        assert common.email_requester(request, "request_acknowledgement", "ack")
    finally:
        translation.activate(settings.LANGUAGE_CODE)
    email = _only("request_acknowledgement")
    assert email.language == "de"
    # Codes and ISO dates in the outbox, not words of the queuing process.
    assert email.context["type"] == "erasure"
    assert email.context["due_date"] == "2026-12-04"

    with translation.override("en-gb"):  # the worker speaks English
        assert outbox.send_one(email.pk) is True
        message = mail.outbox[-1]
        with translation.override("de"):
            german_label = str(PrivacyRequest.Type.ERASURE.label)
    assert "4. Dezember 2026" in message.body
    assert german_label in message.body
    html = message.alternatives[0][0]
    assert '<html lang="de">' in html
    assert "4. Dezember 2026" in html


def test_an_english_request_reads_its_dates_and_type_in_english():
    request = _german_request()
    PrivacyRequest.objects.filter(pk=request.pk).update(language="en-gb")
    request.refresh_from_db()
    with translation.override("fr"):  # a French page caused it: still English
        common.email_requester(request, "request_extension", "ext", reason="Busy")
    email = _only("request_extension")
    assert email.language == "en-gb"
    _subject, text, html = outbox.render(email.template, email.context, email.language)
    assert "4 Dec 2026" in text and "décembre" not in text
    assert str(PrivacyRequest.Type.ERASURE.label) in text
    assert '<html lang="en-gb">' in html


def test_every_requester_template_renders_in_every_language():
    """No template may fail for a language (a typo in a translate tag would)."""
    context = {
        "reference": "PR-2026-000001",
        "type": "access",
        "name": "Ann",
        "due_date": "2026-12-04",
        "legal_due_date": "2026-12-20",
        "link": "https://example.org/l",
        "hours": 48,
        "run_after": "2026-12-05T10:00:00+00:00",
        "expires": "2026-12-11",
        "downloads": 1,
        "partial": True,
        "summary": "Done",
        "reason": "Because",
        "legal_basis": "Art. 12(5)",
        "question": "Which account?",
        "removed": [{"source": "CRM", "how": "deleted", "detail": ""}],
        "kept": [{"source": "Billing", "reason": "tax", "legal_basis": "law"}],
        "fields": [{"label": "Name", "applied": False, "reason": "no proof"}],
        "effective_on": "2027-01-01",
        "days": 1,
        "url": "https://example.org/u",
    }
    names = [
        "request_acknowledgement",
        "request_completion",
        "request_confirmation",
        "request_denial",
        "request_extension",
        "request_optout",
        "request_question",
        "request_status_link",
        "request_verify",
        "fulfilment_erasure_done",
        "fulfilment_erasure_scheduled",
        "fulfilment_export_ready",
        "fulfilment_rectification_done",
        "consent_policy_changed",
        "consent_preferences_link",
    ]
    for language, _ in settings.LANGUAGES:
        for name in names:
            subject, text, _html = outbox.render(name, context, language)
            assert subject and "{%" not in text and "{{" not in text, name
    # Singular where it is one: "1 hour", not "1 hours".
    _, text, _ = outbox.render("request_verify", {**context, "hours": 1}, "en-gb")
    assert "within 1 hour:" in text


# --- staff e-mails -----------------------------------------------------------------


def test_a_staff_email_queued_during_a_german_page_is_english(officer):
    request = _german_request()
    with translation.override("de"):
        common.alert_attention(request, "export", "the CRM is down")
    email = _only("staff_attention")
    assert email.language == settings.LANGUAGE_CODE
    _subject, text, html = outbox.render(email.template, email.context, email.language)
    assert f'<html lang="{settings.LANGUAGE_CODE}">' in html
    assert str(PrivacyRequest.Type.ERASURE.label) in text
    assert "Dezember" not in text


def test_an_audit_checkpoint_queued_under_german_is_english(officer):
    with translation.override("de"):
        assert checkpoint_mail() == 1
    assert _only("audit_checkpoint").language == settings.LANGUAGE_CODE


# --- the filters -------------------------------------------------------------------


def _render(source: str, **context) -> str:
    return Template("{% load portal_i18n %}" + source).render(Context(context))


@pytest.mark.parametrize(
    "value, shown",
    [
        ("2026-12-04", "4. Dezember 2026"),
        ("2026-12-04T23:30:00+00:00", "5. Dezember 2026"),  # in the portal's zone
        ("not a date", "not a date"),
        ("2026-13-45", "2026-13-45"),
        ("", ""),
        (None, ""),
        (12, "12"),
        ({"odd": 1}, "{&#x27;odd&#x27;: 1}"),
    ],
)
def test_isodate_formats_in_the_active_language_and_never_fails(value, shown, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    with translation.override("de"):
        assert _render("{{ value|isodate }}", value=value) == shown


def test_isodatetime_and_choice_show_bad_values_as_they_are():
    assert _render("{{ v|isodatetime }}", v="05 December 2026 10:00 CET") == (
        "05 December 2026 10:00 CET"
    )
    assert _render("{{ v|isodatetime }}", v=None) == ""
    with translation.override("fr"):
        shown = _render("{{ v|isodatetime }}", v="2026-12-05T10:00:00+00:00")
    assert shown.startswith("5 décembre 2026 ")
    field = "requests_app.PrivacyRequest.type"
    assert _render("{{ v|choice:f }}", v="no_such_type", f=field) == "no_such_type"
    assert _render("{{ v|choice:f }}", v="access", f="nonsense") == "access"
    assert _render("{{ v|choice:f }}", v="access", f="requests_app.Nope.type") == (
        "access"
    )
    assert _render("{{ v|choice:f }}", v="access", f=field) == str(
        PrivacyRequest.Type.ACCESS.label
    )


# --- error pages -------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 403, 404, 500])
def test_error_pages_render_in_german(rf, status):
    with translation.override("de"):
        response = errors.error_page(rf.get("/x/"), status)
    assert response.status_code == status
    assert b'<html lang="de">' in response.content


def test_the_csrf_page_says_the_form_expired_in_the_visitors_language():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/privacy/request/?lang=de", {"email": "a@example.org"})
    assert response.status_code == 403
    assert b'<html lang="de">' in response.content
    with translation.override("de"):
        assert errors.gettext(errors.CSRF_PAGE[0]).encode() in response.content


def test_an_error_page_falls_back_to_english_when_translation_fails(rf, monkeypatch):
    def broken(text):
        raise RuntimeError("catalogue unreadable")

    monkeypatch.setattr(errors, "gettext", broken)
    response = errors.server_error(rf.get("/"))
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content
