"""Yearly request reports: § 7102 metrics and the accountability report."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from privacyportal.roles import AUDITOR, PRIVACY_ANALYST, SUPPORT
from requests_app import reports
from requests_app.models import DenialCategory, PrivacyRequest
from requests_app.services import RequestError
from requests_app.services.workflow import request_deny
from requests_app.tests.factories import in_progress, staff_user, submit

pytestmark = pytest.mark.django_db
T, S = PrivacyRequest.Type, PrivacyRequest.Status


def at(month: int, day: int, year: int = 2025) -> dt.datetime:
    return dt.datetime(year, month, day, 12, tzinfo=timezone.get_current_timezone())


def filed(kind, status, received, closed=None, *, state="CA", due_days=45, **extra):
    """A request as it stands after its life: backdated, with its end recorded."""
    request = submit(type=kind, country="US", region=state)
    PrivacyRequest.objects.filter(pk=request.pk).update(
        status=status,
        received_at=received,
        due_at=received + dt.timedelta(days=due_days),
        closed_at=closed,
        completed_at=closed if status in reports.COMPLIED else None,
        **extra,
    )
    return request


@pytest.fixture
def year_2025():
    filed(T.ACCESS, S.COMPLETED, at(1, 10), at(1, 20))
    filed(T.ACCESS, S.COMPLETED, at(2, 1), at(3, 23))  # 50 days: late
    filed(T.ACCESS, S.CLOSED_UNVERIFIED, at(3, 1), at(3, 31))
    filed(
        T.ERASURE, S.DENIED, at(4, 1), at(4, 5), denial_category=DenialCategory.EXEMPT
    )
    filed(T.ERASURE, S.PARTIALLY_COMPLETED, at(5, 1), at(5, 31))
    filed(T.MARKETING_OPT_OUT, S.COMPLETED, at(6, 1), at(6, 1))
    filed(T.ACCESS, S.IN_PROGRESS, at(12, 30), extended_at=at(12, 31))
    # Not counted: another year, another state (for § 7102), a duplicate.
    filed(T.ACCESS, S.COMPLETED, at(12, 31, 2024), at(1, 5))
    filed(T.ACCESS, S.COMPLETED, at(7, 1), at(7, 2), state="NY")
    filed(T.ACCESS, S.DUPLICATE, at(7, 1))


def by_key(rows):
    return {row.key: row for row in rows}


def test_ccpa_metrics_count_complied_denied_and_days_per_kind(year_2025):
    rows, total = reports.ccpa_7102(2025, "US-CA")
    know, delete = by_key(rows)["know"], by_key(rows)["delete"]
    assert (know.received, know.complied, know.denied) == (4, 2, 1)
    assert know.denied_by == {DenialCategory.NOT_VERIFIABLE: 1}
    assert know.withdrawn_or_open == 1 and know.extended == 1
    assert know.median_days == 30.0 and know.mean_days == 30.0  # 10 and 50
    assert know.on_time_rate == 50.0
    assert (delete.received, delete.complied, delete.denied) == (2, 1, 1)
    assert delete.denied_by == {DenialCategory.EXEMPT: 1}
    assert delete.median_days == 17.0  # 4 and 30
    assert by_key(rows)["opt_out"].median_days == 0.0
    assert total.received == 7 and total.complied == 4 and total.denied == 2
    assert total.median_days == 10.0  # 0, 4, 10, 30, 50


def test_accountability_report_groups_by_jurisdiction(year_2025):
    rows, total = reports.accountability(2025)
    assert by_key(rows)["US-NY"].received == 1
    assert by_key(rows)["US-CA"].received == 7
    assert by_key(rows)["US-CA"].label == "US: California"
    assert total.received == 8


def test_report_page_csv_and_small_counts_hidden_when_publishable(
    admin_client, year_2025
):
    page = admin_client.get("/admin/reports/", {"year": 2025, "report": "ccpa"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "Requests to know (access)" in body and "30.0" in body
    published = admin_client.get(
        "/admin/reports/",
        {"year": 2025, "report": "ccpa", "publishable": "on", "format": "csv"},
    )
    assert published["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(published.content.decode())))
    know = next(r for r in table if r[0] == "Requests to know (access)")
    assert know[1] == "fewer than 5" and know[-1] == "—"
    total = table[-1]
    assert total[0] == "All" and total[1] == "7"


def test_printable_page_has_no_admin_chrome(admin_client, year_2025):
    page = admin_client.get("/admin/reports/", {"year": 2025, "print": "1"})
    body = page.content.decode()
    assert "CCPA § 7102 metrics, 2025" in body and 'id="header"' not in body


def test_a_bad_year_is_a_form_error_not_a_crash(admin_client):
    for year in ("abc", "1999", str(timezone.localdate().year + 1)):
        page = admin_client.get("/admin/reports/", {"year": year})
        assert page.status_code == 200
        assert page.context["form"].errors and "table" not in page.context


def test_support_cannot_read_reports_auditor_and_analyst_can(client):
    client.force_login(staff_user("support", SUPPORT))
    assert client.get("/admin/reports/").status_code == 403
    for name, role in (("auditor", AUDITOR), ("analyst", PRIVACY_ANALYST)):
        client.force_login(staff_user(name, role))
        assert client.get("/admin/reports/").status_code == 200


def test_deny_records_why_and_refuses_an_unknown_reason(admin_user):
    request = in_progress(admin_user)
    with pytest.raises(RequestError):
        request_deny(
            actor=admin_user,
            request=request,
            reason="r",
            legal_basis="b",
            category="because",
        )
    request.refresh_from_db()
    assert request.status == S.IN_PROGRESS
    request_deny(
        actor=admin_user,
        request=request,
        reason="Manifestly unfounded",
        legal_basis="Cal. Civ. Code 1798.145",
        category=DenialCategory.EXEMPT,
    )
    request.refresh_from_db()
    assert (request.status, request.denial_category) == (S.DENIED, "exempt")


def test_dashboard_links_to_reports_for_those_who_may_read_them(client):
    client.force_login(staff_user("analyst2", PRIVACY_ANALYST))
    assert "/admin/reports/" in client.get("/admin/").content.decode()
    client.force_login(staff_user("support2", SUPPORT))
    assert "/admin/reports/" not in client.get("/admin/").content.decode()
