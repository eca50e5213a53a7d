"""The dashboard's figures over the API: the same tiles and charts staff see."""

from __future__ import annotations

import pytest

from privacyportal.console.tests.helpers import queue

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/dashboard"


def test_the_dashboard_figures_equal_the_staff_dashboards(api, client, officer):
    queue(officer)
    client.force_login(officer)
    staff = client.get("/admin/").context["dashboard"]
    response = api("reports:read").get(URL)
    assert response.status_code == 200, response.content
    body = response.json()
    assert {t["title"]: t["count"] for t in body["tiles"]} == {
        t.title: t.count for t in staff.tiles
    }
    assert body["tiles"] and {"Overdue"} <= {t["title"] for t in body["tiles"]}
    staff_charts = {c["chart"].key for c in staff.charts}
    assert staff_charts <= {c["key"] for c in body["charts"]}


def test_the_dashboard_leaves_out_personal_work_lists(api, officer):
    queue(officer)
    body = api("reports:read").get(URL).json()
    assert set(body) == {"at", "tiles", "charts", "panels"}
