from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from disclosures_app.models import Notice
from disclosures_app.notices import notice_send, notices_fan_out, signature
from disclosures_app.tests.factories import DisclosureFactory, RecipientFactory
from privacyportal.audit.models import AuditEvent
from privacyportal.models import OutboundEmail
from requests_app.fulfilment.receipt import request_receipt
from requests_app.fulfilment.restriction import restriction_apply
from requests_app.tests.factories import staff_user
from requests_app.tests.fulfilment_helpers import verified_for


class Partner(BaseHTTPRequestHandler):
    """A recipient's notice endpoint, answering from a script of responses."""

    script: list[int] = []
    bodies: list[tuple[bytes, str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).bodies.append((body, self.headers["X-Portal-Signature"]))
        code = type(self).script.pop(0) if type(self).script else 200
        if code == 0:  # stay silent past the sender's timeout
            time.sleep(1.5)
            code = 200
        self.send_response(code)
        if code in (301, 302, 307):
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
        self.end_headers()
        if code == 200:
            self.wfile.write(b'{"acknowledged": true}')

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def partner():
    Partner.script, Partner.bodies = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Partner)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/notices"
    server.shutdown()
    server.server_close()


@pytest.fixture
def restricted(db, subject, settings):
    """A restriction request about to complete, and the recipients of the data."""
    settings.DISCLOSURES_NOTICE_BACKOFF_SECONDS = 0
    return verified_for(subject, "restriction")


def complete(request) -> None:
    restriction_apply(actor=staff_user("officer"), request=request)


def test_completion_queues_one_notice_per_recipient_in_its_transaction(
    restricted, subject, django_capture_on_commit_callbacks
):
    told = RecipientFactory(name="Acme")
    DisclosureFactory(subject=subject, recipient=told)
    DisclosureFactory(subject=subject, recipient=told)
    mute = RecipientFactory(name="No Address", notice_email="")
    DisclosureFactory(subject=subject, recipient=mute)
    RecipientFactory(name="Never got anything")
    with django_capture_on_commit_callbacks() as callbacks:
        complete(restricted)
    notices = {n.recipient.name: n for n in Notice.objects.select_related("recipient")}
    assert set(notices) == {"Acme", "No Address"}
    assert notices["No Address"].status == "impossible"
    assert "no e-mail address or web address" in notices["No Address"].reason
    assert notices["Acme"].status == "pending" and callbacks
    # the hook again (a re-run job): nothing new
    assert notices_fan_out(request=restricted, actor=None) == 0
    assert Notice.objects.count() == 2
    # and the person is told who received their data
    told = OutboundEmail.objects.get(template="disclosures_recipients_told")
    assert told.to == subject.email
    assert told.context["told"] == ["Acme"]
    assert told.context["unreachable"] == ["No Address"]


def test_an_email_notice_goes_through_the_outbox_once(restricted, subject):
    DisclosureFactory(subject=subject, recipient=RecipientFactory(name="Acme"))
    complete(restricted)
    notice = Notice.objects.get()
    assert notice_send(notice_id=notice.pk).status == "sent"
    assert notice_send(notice_id=notice.pk).status == "sent"
    email = OutboundEmail.objects.get(template="disclosures_recipient_notice")
    assert email.to == notice.recipient.notice_email
    assert email.context["request"] == restricted.reference


def test_an_endpoint_that_fails_twice_then_succeeds_is_retried_until_told(
    restricted, subject, partner
):
    acme = RecipientFactory(name="Acme", notice_url=partner, notice_email="")
    DisclosureFactory(subject=subject, recipient=acme)
    complete(restricted)
    notice = Notice.objects.get()
    Partner.script = [503, 500, 200]
    first = notice_send(notice_id=notice.pk)
    assert first.status == "pending" and first.retry_in == 0
    assert "answered with an error (503)" in Notice.objects.get().reason
    assert notice_send(notice_id=notice.pk).status == "pending"
    assert notice_send(notice_id=notice.pk).status == "acknowledged"
    notice.refresh_from_db()
    assert notice.attempts == 3 and notice.sent_at and notice.acknowledged_at
    body, signed = Partner.bodies[-1]
    assert json.loads(body)["request"] == restricted.reference
    assert signed.endswith(signature(body, int(signed[2:].split(",")[0]))[-64:])
    assert notice_send(notice_id=notice.pk).status == "acknowledged"
    assert len(Partner.bodies) == 3  # sent once however often the job runs
    assert AuditEvent.objects.filter(action="disclosures.notice.acknowledged").exists()


def test_a_redirecting_endpoint_ends_failed_with_the_reason_never_sent(
    restricted, subject, partner
):
    acme = RecipientFactory(name="Acme", notice_url=partner, notice_email="")
    DisclosureFactory(subject=subject, recipient=acme)
    complete(restricted)
    notice = Notice.objects.get()
    Partner.script = [302] * 5
    for _ in range(5):
        result = notice_send(notice_id=notice.pk)
    notice.refresh_from_db()
    assert result.status == notice.status == "failed"
    assert "redirect (302), not followed" in notice.reason and not notice.sent_at


def test_the_receipt_names_the_recipients_told(restricted, subject):
    DisclosureFactory(subject=subject, recipient=RecipientFactory(name="Acme"))
    complete(restricted)
    notice_send(notice_id=Notice.objects.get().pk)
    restricted.refresh_from_db()
    told = request_receipt(restricted)["recipients_told"]
    assert told == [
        {
            "recipient": "Acme",
            "status": "Sent",
            "sent_at": told[0]["sent_at"],
            "reason": "e-mailed through the outbox",
        }
    ]


def test_an_endpoint_that_times_out_is_retried_not_counted_as_sent(
    restricted, subject, partner, settings
):
    settings.DISCLOSURES_NOTICE_TIMEOUT_SECONDS = 1
    acme = RecipientFactory(name="Acme", notice_url=partner, notice_email="")
    DisclosureFactory(subject=subject, recipient=acme)
    complete(restricted)
    Partner.script = [0]
    result = notice_send(notice_id=Notice.objects.get().pk)
    notice = Notice.objects.get()
    assert result.status == "pending" and notice.sent_at is None
    assert "could not be reached" in notice.reason


def test_an_erasure_tells_only_recipients_of_the_erased_categories(subject):
    from requests_app.models import SourceOutcome

    erasure = verified_for(subject, "erasure")
    SourceOutcome.objects.create(
        request=erasure, source_key="subjects.profile", outcome="anonymised"
    )
    SourceOutcome.objects.create(
        request=erasure,
        source_key="retention.recordings",
        outcome="retained",
        reason="legal hold",
        legal_basis="Art. 17(3)(e)",
    )
    profile = RecipientFactory(name="Got contact details")
    DisclosureFactory(subject=subject, recipient=profile)
    kept = RecipientFactory(name="Got recordings")
    DisclosureFactory(subject=subject, recipient=kept, categories=["recording"])
    assert notices_fan_out(request=erasure, actor=None) == 1
    notice = Notice.objects.get()
    assert notice.recipient == profile and "contact details" in notice.categories


def test_a_real_erasure_of_a_person_with_disclosures_tells_their_recipients(
    subject, settings
):
    from requests_app.fulfilment import erasure
    from requests_app.tests.fulfilment_helpers import run_erasure

    settings.ERASURE_DELAY_HOURS = 0
    acme = RecipientFactory(name="Acme")
    DisclosureFactory(subject=subject, recipient=acme)
    request = erasure.erasure_approve(
        actor=staff_user("officer", "Privacy Officer"),
        request=verified_for(subject, "erasure"),
    )
    assert run_erasure(request) is True
    request.refresh_from_db()
    # the log is kept, with its reason, so the request says what was kept
    kept = request.outcomes.get(source_key="disclosures.log")
    assert kept.outcome == "retained" and "Art. 19" in kept.legal_basis
    # ...but a kept record of handling does not make the erasure "partial".
    assert request.status == "completed"
    notice = Notice.objects.get()
    assert notice.recipient == acme and notice.request_reference == request.reference
    assert "contact details" in notice.categories


def test_the_periodic_job_resends_only_notices_that_are_due(
    restricted, subject, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from disclosures_app.notices import notices_dispatch

    for name in ("Due", "Backing off"):
        DisclosureFactory(subject=subject, recipient=RecipientFactory(name=name))
    complete(restricted)
    later = timezone.now() + timedelta(hours=1)
    Notice.objects.filter(recipient__name="Backing off").update(next_attempt_at=later)
    with django_capture_on_commit_callbacks() as callbacks:
        assert notices_dispatch() == 1
    assert len(callbacks) == 1


def test_staff_record_a_confirmation_and_the_notice_page_edits_nothing(
    restricted, subject
):
    from django.test import Client

    DisclosureFactory(subject=subject, recipient=RecipientFactory(name="Acme"))
    complete(restricted)
    notice = Notice.objects.get()
    notice_send(notice_id=notice.pk)
    client = Client()
    client.force_login(staff_user("analyst", "Privacy Analyst"))
    url = "/admin/disclosures_app/notice/"
    page = client.get(f"{url}{notice.pk}/change/").content.decode()
    assert 'name="_save"' not in page and "Sent" in page
    client.post(url, {"action": "acknowledge", "_selected_action": [notice.pk]})
    assert Notice.objects.get().status == "acknowledged"
    assert AuditEvent.objects.filter(action="disclosures.notice.acknowledged").exists()


def test_a_rectification_notice_carries_the_corrected_values_until_sent(subject):
    from requests_app.models import RectificationItem

    fix = verified_for(
        subject, "rectification", corrections=(("subjects.profile.phone", "+44 1 & 2"),)
    )
    RectificationItem.objects.filter(request=fix).update(status="applied")
    fix.refresh_from_db()
    got_contact = RecipientFactory(name="Got contact details")
    DisclosureFactory(subject=subject, recipient=got_contact)
    got_recordings = RecipientFactory(name="Got recordings only")
    DisclosureFactory(
        subject=subject, recipient=got_recordings, categories=["recording"]
    )

    assert notices_fan_out(request=fix, actor=None) == 1
    notice = Notice.objects.get()
    assert notice.recipient == got_contact
    assert notice.corrections == [{"what": "Phone number", "now": "+44 1 & 2"}]

    assert notice_send(notice_id=notice.pk).status == "sent"
    email = OutboundEmail.objects.get(template="disclosures_recipient_notice")
    assert email.context["corrections"] == notice.corrections
    from privacyportal import mail as outbox

    text = outbox.render(email.template, email.context)[1]
    assert "Phone number: +44 1 & 2" in text  # plain text, not HTML-escaped
    notice.refresh_from_db()
    assert notice.corrections == []  # settled: no personal data kept here
