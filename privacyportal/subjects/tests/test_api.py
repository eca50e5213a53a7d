"""Subject lookup over the API: one person by exact address, never a list."""

from __future__ import annotations

import pytest

from privacyportal.api.tests.fixtures import assert_problem
from privacyportal.audit.models import AuditEvent
from privacyportal.subjects.models import DataSubject, Device
from privacyportal.subjects.tests.factories import DataSubjectFactory
from requests_app.tests.factories import verified

pytestmark = pytest.mark.django_db
URL = "/api/v1/subjects/lookup"


def test_a_lookup_finds_the_person_by_the_address_normalised(api):
    person = DataSubjectFactory(email="ada@example.org", company="Analytical")
    Device.objects.create(subject=person, serial_number="X1")
    response = api("subjects:read").get(URL, {"email": "  ADA@Example.org "})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == person.pk
    assert "title and company" in body["categories"] and "devices" in body["categories"]
    assert "email" not in body and "name" not in body  # ids and counts, not data


def test_a_lookup_counts_the_persons_requests(api):
    request = verified(email="ada@example.org")
    response = api("subjects:read").get(URL, {"email": "ada@example.org"})
    records = {row["key"]: row["count"] for row in response.json()["records"]}
    assert response.json()["id"] == request.subject_id
    assert records["requests"] == 1


def test_a_lookup_is_audited_as_a_look_by_the_key(api):
    person = DataSubjectFactory(email="ada@example.org")
    api("subjects:read", name="Helpdesk").get(URL, {"email": "ada@example.org"})
    event = AuditEvent.objects.get(action="subjects.subject.viewed")
    assert event.subject_id == person.pk and event.actor_label == "API key Helpdesk"


def test_an_unknown_address_is_a_404_problem(api):
    DataSubjectFactory(email="ada@example.org")
    response = api("subjects:read").get(URL, {"email": "ada@example.com"})
    assert_problem(response, 404, "not-found")
    assert not AuditEvent.objects.filter(action="subjects.subject.viewed").exists()


@pytest.mark.parametrize(
    "params", [{}, {"email": "not-an-address"}, {"email": "a@example.org", "x": "1"}]
)
def test_a_lookup_without_one_valid_address_is_a_400_problem(api, params):
    # Never a list of everyone, whatever is left out.
    DataSubjectFactory(email="a@example.org")
    assert_problem(api("subjects:read").get(URL, params), 400, "invalid-input")


def test_a_key_without_subjects_read_is_403(api):
    DataSubjectFactory(email="ada@example.org")
    response = api("requests:read").get(URL, {"email": "ada@example.org"})
    assert_problem(response, 403, "missing-scope")


def test_there_is_no_list_of_subjects(api):
    assert_problem(api("subjects:read").get("/api/v1/subjects"), 404, "not-found")
    assert DataSubject.objects.count() == 0
