from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from consent_app.links import unsubscribe_headers
from consent_app.models import ConsentEvent, ConsentLink, Source
from consent_app.services import consent_allows, consent_grant
from privacyportal.audit.services import Actor
from privacyportal.mail import resolve, send_pending
from privacyportal.subjects.tests.factories import DataSubjectFactory

SYSTEM = Actor.system("test")


@pytest.fixture(autouse=True)
def _run_link_task_inline(monkeypatch):
    """The public form only enqueues; run that task here as the worker would."""
    from consent_app.links import preference_link_request
    from consent_app.tasks import preference_link_task

    def apply_async(args=(), kwargs=None, **options):
        preference_link_request(email=args[0])

    monkeypatch.setattr(preference_link_task, "apply_async", apply_async)


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()


def _request_link(client, email, capture):
    with capture(execute=True):
        response = client.post("/privacy/preferences/", {"email": email})
    send_pending()
    return response


def _link_from_outbox() -> str:
    body = mail.outbox[-1].body
    return re.search(r"https?://\S+/privacy/preferences/(\S+)/", body).group(0)


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_known_and_unknown_addresses_get_the_same_page(
    client, purposes, django_capture_on_commit_callbacks
):
    DataSubjectFactory(email="known@example.org")
    known = _request_link(
        client, "known@example.org", django_capture_on_commit_callbacks
    )
    unknown = _request_link(
        client, "nobody@example.org", django_capture_on_commit_callbacks
    )
    assert known.status_code == unknown.status_code == 200

    def strip(html: bytes) -> str:
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html.decode())

    assert strip(known.content) == strip(unknown.content)
    # Known or not, the request did the same work: it only enqueued one task.
    assert [m.to for m in mail.outbox] == [["known@example.org"]]


def test_malformed_address_is_refused_and_sends_nothing(client, purposes):
    response = client.post("/privacy/preferences/", {"email": "not-an-address"})
    assert response.status_code == 200
    assert "valid email" in response.content.decode().lower()
    assert not ConsentLink.objects.exists()


def test_preference_link_is_stored_hashed_and_lists_every_purpose(
    client, purposes, django_capture_on_commit_callbacks
):
    subject = DataSubjectFactory(email="pat@example.org")
    _request_link(client, "pat@example.org", django_capture_on_commit_callbacks)
    url = _link_from_outbox()
    token = url.rstrip("/").rsplit("/", 1)[1]
    link = ConsentLink.objects.get(subject=subject)
    assert token not in link.token_hash and len(link.token_hash) == 64
    assert link.expires_at - link.created_at == timedelta(days=7)

    page = client.get(_path(url)).content.decode()
    for purpose in purposes.values():
        assert purpose.name in page
        assert purpose.description[:30] in page


def test_one_click_withdraws_and_shows_history(
    client, purposes, django_capture_on_commit_callbacks
):
    subject = DataSubjectFactory(email="pat@example.org")
    consent_grant(actor=SYSTEM, subject=subject, purpose="newsletter", source="form")
    _request_link(client, "pat@example.org", django_capture_on_commit_callbacks)
    path = _path(_link_from_outbox())

    response = client.post(
        path,
        {"purpose": "newsletter", "choice": "withdraw"},
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 302
    assert consent_allows(subject, "newsletter") is False
    event = ConsentEvent.objects.filter(subject=subject).first()
    assert event.source == Source.PREFERENCE_CENTRE and event.ip == "203.0.113.0"
    page = client.get(response["Location"]).content.decode()
    assert "Your choice is saved" in page
    assert page.count("Preference centre") >= 1  # the history row


def test_altered_or_expired_links_change_nothing(
    client, purposes, django_capture_on_commit_callbacks
):
    subject = DataSubjectFactory(email="pat@example.org")
    _request_link(client, "pat@example.org", django_capture_on_commit_callbacks)
    path = _path(_link_from_outbox())
    altered = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]
    response = client.post(altered, {"purpose": "newsletter", "choice": "grant"})
    assert response.status_code == 404
    ConsentLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(path, {"purpose": "newsletter", "choice": "grant"})
    assert response.status_code == 404
    assert "does not work" in response.content.decode()
    assert not ConsentEvent.objects.filter(subject=subject).exists()


def test_unknown_purpose_in_the_preference_centre_is_an_error(
    client, purposes, django_capture_on_commit_callbacks
):
    subject = DataSubjectFactory(email="pat@example.org")
    _request_link(client, "pat@example.org", django_capture_on_commit_callbacks)
    path = _path(_link_from_outbox())
    response = client.post(path, {"purpose": "telepathy", "choice": "grant"})
    assert response.status_code == 400
    assert "do not know that purpose" in response.content.decode()
    assert not ConsentEvent.objects.filter(subject=subject).exists()


def test_child_cannot_grant_in_the_preference_centre(
    client, purposes, django_capture_on_commit_callbacks
):
    child = DataSubjectFactory(email="kid@example.org", child=True)
    _request_link(client, "kid@example.org", django_capture_on_commit_callbacks)
    path = _path(_link_from_outbox())
    response = client.post(path, {"purpose": "newsletter", "choice": "grant"})
    assert response.status_code == 400
    assert "under 13" in response.content.decode()
    assert not ConsentEvent.objects.filter(subject=child).exists()


def test_gpc_header_is_recorded_once_and_the_page_says_so(
    client, purposes, django_capture_on_commit_callbacks
):
    subject = DataSubjectFactory(email="pat@example.org")
    _request_link(client, "pat@example.org", django_capture_on_commit_callbacks)
    path = _path(_link_from_outbox())
    first = client.get(path, HTTP_SEC_GPC="1").content.decode()
    client.get(path, HTTP_SEC_GPC="1")
    assert "We have honoured it" in first
    gpc = ConsentEvent.objects.filter(subject=subject, source=Source.GPC)
    assert gpc.count() == 1
    assert gpc.get().purpose.code == "targeted-advertising"
    assert "We have honoured it" not in client.get(path).content.decode()


# --- RFC 8058 --------------------------------------------------------------------


def test_unsubscribe_headers_follow_rfc_8058(purposes, subject, settings):
    headers = resolve(unsubscribe_headers(subject, "newsletter"))
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = headers["List-Unsubscribe"]
    assert url.startswith(f"<{settings.SITE_URL}/privacy/unsubscribe/")
    link = ConsentLink.objects.get(kind="unsubscribe")
    assert link.expires_at - link.created_at >= timedelta(days=60)


def test_get_shows_a_button_and_changes_nothing(client, purposes, subject):
    consent_grant(actor=SYSTEM, subject=subject, purpose="newsletter", source="form")
    url = resolve(unsubscribe_headers(subject, "newsletter"))["List-Unsubscribe"][1:-1]
    response = client.get(_path(url))
    assert response.status_code == 200
    assert b'<form method="post">' in response.content
    assert consent_allows(subject, "newsletter") is True


def test_one_click_post_withdraws_with_200_no_cookie_no_redirect(purposes, subject):
    from django.test import Client

    consent_grant(actor=SYSTEM, subject=subject, purpose="newsletter", source="form")
    url = resolve(unsubscribe_headers(subject, "newsletter"))["List-Unsubscribe"][1:-1]
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        _path(url),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert not response.cookies
    assert consent_allows(subject, "newsletter") is False
    event = ConsentEvent.objects.filter(subject=subject).first()
    assert event.source == Source.UNSUBSCRIBE and event.action == "withdrawn"
    # a mail client retrying the POST still gets 200
    assert client.post(_path(url)).status_code == 200


def test_a_repeated_one_click_post_adds_no_second_withdrawal(purposes, subject):
    consent_grant(actor=SYSTEM, subject=subject, purpose="newsletter", source="form")
    url = resolve(unsubscribe_headers(subject, "newsletter"))["List-Unsubscribe"][1:-1]
    client = Client(enforce_csrf_checks=True)
    form = "application/x-www-form-urlencoded"
    for _ in range(3):
        response = client.post(_path(url), "List-Unsubscribe=One-Click", form)
        assert response.status_code == 200
    withdrawals = ConsentEvent.objects.filter(subject=subject, action="withdrawn")
    assert withdrawals.count() == 1


def test_unsubscribe_with_an_altered_token_changes_nothing(client, purposes, subject):
    consent_grant(actor=SYSTEM, subject=subject, purpose="newsletter", source="form")
    url = resolve(unsubscribe_headers(subject, "newsletter"))["List-Unsubscribe"][1:-1]
    response = client.post(_path(url)[:-5] + "xxxx/")
    assert response.status_code == 404
    assert consent_allows(subject, "newsletter") is True


def test_preference_form_does_the_same_work_for_known_and_unknown_addresses(
    client,
    purposes,
    monkeypatch,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    from consent_app.tasks import preference_link_task

    enqueued = []
    monkeypatch.setattr(
        preference_link_task, "apply_async", lambda args=(), **kw: enqueued.append(args)
    )
    DataSubjectFactory(email="known@example.org")
    for email in ("known@example.org", "nobody@example.org"):
        with (
            django_assert_num_queries(0),
            django_capture_on_commit_callbacks(execute=True),
        ):
            client.post("/privacy/preferences/", {"email": email})
    # The page's language travels with the address, so the e-mail matches it.
    assert enqueued == [
        ("known@example.org", "en-gb"),
        ("nobody@example.org", "en-gb"),
    ]
    assert not ConsentLink.objects.exists()


@pytest.mark.django_db
def test_link_requests_are_limited_per_ip_address(client, settings):
    from django.core.cache import cache

    cache.clear()
    settings.CONSENT_LINK_REQUESTS_PER_IP = 2
    codes = [
        client.post("/privacy/preferences/", {"email": f"p{i}@example.org"}).status_code
        for i in range(3)
    ]
    assert codes == [200, 200, 429]
    other = Client(REMOTE_ADDR="198.51.100.3")
    assert (
        other.post("/privacy/preferences/", {"email": "x@example.org"}).status_code
        == 200
    )
    cache.clear()


@pytest.mark.django_db
def test_links_per_address_are_limited_whatever_address_asks(
    purposes, settings, django_capture_on_commit_callbacks
):
    settings.CONSENT_PREFERENCE_LINKS_PER_HOUR = 2
    DataSubjectFactory(email="flooded@example.org")
    for i in range(4):
        client = Client(REMOTE_ADDR=f"198.51.100.{i + 10}")
        response = _request_link(
            client, "flooded@example.org", django_capture_on_commit_callbacks
        )
        assert response.status_code == 200  # the page never tells
    assert [m.to for m in mail.outbox] == [["flooded@example.org"]] * 2
    assert ConsentLink.objects.filter(kind="preferences").count() == 2
