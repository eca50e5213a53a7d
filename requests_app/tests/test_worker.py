"""A real Celery worker on Redis files the request and sends its e-mail."""

from __future__ import annotations

import pytest
from django.test import Client

from privacyportal.models import OutboundEmail
from requests_app.models import PrivacyRequest, RequestSubmission


@pytest.mark.services
def test_real_worker_sends_the_verification_email(celery_worker, wait_until):
    response = Client().post(
        "/privacy/request/",
        {
            "type": "access",
            "name": "Worker Test",
            "email": "worker@example.org",
            "country": "DE",
            "relationship": "customer",
        },
    )
    assert response.status_code == 302
    # The worker turns the accepted submission into the request, then sends.
    request = wait_until(
        lambda: PrivacyRequest.objects.filter(email="worker@example.org").first(),
        timeout=60,
    )
    assert not RequestSubmission.objects.exists()  # no raw input lingers
    email = OutboundEmail.objects.get(to="worker@example.org")
    assert email.template == "request_verify"
    assert email.key.startswith(f"request:{request.pk}:verify:")
    sent = wait_until(
        lambda: OutboundEmail.objects.filter(
            pk=email.pk, status=OutboundEmail.Status.SENT
        ).first(),
        timeout=60,
    )
    assert sent.sent_at is not None and sent.attempts == 1
