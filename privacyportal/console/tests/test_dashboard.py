from __future__ import annotations

import re

import pytest
from django.utils import timezone

from privacyportal.console.tests.helpers import queue, shaped
from requests_app.models import PrivacyRequest
from requests_app.selectors import SECTION

pytestmark = pytest.mark.django_db
S = PrivacyRequest.Status


def tiles(response, section: str = SECTION) -> dict[str, object]:
    found = response.context["dashboard"].tiles
    return {tile.title: tile for tile in found if tile.section == section}


def test_officer_dashboard_counts_each_tile(client, officer):
    queue(officer)
    client.force_login(officer)
    response = client.get("/admin/")
    assert response.status_code == 200
    counts = {title: tile.count for title, tile in tiles(response).items()}
    assert counts == {
        "Overdue": 2,
        "Due in the next 7 days": 1,
        "Waiting for the requester": 2,
        "Awaiting verification": 2,
        "Needs attention": 1,
        "Unassigned": 3,  # due soon and the two waiting; assigned ones are not
    }
    waiting = tiles(response)["Waiting for the requester"]
    assert waiting.note == "1 with the clock stopped, 1 with it running"


def test_overdue_tile_links_to_a_queue_of_exactly_the_overdue(client, officer):
    made = queue(officer)
    client.force_login(officer)
    link = tiles(client.get("/admin/"))["Overdue"].link
    listed = client.get(link).context["cl"].result_list
    assert {r.pk for r in listed} == {r.pk for r in made["overdue"]}


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Due in the next 7 days", ["due_7"]),
        ("Waiting for the requester", ["waiting_paused", "waiting_running"]),
        ("Awaiting verification", ["unverified"]),
        ("Needs attention", ["attention"]),
        ("Unassigned", ["due_7", "waiting_paused", "waiting_running"]),
    ],
)
def test_every_tile_links_to_the_requests_it_counts(client, officer, title, expected):
    made = queue(officer)
    client.force_login(officer)
    link = tiles(client.get("/admin/"))[title].link
    listed = client.get(link).context["cl"].result_list
    assert {r.pk for r in listed} == {r.pk for key in expected for r in made[key]}


def test_my_work_lists_my_open_requests_most_urgent_first(client, officer, analyst):
    made = queue(officer)
    shaped(status=S.IN_PROGRESS, assignee=analyst)
    client.force_login(officer)
    work = client.get("/admin/").context["dashboard"].work
    mine = [*made["overdue"], *made["attention"]]
    assert [w.label for w in work] == [
        r.reference for r in sorted(mine, key=lambda r: r.due_at)
    ]
    assert work[0].due == "Overdue by 3 days" and work[0].tone == "alert"


def test_support_sees_only_the_requests_it_entered(client, officer, support):
    queue(officer)
    mine = shaped(status=S.VERIFIED, entered_by=support)
    client.force_login(support)
    response = client.get("/admin/")
    dashboard = response.context["dashboard"]
    assert dashboard.tiles == [] and dashboard.charts == [] and dashboard.panels == []
    assert [w.label for w in dashboard.work] == [mine.reference]
    html = response.content.decode()
    assert "Requests you entered that are still open" in html
    assert "Audit trail check" not in html and "Opt-in rate" not in html


def test_auditor_sees_figures_and_the_audit_check_but_owns_no_work(client, auditor):
    client.force_login(auditor)
    dashboard = client.get("/admin/").context["dashboard"]
    assert {t.title for t in dashboard.tiles} >= {"Overdue", "Needs attention"}
    assert {p.key for p in dashboard.panels} == {
        "audit-check",
        "legal-holds",
        "disclosures",
    }
    assert {c["chart"].key for c in dashboard.charts} >= {
        "requests-received",
        "consent-opt-in",
        "retention-deleted",
    }
    assert dashboard.work == []


def test_dashboard_shows_no_codes_and_no_inline_style_or_script(client, officer):
    queue(officer)
    client.force_login(officer)
    html = client.get("/admin/").content.decode()
    dashboard = html.split('id="content-main"')[1].split('class="console-apps"')[0]
    assert "style=" not in dashboard and "<script" not in dashboard
    # What staff read: the page without its tags (links may carry codes).
    text = re.sub(r"<[^>]+>", " ", dashboard)
    for code in ("needs_info", "in_progress", "requests_app", "marketing_opt_out"):
        assert code not in text
    assert "Waiting for the requester" in text and "EU / EEA" in text


def test_app_list_puts_privacy_apps_first_and_plumbing_under_system(client, officer):
    client.force_login(officer)
    apps = client.get("/admin/").context["app_list"]
    labels = [app["app_label"] for app in apps]
    assert labels[:5] == [
        "requests_app",
        "consent_app",
        "retention_app",
        "subjects",
        "audit",
    ]
    assert labels[-1] == "system"
    system = [m["object_name"] for m in apps[-1]["models"]]
    assert "PeriodicTask" in system


def test_dashboard_counts_at_most_a_thousand_per_tile(client, officer, monkeypatch):
    from privacyportal import widgets

    monkeypatch.setattr("privacyportal.counts.TILE_CAP", 2)
    monkeypatch.setattr(widgets, "TILE_CAP", 2)
    queue(officer)
    client.force_login(officer)
    response = client.get("/admin/")
    assert tiles(response)["Awaiting verification"].count == 2
    assert "2 or more" in response.content.decode()


def test_dashboard_stays_within_fifteen_queries(
    client, officer, django_assert_max_num_queries
):
    from privacyportal.stats import figures_rollup

    queue(officer)
    figures_rollup(today=timezone.localdate() + timezone.timedelta(days=1))
    client.force_login(officer)
    client.get("/admin/")  # the session, permissions and content types warm up
    with django_assert_max_num_queries(15):
        assert client.get("/admin/").status_code == 200
