"""Complaint, appeal and incident tiles: counts, links, and no query per row."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints_app.models import Complaint
from complaints_app.tests.factories import complaint
from incidents_app.models import Incident, NoticeRun
from incidents_app.tests.factories import IncidentFactory
from requests_app.models import Appeal, AppealRule
from requests_app.tests.factories import submit

pytestmark = pytest.mark.django_db
C = Complaint.Status


def section(response, title: str) -> dict:
    found = response.context["dashboard"].tiles
    return {t.title: t for t in found if t.section == title}


def complaints() -> dict[str, list[Complaint]]:
    now = timezone.now()

    def made(**fields) -> Complaint:
        filed = complaint()
        Complaint.objects.filter(pk=filed.pk).update(**fields)
        return filed

    return {
        "new": [made()],
        "ack_soon": [made(ack_due_at=now + timedelta(days=3))],
        "ack_late": [made(ack_due_at=now - timedelta(days=1))],
        "decide_late": [
            made(
                status=C.INVESTIGATING,
                acknowledged_at=now - timedelta(days=60),
                due_at=now - timedelta(days=2),
            )
            for _ in range(2)
        ],
        # Acknowledged: its acknowledgement date no longer counts.
        "acked": [
            made(
                status=C.ACKNOWLEDGED,
                acknowledged_at=now,
                ack_due_at=now - timedelta(days=5),
                due_at=now + timedelta(days=40),
            )
        ],
        "decided": [made(status=C.RESOLVED, due_at=now - timedelta(days=9))],
    }


def appeals() -> dict[str, list[Appeal]]:
    rule = AppealRule.objects.create(
        jurisdiction="US-VA",
        name="Virginia (test)",
        effective_from=date(2020, 1, 1),
        window_days=45,
        decide_days=60,
    )
    now = timezone.now()

    def made(days: int, status: str = Appeal.Status.OPEN) -> Appeal:
        return Appeal.objects.create(
            request=submit(),
            rule=rule,
            status=status,
            appealed_status="denied",
            text="I disagree.",
            due_at=now + timedelta(days=days),
        )

    return {
        "pending": [made(20)],
        "late": [made(-1), made(-3)],
        "decided": [made(-5, Appeal.Status.DENIED)],
    }


def incidents() -> dict[str, list[Incident]]:
    now = timezone.now()
    running = [
        IncidentFactory(became_aware_at=now - timedelta(hours=h)) for h in (10, 50)
    ]
    late = [IncidentFactory(became_aware_at=now - timedelta(hours=80))]
    notified = IncidentFactory(became_aware_at=now - timedelta(hours=100))
    Incident.objects.filter(pk=notified.pk).update(status=Incident.Status.NOTIFIED)
    closed = IncidentFactory(became_aware_at=now - timedelta(hours=100))
    Incident.objects.filter(pk=closed.pk).update(status=Incident.Status.CLOSED)
    NoticeRun.objects.create(incident=notified, what_happened="x", consequences="y")
    return {"running": running, "late": late, "notified": [notified]}


def listed(client, link: str) -> set[int]:
    response = client.get(link)
    assert response.status_code == 200
    return {row.pk for row in response.context["cl"].result_list}


def pks(made: dict, *keys: str) -> set[int]:
    return {obj.pk for key in keys for obj in made[key]}


def test_complaint_tiles_count_and_link_to_exactly_what_they_count(client, officer):
    made = complaints()
    client.force_login(officer)
    tiles = section(client.get("/admin/"), "Complaints")
    assert {t: tiles[t].count for t in tiles} == {
        "Open complaints": 6,
        "Due in the next 7 days": 1,
        "Overdue": 3,
    }
    assert tiles["Overdue"].note == "1 to acknowledge, 2 to decide"
    open_keys = ("new", "ack_soon", "ack_late", "decide_late", "acked")
    assert listed(client, tiles["Open complaints"].link) == pks(made, *open_keys)
    assert listed(client, tiles["Due in the next 7 days"].link) == pks(made, "ack_soon")
    assert listed(client, tiles["Overdue"].link) == pks(made, "ack_late", "decide_late")


def test_appeal_tiles_count_and_link_to_exactly_what_they_count(client, officer):
    made = appeals()
    client.force_login(officer)
    tiles = section(client.get("/admin/"), "Appeals of refused requests")
    assert tiles["Appeals to decide"].count == 3
    assert tiles["Appeals overdue"].count == 2
    assert listed(client, tiles["Appeals to decide"].link) == pks(
        made, "pending", "late"
    )
    assert listed(client, tiles["Appeals overdue"].link) == pks(made, "late")


@time_machine.travel(datetime(2026, 3, 28, 12, tzinfo=UTC), tick=False)
def test_incident_tiles_count_link_and_name_the_soonest_deadline(client, officer):
    made = incidents()
    client.force_login(officer)
    tiles = section(client.get("/admin/"), "Incidents and breaches")
    running = tiles["Authority notice clocks running"]
    assert running.count == 2
    soonest = made["running"][1]  # aware 50 hours ago
    deadline = "by 29 Mar 10:00 (22 hours left)"
    assert running.note == f"Soonest: {soonest.reference} {deadline}"
    assert tiles["Open incidents"].count == 4
    assert tiles["Authority not notified in time"].count == 1
    assert tiles["Notices being sent"].count == 1
    assert listed(client, running.link) == pks(made, "running")
    late = tiles["Authority not notified in time"].link
    assert listed(client, late) == pks(made, "late")
    assert listed(client, tiles["Notices being sent"].link) == pks(made, "notified")
    assert listed(client, tiles["Open incidents"].link) == pks(
        made, "running", "late", "notified"
    )


def test_no_running_clock_shows_no_deadline(client, officer):
    client.force_login(officer)
    tiles = section(client.get("/admin/"), "Incidents and breaches")
    assert tiles["Authority notice clocks running"].count == 0
    assert tiles["Authority notice clocks running"].note == ""


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/admin/").status_code == 200
    return len(captured)


def test_more_complaints_appeals_and_incidents_cost_no_more_queries(client, officer):
    complaints(), appeals(), incidents()
    client.force_login(officer)
    client.get("/admin/")  # the session, permissions and content types warm up
    before = _queries(client)
    complaints(), incidents()
    assert _queries(client) == before


def test_support_sees_no_complaint_appeal_or_incident_tiles(client, support):
    complaints(), incidents()
    client.force_login(support)
    titles = {t.section for t in client.get("/admin/").context["dashboard"].tiles}
    assert titles.isdisjoint(
        {"Complaints", "Appeals of refused requests", "Incidents and breaches"}
    )
