from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from privacyportal.console.tests.helpers import shaped
from privacyportal.models import DailyCount
from privacyportal.stats import COUNTED, figures_rollup
from requests_app.models import PrivacyRequest

pytestmark = pytest.mark.django_db
S, T = PrivacyRequest.Status, PrivacyRequest.Type


def charts(client, user) -> dict:
    client.force_login(user)
    entries = client.get("/admin/").context["dashboard"].charts
    return {entry["chart"].key: entry for entry in entries}


def closed(days: int, late: bool, type_: str = T.ACCESS) -> PrivacyRequest:
    now = timezone.now() - timedelta(days=2)
    received = now - timedelta(days=days)
    due = now + timedelta(days=-1 if late else 1)
    return shaped(
        type=type_, status=S.COMPLETED, received_at=received, closed_at=now, due_at=due
    )


def test_nightly_counts_feed_the_on_time_and_median_chart(client, officer):
    closed(4, late=False)
    closed(10, late=False)
    closed(40, late=True)
    closed(6, late=False, type_=T.ERASURE)
    figures_rollup()
    chart = charts(client, officer)["requests-on-time"]["chart"]
    rate, median = (s.values for s in chart.series)
    rows = dict(zip(chart.labels, zip(rate, median, strict=True), strict=True))
    assert rows["See my information (access)"] == (66.7, 10)
    assert rows["Delete my information"] == (100.0, 6)


def test_received_chart_counts_per_week_and_type_but_not_duplicates(client, officer):
    week_ago = timezone.now() - timedelta(days=8)
    shaped(received_at=week_ago)
    shaped(received_at=week_ago, type=T.ERASURE)
    shaped(received_at=week_ago, status=S.DUPLICATE)
    figures_rollup()
    chart = charts(client, officer)["requests-received"]["chart"]
    assert {s.name: sum(s.values) for s in chart.series} == {
        "See my information (access)": 1,
        "Delete my information": 1,
    }


def test_today_is_not_counted_and_a_second_run_rewrites_only_yesterday():
    shaped(received_at=timezone.now() - timedelta(days=1))
    figures_rollup()
    days = DailyCount.objects.filter(series="requests.received", key=COUNTED)
    assert days.count() == 400 and not days.filter(day=timezone.localdate()).exists()
    before = set(DailyCount.objects.values_list("pk", flat=True))
    figures_rollup()
    after = set(DailyCount.objects.values_list("pk", flat=True))
    rewritten = DailyCount.objects.filter(pk__in=after - before)
    # Every series rewrites yesterday; the monthly one the month so far.
    assert {d.day for d in rewritten if d.series == "requests.received"} == {
        timezone.localdate() - timedelta(days=1)
    }
    assert len(before & after) > 0


def test_each_chart_has_a_table_with_the_same_figures(client, officer):
    shaped(received_at=timezone.now() - timedelta(days=3), jurisdiction="UK")
    figures_rollup()
    entries = charts(client, officer)
    table = entries["open-jurisdiction"]["table"]
    assert table["headers"] == ["", "Open requests"]
    assert ["United Kingdom", "1"] in table["rows"]
    html = client.get("/admin/").content.decode()
    assert html.count("The figures as a table") == sum(
        1 for e in entries.values() if e["has_data"]
    )
    assert 'role="img"' in html
