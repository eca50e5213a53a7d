"""A requester who lost the status link gets a new one, and nobody learns anything."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from privacyportal.audit.models import AuditEvent
from privacyportal.models import OutboundEmail
from requests_app.services import request_status_link_resend
from requests_app.tasks import status_link_resend_task
from requests_app.tests.factories import submit, token_from, verified

pytestmark = pytest.mark.django_db
URL = "/privacy/request/lost-link/"
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture(autouse=True)
def _task_inline(monkeypatch):
    def apply_async(args=(), kwargs=None, **options):
        status_link_resend_task.run(*args)

    monkeypatch.setattr(status_link_resend_task, "apply_async", apply_async)


def ask(client, email: str, reference: str, **extra):
    return client.post(URL, {"email": email, "reference": reference}, **extra)


def status_links(request) -> int:
    return OutboundEmail.objects.filter(
        key__startswith=f"request:{request.pk}:status-link:"
    ).count()


def test_the_form_is_public(client):
    response = client.get(URL)
    assert response.status_code == 200 and b"Lost the link" in response.content


def test_a_confirmed_request_gets_a_working_link_at_its_own_address(
    client, django_capture_on_commit_callbacks
):
    request = verified(email="ada@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, " Ada@Example.org ", request.reference.lower())
    assert response.status_code == 200 and b"Check your inbox" in response.content
    assert status_links(request) == 1
    email = OutboundEmail.objects.get(key__contains=":status-link:")
    assert email.to == "ada@example.org" and email.template == "request_status_link"
    token = token_from(request, "request_status_link")
    page = client.get(f"/privacy/request/status/{token}/")
    assert page.status_code == 200 and request.reference.encode() in page.content
    assert AuditEvent.objects.filter(
        action="requests.request.status_link_resent", target_id=str(request.pk)
    ).exists()


def _page_and_queries(email: str, reference: str) -> tuple[bytes, int]:
    with CaptureQueriesContext(connection) as queries:
        response = ask(Client(), email, reference)
    assert response.status_code == 200
    return CSRF.sub(b"", response.content), len(queries)


def test_match_mismatch_and_unknown_look_the_same(django_capture_on_commit_callbacks):
    request = verified(email="kim@example.org")
    with django_capture_on_commit_callbacks() as callbacks:
        right = _page_and_queries("kim@example.org", request.reference)
        wrong = _page_and_queries("eve@example.org", request.reference)
        unknown = _page_and_queries("kim@example.org", "PR-2001-999999")
    # The view itself touches no table: the look-up is the task's.
    assert right == wrong == unknown and right[1] == 0
    for callback in callbacks:
        callback()
    assert status_links(request) == 1  # only the matching pair sent anything
    assert not OutboundEmail.objects.filter(to="eve@example.org").exists()


def test_an_unconfirmed_request_gets_nothing():
    request = submit(email="new@example.org")
    assert not request_status_link_resend(
        email="new@example.org", reference=request.reference
    )
    assert status_links(request) == 0


def test_asking_again_within_the_hour_sends_once():
    request = verified(email="twice@example.org")
    assert request_status_link_resend(email=request.email, reference=request.reference)
    assert not request_status_link_resend(
        email=request.email, reference=request.reference
    )
    assert status_links(request) == 1
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        assert request_status_link_resend(
            email=request.email, reference=request.reference
        )
    assert status_links(request) == 2


def test_the_hour_is_rolling_so_a_clock_hour_boundary_sends_nothing_more():
    request = verified(email="boundary@example.org")
    again = {"email": request.email, "reference": request.reference}
    start = timezone.now().replace(minute=59, second=30, microsecond=0)
    with time_machine.travel(start, tick=False):
        assert request_status_link_resend(**again)
    with time_machine.travel(start + timedelta(minutes=1), tick=False):  # hh+1:00:30
        assert not request_status_link_resend(**again)
    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        assert not request_status_link_resend(**again)
    assert status_links(request) == 1
    with time_machine.travel(start + timedelta(hours=1, seconds=1), tick=False):
        assert request_status_link_resend(**again)
    assert status_links(request) == 2


@pytest.mark.parametrize(
    ("email", "reference", "message"),
    [
        (
            "not-an-address",
            "PR-2026-000001",
            b"Enter an e-mail address like name@example.com",
        ),
        ("a@example.org", "2026-1", b"A reference looks like PR-2026-000123"),
        ("a@example.org", "", b"Enter the reference of your request"),
    ],
)
def test_bad_input_is_named_and_sends_nothing(client, email, reference, message):
    response = ask(client, email, reference)
    assert response.status_code == 400 and message in response.content
    assert not OutboundEmail.objects.exists()


def test_a_flood_is_rate_limited(client, settings):
    settings.REQUEST_RESEND_RATE = 2
    codes = [
        ask(client, f"p{i}@example.org", "PR-2026-000001").status_code for i in range(3)
    ]
    assert codes == [200, 200, 429]
    # Per address too, from many IPs.
    codes = [
        ask(
            Client(REMOTE_ADDR=f"10.1.0.{i}"), "same@example.org", "PR-2026-000001"
        ).status_code
        for i in range(3)
    ]
    assert codes == [200, 200, 429]
