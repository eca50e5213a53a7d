"""The dashboard in Chromium at 1280x800: tiles render and lead to the queue."""

from __future__ import annotations

import pytest

from privacyportal.console.tests.helpers import queue
from requests_app.tests.factories import staff_user
from requests_app.tests.test_browser_console import shot


@pytest.mark.browser
def test_overdue_tile_leads_to_the_overdue_requests(page, live_server):
    officer = staff_user("officer", "Privacy Officer")
    overdue = {r.reference for r in queue(officer)["overdue"]}
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "officer")
    page.fill("#id_password", "pw-Very-Long-123")
    with page.expect_navigation():
        page.click("input[type=submit]")
    requests = page.locator(".tiles").first  # the requests' own section
    tile = requests.locator(".tile", has_text="Overdue")
    assert tile.locator(".tile-count").inner_text() == "2"
    # Every tile of the first row is visible without scrolling at 1280x800.
    box = requests.bounding_box()
    assert box["y"] + box["height"] < 800
    assert page.locator("svg[role=img]").count() >= 1
    with page.expect_navigation():
        tile.locator("a").click()
    listed = set(page.locator("#result_list tbody th a").all_inner_texts())
    assert listed == overdue


@pytest.mark.browser
def test_incident_clock_tile_leads_to_the_running_incidents(page, live_server):
    from datetime import timedelta

    from django.utils import timezone

    from incidents_app.tests.factories import IncidentFactory

    staff_user("officer", "Privacy Officer")
    now = timezone.now()
    running = IncidentFactory(became_aware_at=now - timedelta(hours=50))
    IncidentFactory(became_aware_at=now - timedelta(hours=80))  # overdue, not running
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "officer")
    page.fill("#id_password", "pw-Very-Long-123")
    with page.expect_navigation():
        page.click("input[type=submit]")
    tile = page.locator(".tile", has_text="Authority notice clocks running")
    assert tile.locator(".tile-count").inner_text() == "1"
    shot(page, "dashboard-incident-tiles")
    assert running.reference in tile.inner_text()
    # The incidents' row still fits the first screen at 1280x800.
    box = tile.bounding_box()
    assert box["y"] + box["height"] < 800
    with page.expect_navigation():
        tile.locator("a").click()
    listed = page.locator("#result_list tbody th a").all_inner_texts()
    assert listed == [running.reference]
