from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from privacyportal import audit

pytestmark = pytest.mark.django_db


@pytest.fixture
def events():
    return [
        audit.record("requests.request.verified", actor=None, target=("x.y", 5)),
        audit.record("consent.consent.granted", actor=None, subject_id=9),
    ]


def listed(response) -> list[str]:
    return [e.action for e in response.context["cl"].result_list]


def test_filter_by_area_and_search_by_exact_action_or_id(admin_client, events):
    url = "/admin/audit/auditevent/"
    assert listed(admin_client.get(url, {"area": "consent"})) == [
        "consent.consent.granted"
    ]
    assert listed(admin_client.get(url, {"q": "requests.request.verified"})) == [
        "requests.request.verified"
    ]
    assert listed(admin_client.get(url, {"q": "9"})) == ["consent.consent.granted"]
    assert listed(admin_client.get(url, {"q": "x.y"})) == ["requests.request.verified"]


def test_changelist_runs_no_distinct_scan_or_full_count_of_the_ledger(
    admin_client, events
):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get("/admin/audit/auditevent/")
    assert response.status_code == 200
    sql = [q["sql"].upper() for q in queries if "AUDIT_AUDITEVENT" in q["sql"].upper()]
    assert sql and not [q for q in sql if "DISTINCT" in q]
    assert len([q for q in sql if "COUNT(" in q]) <= 1  # the page's own count only


def test_the_list_speaks_in_words_not_codes(admin_client):
    from retention_app.tests.factories import RecordingFactory

    recording = RecordingFactory()
    audit.record(
        "retention.recording.deleted",
        actor=None,
        target=("retention_app.recording", recording.pk),
        subject_id=12,
    )
    audit.record("incidents.incident.closed", actor=None)
    page = admin_client.get("/admin/audit/auditevent/").content.decode()
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert f"Recording {recording.pk}" in body
    assert "Incident closed" in body and "Data subject 12" in body
    assert "retention_app" not in body and "incidents.incident" not in body
    assert 'href="/admin/subjects/datasubject/12/change/"' in body
    # Every area an app records under can be filtered on.
    areas = admin_client.get("/admin/audit/auditevent/", {"area": "incidents"})
    assert [e.action for e in areas.context["cl"].result_list] == [
        "incidents.incident.closed"
    ]
