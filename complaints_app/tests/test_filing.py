"""The public form's "Make a complaint" files a Complaint once confirmed."""

from __future__ import annotations

import pytest

from complaints_app.models import Complaint
from privacyportal.models import OutboundEmail
from requests_app import services as request_services
from requests_app.models import PrivacyRequest, RequestSubmission
from requests_app.tests.factories import token_from
from requests_app.tests.test_views import FORM, payload

pytestmark = pytest.mark.django_db
COMPLAINT = {"type": "complaint", "details": "You ignored my erasure request."}


def _filed(post_form, **overrides) -> PrivacyRequest:
    response = post_form(FORM, payload(**{**COMPLAINT, **overrides}))
    assert response.status_code == 302
    return PrivacyRequest.objects.get()


def test_confirmed_complaint_becomes_a_complaint_not_a_data_request(post_form):
    request = _filed(post_form, country="US", region="CA")
    assert not Complaint.objects.exists()  # nothing before the owner confirms
    request_services.request_verify(token=token_from(request))
    complaint = Complaint.objects.get()
    assert complaint.reference.startswith("CP-") and complaint.status == "received"
    assert complaint.text == "You ignored my erasure request."
    assert (complaint.country, complaint.region, complaint.jurisdiction) == (
        "US",
        "CA",
        "US-CA",
    )
    assert list(complaint.requests.all()) == [request]
    request.refresh_from_db()
    # The request record is done: it never waits in the data-request queue.
    assert request.status == PrivacyRequest.Status.COMPLETED
    assert not PrivacyRequest.objects.open().exists()
    assert complaint.subject_id == request.subject_id is not None


def test_complainant_gets_the_complaint_e_mail_not_the_request_confirmation(
    post_form,
):
    request = _filed(post_form)
    request_services.request_verify(token=token_from(request))
    templates = set(OutboundEmail.objects.values_list("template", flat=True))
    assert "complaint_received" in templates
    assert "request_confirmation" not in templates


def test_complaint_filed_in_german_is_answered_in_german(post_form):
    response = post_form(FORM + "?lang=de", payload(**COMPLAINT))
    assert response.status_code == 302
    request = PrivacyRequest.objects.get()
    request_services.request_verify(token=token_from(request))
    assert Complaint.objects.get().language == "de"
    email = OutboundEmail.objects.get(template="complaint_received")
    assert email.language == "de"


def test_other_request_types_are_not_complaints(post_form):
    request = _filed(post_form, type="access")
    request_services.request_verify(token=token_from(request))
    assert not Complaint.objects.exists()
    request.refresh_from_db()
    assert request.status == PrivacyRequest.Status.VERIFIED


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"email": "not-an-address"}, b"like name@example.com"),
        ({"details": "x" * 5001}, b"5000"),
        ({"details": "Look here\x1b[2J\x07"}, b"control characters"),
        ({"details": "Hello\x00world"}, b"aria-invalid"),
        ({"details": ""}, b"what your complaint is about"),
        ({"name": "Ada\nLovelace"}, b"letters, spaces"),
    ],
    ids=["bad-email", "oversize", "escape-codes", "nul", "empty", "two-line-name"],
)
def test_bad_complaint_input_stores_nothing(post_form, overrides, message):
    response = post_form(FORM, payload(**{**COMPLAINT, **overrides}))
    assert response.status_code == 400
    assert message in response.content
    assert not RequestSubmission.objects.exists()
    assert not PrivacyRequest.objects.exists()
    assert not Complaint.objects.exists()


def test_line_breaks_and_tabs_in_a_complaint_are_kept(post_form):
    request = _filed(post_form, details="First line\r\n\tSecond line")
    request_services.request_verify(token=token_from(request))
    assert Complaint.objects.get().text == "First line\r\n\tSecond line"


def test_confirm_button_files_the_complaint_and_opens_the_status_page(
    client, post_form
):
    request = _filed(post_form)
    token = token_from(request)
    response = client.post(f"/privacy/request/verify/{token}/", follow=True)
    assert response.status_code == 200
    assert Complaint.objects.filter(requests=request).exists()
    assert request.reference.encode() in response.content
