"""The public side of compromised-account reports: form, limits, confirmation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail as django_mail
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from incidents_app.models import CompromiseReport
from privacyportal import mail, roles
from privacyportal.audit.models import AuditEvent
from privacyportal.models import OutboundEmail
from requests_app.tests.factories import staff_user

FORM = "/privacy/report-compromise/"
SENT = "/privacy/report-compromise/sent/"
LINK = re.compile(r"/privacy/report-compromise/confirm/([^/\s]+)/")


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate-limit counters live in the cache; each test starts from zero.
    cache.clear()
    yield
    cache.clear()


def payload(**extra) -> dict:
    return {
        "what_happened": "Someone changed my password.\nI got an e-mail about it.",
        "happened_on": "",
        "email": "reporter@example.org",
        "phone": "",
        "account_name": "reporter",
        "website": "",
        **extra,
    }


def confirm_token(to: str = "reporter@example.org") -> str:
    """Send the queued e-mails and read the link from the reporter's one."""
    mail.send_pending()
    bodies = [m.body for m in django_mail.outbox if m.to == [to]]
    return LINK.search(bodies[-1]).group(1)


def test_form_page_shows_every_field(client, db):
    page = client.get(FORM).content.decode()
    for name in ("what_happened", "happened_on", "email", "phone", "account_name"):
        assert f'name="{name}"' in page
    assert "csrfmiddlewaretoken" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-address", "Enter an e-mail address like"),
        ("email", "", "Enter your e-mail address."),
        ("what_happened", "", "Tell us what happened."),
        ("what_happened", "x" * 5001, "at most 5000 characters"),
        ("what_happened", "bad \x1b[31m escape", "line breaks only"),
        ("what_happened", "nul \x00 byte", "line breaks only"),
        ("account_name", "two\nlines", "Use letters, spaces and punctuation only."),
        ("phone", "call me maybe", "Enter a phone number"),
    ],
)
def test_bad_input_shows_the_error_and_stores_nothing(
    client, db, field, value, message
):
    response = client.post(FORM, payload(**{field: value}))
    page = response.content.decode()
    assert response.status_code == 400
    assert 'class="error-summary"' in page and message in page
    assert f'href="#id_{field}"' in page  # the summary links to the field
    assert not CompromiseReport.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_a_date_in_the_future_is_refused(client, db):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(FORM, payload(happened_on=f"{tomorrow:%Y-%m-%d}"))
    assert response.status_code == 400
    assert "today or earlier" in response.content.decode()
    assert not CompromiseReport.objects.exists()


def test_line_breaks_are_allowed_in_the_description(client, db):
    response = client.post(FORM, payload(what_happened="one\r\ntwo\nthree"))
    assert response.status_code == 302
    assert CompromiseReport.objects.get().what_happened.count("\n") == 2


def test_valid_report_is_stored_unconfirmed_with_a_confirmation_email(client, db):
    response = client.post(
        FORM, payload(happened_on="2026-01-02"), HTTP_ACCEPT_LANGUAGE="de"
    )
    assert response.status_code == 302 and response["Location"] == SENT
    report = CompromiseReport.objects.get()
    assert report.status == CompromiseReport.Status.UNCONFIRMED
    assert report.reference is None and report.language == "de"
    queued = OutboundEmail.objects.get()
    assert queued.template == "compromise_verify" and queued.language == "de"
    token = confirm_token()
    assert token not in str(queued.context)  # only minted when sent
    # Nothing audited for an unconfirmed report: it may be anyone's typing.
    assert not AuditEvent.objects.filter(action__startswith="incidents.").exists()


def test_sent_page_is_the_same_for_known_and_unknown_addresses(client, db):
    staff_user("known", roles.PRIVACY_OFFICER)  # known@staff.example exists
    pages = []
    for address in ("known@staff.example", "nobody-here@example.org"):
        response = client.post(FORM, payload(email=address), follow=True)
        pages.append((response.redirect_chain, response.content))
    assert pages[0] == pages[1]
    assert CompromiseReport.objects.count() == 2
    assert OutboundEmail.objects.filter(template="compromise_verify").count() == 2


def test_honeypot_post_looks_sent_but_stores_nothing(client, db):
    response = client.post(FORM, payload(website="http://spam.example"))
    assert response.status_code == 302 and response["Location"] == SENT
    assert not CompromiseReport.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_a_burst_of_valid_posts_is_limited_per_address(db, settings):
    settings.REQUEST_RATE_PER_IP = 3
    client = Client(REMOTE_ADDR="203.0.113.5")
    codes = [
        client.post(FORM, payload(email=f"p{i}@example.org")).status_code
        for i in range(5)
    ]
    assert codes == [302, 302, 302, 429, 429]
    assert CompromiseReport.objects.count() == 3


def test_a_burst_for_one_email_is_limited_across_addresses(db, settings):
    settings.REQUEST_RATE_PER_EMAIL = 2
    codes = [
        Client(REMOTE_ADDR=f"10.0.0.{i}")
        .post(FORM, payload(email="Same@Example.org" if i else "same@example.org"))
        .status_code
        for i in range(3)
    ]
    assert codes == [302, 302, 429]


def test_mistakes_count_only_against_the_generous_allowance(db, settings):
    settings.REQUEST_RATE_PER_IP = 1
    settings.REQUEST_INVALID_RATE_PER_IP = 3
    client = Client(REMOTE_ADDR="203.0.113.6")
    bad = [client.post(FORM, payload(email="typo")).status_code for _ in range(3)]
    assert bad == [400, 400, 400]
    # The typos did not use up the one valid filing...
    assert client.post(FORM, payload()).status_code == 302
    # ...but more typos than the allowance are limited too.
    assert client.post(FORM, payload(email="typo")).status_code == 429


# --- the confirmation link ----------------------------------------------------------


def _filed(client) -> str:
    client.post(FORM, payload())
    return confirm_token()


def officer():
    user = staff_user("officer", roles.PRIVACY_OFFICER)
    assert user.groups.filter(name=roles.PRIVACY_OFFICER).exists()
    return user


def test_get_asks_for_a_click_and_changes_nothing(client, db):
    token = _filed(client)
    page = client.get(f"{FORM}confirm/{token}/")
    assert page.status_code == 200
    assert b"Confirm my report" in page.content
    assert CompromiseReport.objects.get().status == CompromiseReport.Status.UNCONFIRMED


def test_confirming_creates_the_intake_once(client, db):
    officer()
    token = _filed(client)
    django_mail.outbox.clear()
    first = client.post(f"{FORM}confirm/{token}/")
    again = client.post(f"{FORM}confirm/{token}/")
    report = CompromiseReport.objects.get()
    assert first.status_code == 200 and report.reference.startswith("CR-")
    assert report.reference.encode() in first.content
    assert report.status == CompromiseReport.Status.RECEIVED
    assert report.verified_at is not None
    assert b"already confirmed" in again.content
    assert (
        AuditEvent.objects.filter(action="incidents.compromise.confirmed").count() == 1
    )
    mail.send_pending()
    staff = [m for m in django_mail.outbox if m.to == ["officer@staff.example"]]
    acks = [m for m in django_mail.outbox if m.to == ["reporter@example.org"]]
    assert len(staff) == 1 and report.reference in staff[0].subject
    assert "Someone changed my password" not in staff[0].body  # read it in the admin
    assert len(acks) == 1 and report.reference in acks[0].subject
    assert "change your password" in acks[0].body


def test_staff_email_is_in_the_site_language_ack_in_the_reporters(client, db, settings):
    officer()
    client.post(FORM, payload(), HTTP_ACCEPT_LANGUAGE="fr")
    token = confirm_token()
    client.post(f"{FORM}confirm/{token}/")
    languages = dict(
        OutboundEmail.objects.filter(
            template__in=["staff_compromise_report", "compromise_received"]
        ).values_list("template", "language")
    )
    assert languages == {
        "staff_compromise_report": settings.LANGUAGE_CODE,
        "compromise_received": "fr",
    }


def test_expired_link_gets_the_neutral_page(client, db):
    token = _filed(client)
    CompromiseReport.objects.update(
        link_expires_at=timezone.now() - timedelta(seconds=1)
    )
    for method in (client.get, client.post):
        response = method(f"{FORM}confirm/{token}/")
        assert response.status_code == 410
        assert b"This link does not work" in response.content
    assert CompromiseReport.objects.get().status == CompromiseReport.Status.UNCONFIRMED


def test_unknown_link_gets_the_same_neutral_page(client, db):
    response = client.post(f"{FORM}confirm/not-a-real-token/")
    assert response.status_code == 404
    assert b"This link does not work" in response.content


def test_a_used_link_opened_again_says_already_confirmed(client, db):
    token = _filed(client)
    client.post(f"{FORM}confirm/{token}/")
    response = client.get(f"{FORM}confirm/{token}/")
    assert response.status_code == 200
    assert b"already confirmed" in response.content
    assert CompromiseReport.objects.get().reference.encode() not in response.content


def test_home_page_links_to_the_report_form(client, db):
    assert f'href="{FORM}"'.encode() in client.get("/").content
