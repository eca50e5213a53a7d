from __future__ import annotations

import socket

import pytest

from privacyportal.api.webhooks import netguard
from privacyportal.api.webhooks.models import WebhookDelivery, WebhookSubscription
from privacyportal.api.webhooks.services import (
    WebhookError,
    delivery_attempt,
    subscription_create,
)
from privacyportal.audit.services import Actor
from privacyportal.subjects.services import subject_anonymise
from privacyportal.subjects.tests.factories import DataSubjectFactory

SYSTEM = Actor.system("test")


@pytest.fixture
def production(settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    settings.WEBHOOK_ALLOW_PRIVATE = False


@pytest.fixture
def dns(monkeypatch):
    """Names this test decides the addresses of; the rest of DNS is not asked."""
    table: dict[str, str] = {}

    def lookup(host, port, *args, **kwargs):
        if host not in table:
            raise socket.gaierror(f"unknown host {host}")
        family = socket.AF_INET6 if ":" in table[host] else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (table[host], port))]

    monkeypatch.setattr(netguard.socket, "getaddrinfo", lookup)
    return table


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://172.16.0.9/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[fe80::1]/hook",
        "https://[fc00::5]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://0.0.0.0/hook",
        "https://224.0.0.1/hook",
        "https://localhost/hook",
    ],
)
def test_addresses_that_are_not_public_are_refused(production, url):
    with pytest.raises(netguard.UnsafeURL, match="public addresses only"):
        netguard.check_url(url)


def test_a_public_name_resolving_to_a_private_address_is_refused(production, dns):
    dns["hooks.partner.example"] = "10.0.0.7"
    with pytest.raises(netguard.UnsafeURL, match=r"10\.0\.0\.7"):
        netguard.check_url("https://hooks.partner.example/in")


def test_a_public_address_is_accepted_and_pinned(production, dns):
    dns["hooks.partner.example"] = "93.184.216.34"
    target = netguard.check_url("https://hooks.partner.example:8443/in?x=1")
    assert (target.host, target.port, target.path, target.address) == (
        "hooks.partner.example",
        8443,
        "/in?x=1",
        "93.184.216.34",
    )


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://93.184.216.34/hook", "https://"),
        ("ftp://93.184.216.34/hook", "https://"),
        ("https://user:pw@93.184.216.34/hook", "user name or password"),
        ("https:///nohost", "no host"),
        ("https://unknown.invalid/hook", "does not resolve"),
    ],
)
def test_malformed_or_plain_http_urls_are_refused(production, dns, url, words):
    with pytest.raises(netguard.UnsafeURL, match=words):
        netguard.check_url(url)


@pytest.mark.django_db
def test_creating_a_subscription_to_a_private_address_changes_nothing(production):
    with pytest.raises(WebhookError, match="public addresses only"):
        subscription_create(
            actor=SYSTEM,
            name="Internal",
            url="https://169.254.169.254/",
            event_types=["subject.erased"],
        )
    assert not WebhookSubscription.objects.exists()


@pytest.mark.django_db
def test_a_name_that_turns_private_after_saving_is_refused_at_send_time(
    production, dns, django_capture_on_commit_callbacks
):
    dns["hooks.partner.example"] = "93.184.216.34"
    subscription_create(
        actor=SYSTEM,
        name="Partner",
        url="https://hooks.partner.example/in",
        event_types=["subject.erased"],
    )
    dns["hooks.partner.example"] = "127.0.0.1"  # DNS rebinding
    with django_capture_on_commit_callbacks(execute=False):
        subject_anonymise(actor=SYSTEM, subject=DataSubjectFactory())
    delivery = WebhookDelivery.objects.get()
    assert delivery_attempt(delivery_id=delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("Refused:")
    assert delivery.last_status_code is None
