from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from privacyportal.api.webhooks.models import WebhookDelivery, WebhookSubscription
from privacyportal.api.webhooks.services import delivery_attempt
from privacyportal.api.webhooks.signing import reveal
from privacyportal.audit.models import AuditEvent
from privacyportal.audit.services import Actor
from privacyportal.subjects.services import subject_anonymise
from privacyportal.subjects.tests.factories import DataSubjectFactory
from retention_app.categories import RECORDINGS
from retention_app.services import retention_sweep
from retention_app.tests.factories import RecordingFactory

SUBS = "/admin/webhooks/webhooksubscription/"
LOG = "/admin/webhooks/webhookdelivery/"
# Screenshots for a person to look at; WEBHOOK_SHOTS=/tmp/x keeps them.
SHOTS = os.environ.get("WEBHOOK_SHOTS", "")


def one_delivery(answers: list[int], receiver) -> WebhookDelivery:
    receiver.answers = answers
    subject_anonymise(actor=Actor.system("test"), subject=DataSubjectFactory())
    delivery = WebhookDelivery.objects.get()
    delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return delivery


@pytest.mark.django_db
def test_adding_a_subscription_shows_its_secret_once_uncached(
    client, officer, receiver
):
    client.force_login(officer)
    form = {
        "name": "Warehouse",
        "url": receiver.url,
        "event_types": ["request.completed", "subject.erased"],
    }
    page = client.post(SUBS + "add/", form)
    sub = WebhookSubscription.objects.get()
    html = page.content.decode()
    assert page.status_code == 200 and "Copy this secret now" in html
    assert reveal(sub.secret_encrypted) in html
    assert "no-cache" in page["Cache-Control"]
    assert reveal(sub.secret_encrypted) not in sub.secret_encrypted
    assert AuditEvent.objects.filter(action="webhooks.subscription.created").exists()
    listing = client.get(SUBS).content.decode()
    assert "Warehouse" in listing and "Active" in listing
    assert "An erasure request was completed" not in listing
    assert "A privacy request was completed" in listing
    assert reveal(sub.secret_encrypted) not in listing


@pytest.mark.django_db
def test_a_private_address_is_refused_in_the_form_with_the_reason(
    client, officer, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    client.force_login(officer)
    form = {
        "name": "Metadata",
        "url": "https://169.254.169.254/",
        "event_types": ["subject.erased"],
    }
    page = client.post(SUBS + "add/", form)
    assert page.status_code == 200
    assert "public addresses only" in page.content.decode()
    assert not WebhookSubscription.objects.exists()


@pytest.mark.django_db
def test_the_delivery_log_speaks_plain_words(client, officer, receiver, subscription):
    failed = one_delivery([500], receiver)
    client.force_login(officer)
    listing = client.get(LOG).content.decode()
    assert "Failed — will retry at" in listing
    assert "A data subject&#x27;s record was erased" in listing
    words = re.sub(r"<[^>]*>", " ", listing)  # what staff read, not link targets
    assert "subject.erased" not in words and "pending" not in words
    detail = client.get(f"{LOG}{failed.pk}/change/").content.decode()
    assert "Answered 500" in detail and "<pre>" in detail
    assert 'name="_save"' not in detail


def sweep_batch_delivery() -> WebhookDelivery:
    RecordingFactory.create_batch(3)
    retention_sweep(actor=Actor.system("test"), only=[RECORDINGS])
    return WebhookDelivery.objects.get(event_type="recording.deleted")


@pytest.mark.django_db
def test_a_sweep_batch_delivery_says_how_many_recordings_went(
    client, officer, subscription
):
    batch = sweep_batch_delivery()
    client.force_login(officer)
    assert client.get(LOG).status_code == 200  # the list loads no payloads
    detail = client.get(f"{LOG}{batch.pk}/change/").content.decode()
    run = batch.payload["object"]["id"]
    assert f"Retention sweep {run}: 3 recordings" in detail
    assert detail.count("&quot;type&quot;: &quot;recording&quot;") == 3


@pytest.mark.django_db
def test_redeliver_action_queues_a_new_delivery_and_is_audited(
    client, officer, receiver, subscription
):
    delivery = one_delivery([200], receiver)
    client.force_login(officer)
    data = {"action": "redeliver", "_selected_action": [delivery.pk]}
    page = client.post(LOG, data, follow=True)
    assert "1 event(s) queued to be sent again." in page.content.decode()
    assert WebhookDelivery.objects.filter(redelivery_of=delivery).count() == 1
    assert AuditEvent.objects.filter(action="webhooks.delivery.redelivered").exists()


@pytest.mark.django_db
def test_analysts_see_the_log_but_cannot_redeliver_or_add(
    client, analyst, receiver, subscription
):
    delivery = one_delivery([200], receiver)
    client.force_login(analyst)
    assert client.get(LOG).status_code == 200
    assert client.get(SUBS + "add/").status_code == 403
    data = {"action": "redeliver", "_selected_action": [delivery.pk]}
    client.post(LOG, data)
    assert not WebhookDelivery.objects.filter(redelivery_of=delivery).exists()


@pytest.mark.browser
def test_webhook_pages_fit_the_screen(
    page, live_server, admin_user, receiver, subscription, tmp_path
):
    delivered = one_delivery([200], receiver)
    subject_anonymise(actor=Actor.system("test"), subject=DataSubjectFactory())
    retrying = WebhookDelivery.objects.exclude(pk=delivered.pk).get()
    receiver.answers = [503]
    delivery_attempt(delivery_id=retrying.pk)
    batch = sweep_batch_delivery()
    admin_user.set_password("pw-Browser-Webhooks-1")
    admin_user.save()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", admin_user.get_username())
    page.fill("input[name=password]", "pw-Browser-Webhooks-1")
    page.click("input[type=submit]")
    out = Path(SHOTS) if SHOTS else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    pages = {
        "subscriptions": SUBS,
        "subscription": f"{SUBS}{subscription.pk}/change/",
        "add": f"{SUBS}add/",
        "log": LOG,
        "delivery": f"{LOG}{retrying.pk}/change/",
        "batch": f"{LOG}{batch.pk}/change/",
    }
    for name, url in pages.items():
        page.goto(live_server.url + url)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 1280, name
        page.screenshot(path=str(out / f"{name}.png"), full_page=True)
