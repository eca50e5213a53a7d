"""Disclosures over the API: recorded as an import records them, all or none."""

from __future__ import annotations

import pytest

from disclosures_app.api import BATCH_MAX
from disclosures_app.models import Disclosure
from disclosures_app.tests.factories import RecipientFactory
from privacyportal.api.tests.fixtures import assert_problem
from privacyportal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
URL = "/api/v1/disclosures"


@pytest.fixture
def acme(db):
    return RecipientFactory(name="Acme Resellers")


def row(subject, **overrides) -> dict:
    return {
        "email": subject.email,
        "recipient": "acme resellers",
        "categories": ["contact details"],
        "purpose": "reselling our products",
        "legal_basis": "contract",
        "disclosed_at": "2026-10-01T09:00:00+00:00",
        **overrides,
    }


def test_a_batch_is_recorded_with_the_api_channel_and_the_key_as_actor(
    api, subject, acme
):
    client = api("disclosures:write", name="Partner feed")
    body = {"disclosures": [row(subject), row(subject, categories=["account"])]}
    response = client.post(URL, body)
    assert response.status_code == 201, response.content
    assert response.json() == {"recorded": 2}
    rows = Disclosure.objects.order_by("pk")
    assert {r.channel for r in rows} == {"api"}
    assert rows[1].categories == ["account"]
    assert rows[0].recorded_by == "API key Partner feed"
    event = AuditEvent.objects.get(action="disclosures.disclosure.imported")
    assert event.actor_label == "API key Partner feed" and event.data["rows"] == 2


def test_one_refused_row_stores_nothing_and_names_the_row(api, subject, acme):
    unlisted = RecipientFactory(name="Data Broker", unlisted=True)
    body = {"disclosures": [row(subject), row(subject, recipient=unlisted.name)]}
    response = api("disclosures:write").post(URL, body)
    errors = assert_problem(response, 400, "invalid-input")["errors"]
    assert list(errors["disclosures"]) == ["1"]
    assert "does not list Data Broker" in errors["disclosures"]["1"][0]
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"email": "stranger@example.org"},
        {"recipient": "Nobody Inc"},
        {"categories": ["shoe size"]},
        {"categories": []},
        {"legal_basis": "because"},
        {"disclosed_at": "yesterday"},
        {"colour": "blue"},
    ],
)
def test_a_bad_row_is_a_400_problem(api, subject, acme, overrides):
    body = {"disclosures": [row(subject, **overrides)]}
    assert_problem(api("disclosures:write").post(URL, body), 400, "invalid-input")
    assert not Disclosure.objects.exists()


def test_a_batch_is_limited(api, subject, acme):
    client = api("disclosures:write")
    too_many = {"disclosures": [row(subject)] * (BATCH_MAX + 1)}
    assert_problem(client.post(URL, too_many), 400, "invalid-input")
    assert_problem(client.post(URL, {"disclosures": []}), 400, "invalid-input")
    assert not Disclosure.objects.exists()


def test_a_repeated_idempotency_key_records_once(api, subject, acme):
    client = api("disclosures:write")
    body = {"disclosures": [row(subject)]}
    first = client.post(URL, body, HTTP_IDEMPOTENCY_KEY="feed-7")
    again = client.post(URL, body, HTTP_IDEMPOTENCY_KEY="feed-7")
    assert first.json() == again.json() == {"recorded": 1}
    assert again["Idempotent-Replayed"] == "true"
    assert Disclosure.objects.count() == 1


def test_a_key_without_disclosures_write_is_403(api, subject, acme):
    response = api("reports:read").post(URL, {"disclosures": [row(subject)]})
    assert_problem(response, 403, "missing-scope")
    assert not Disclosure.objects.exists()
