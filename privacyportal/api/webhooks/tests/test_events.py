"""Each event type fires from the real service path that changes the state."""

from __future__ import annotations

import json

import pytest

from consent_app.models import Source
from consent_app.services import consent_grant, consent_withdraw
from consent_app.tests.factories import PurposeFactory
from privacyportal.api.webhooks.models import WebhookDelivery
from privacyportal.api.webhooks.services import (
    subscription_create,
    subscription_disable,
)
from privacyportal.audit.services import Actor
from privacyportal.subjects.services import subject_anonymise
from privacyportal.subjects.tests.factories import DataSubjectFactory
from requests_app.models import PrivacyRequest
from requests_app.services import request_complete
from requests_app.tests.factories import verified
from retention_app.services import recording_delete
from retention_app.tests.factories import RecordingFactory

SYSTEM = Actor.system("test")


def sent(kind: str) -> list[dict]:
    rows = WebhookDelivery.objects.filter(event_type=kind).order_by("pk")
    return [row.payload for row in rows]


@pytest.mark.django_db
def test_verifying_a_request_sends_request_verified_without_email_or_name(
    subscription,
):
    request = verified(email="ada.lovelace@example.org", name="Ada Lovelace")
    (body,) = sent("request.verified")
    assert body["object"] == {
        "type": "privacy_request",
        "id": str(request.pk),
        "reference": request.reference,
    }
    assert body["data"] == {"request_type": "access"}
    assert body["subject"].startswith("sub_")
    text = json.dumps(body).lower()
    # Not "ada" alone: hex ids (the event's, the opaque subject's) can spell it.
    assert "lovelace" not in text and "@" not in text


@pytest.mark.django_db
def test_completing_a_request_sends_request_completed_only(subscription, officer):
    request = verified()
    request_complete(actor=officer, request=request)
    (body,) = sent("request.completed")
    assert body["data"] == {"request_type": "access", "status": "completed"}
    assert sent("request.erasure_completed") == []


@pytest.mark.django_db
def test_completing_an_erasure_request_sends_both_completion_events(
    subscription, officer
):
    request = verified(type=PrivacyRequest.Type.ERASURE)
    request_complete(actor=officer, request=request)
    (done,) = sent("request.completed")
    (erased,) = sent("request.erasure_completed")
    assert done["object"]["reference"] == erased["object"]["reference"]
    assert done["id"] != erased["id"]  # two events, each with its own id


@pytest.mark.django_db
def test_granting_and_withdrawing_consent_send_consent_changed(subscription):
    subject = DataSubjectFactory(email="grace@example.org")
    PurposeFactory(code="newsletter")
    consent_grant(
        actor=SYSTEM, subject=subject, purpose="newsletter", source=Source.FORM
    )
    consent_withdraw(
        actor=SYSTEM, subject=subject, purpose="newsletter", source=Source.FORM
    )
    granted, withdrawn = sent("consent.changed")
    assert granted["data"] == {
        "purpose": "newsletter",
        "granted": True,
        "source": "form",
    }
    assert withdrawn["data"]["granted"] is False
    assert granted["subject"] == withdrawn["subject"]  # stable per person
    assert "grace" not in json.dumps(granted)


@pytest.mark.django_db
def test_staff_deleting_a_recording_sends_recording_deleted(subscription, officer):
    recording = RecordingFactory(fresh=True)
    recording_delete(actor=officer, recording=recording)
    (body,) = sent("recording.deleted")
    assert body["object"] == {"type": "recording", "id": str(recording.pk)}
    assert body["data"] == {"reason": "customer", "recordings": 1}


@pytest.mark.django_db
def test_anonymising_a_subject_sends_subject_erased(subscription):
    subject = DataSubjectFactory()
    subject_anonymise(actor=SYSTEM, subject=subject)
    (body,) = sent("subject.erased")
    assert body["object"] == {"type": "subject", "id": body["subject"]}


@pytest.mark.django_db
def test_only_subscribed_types_go_to_active_subscriptions(receiver):
    subscription_create(
        actor=SYSTEM, name="CRM", url=receiver.url, event_types=["consent.changed"]
    )
    old, _ = subscription_create(
        actor=SYSTEM, name="Old", url=receiver.url, event_types=["subject.erased"]
    )
    subscription_disable(actor=SYSTEM, subscription=old, reason="replaced")
    subject_anonymise(actor=SYSTEM, subject=DataSubjectFactory())
    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db
def test_a_change_that_rolls_back_leaves_no_delivery(subscription):
    subject = DataSubjectFactory()
    with pytest.raises(RuntimeError):
        from django.db import transaction

        with transaction.atomic():
            subject_anonymise(actor=SYSTEM, subject=subject)
            assert WebhookDelivery.objects.count() == 1  # same transaction
            raise RuntimeError("the caller fails after the change")
    assert not WebhookDelivery.objects.exists()
