"""Report figures over the API: the admin reports' own numbers, as JSON."""

from __future__ import annotations

import pytest
from django.utils import timezone

from privacyportal.api.tests.fixtures import assert_problem
from requests_app import reports
from requests_app.tests.test_reports import year_2025  # noqa: F401

pytestmark = pytest.mark.django_db
CCPA = "/api/v1/reports/ccpa-7102"
YEARLY = "/api/v1/reports/requests-yearly"


def test_ccpa_figures_equal_the_admin_reports(api, year_2025):  # noqa: F811
    response = api("reports:read").get(CCPA, {"year": 2025})
    assert response.status_code == 200, response.content
    body = response.json()
    rows, total = reports.ccpa_7102(2025, "US-CA")
    assert [r["key"] for r in body["rows"]] == [r.key for r in rows]
    know = body["rows"][0]
    assert (know["received"], know["complied"], know["denied"]) == (
        rows[0].received,
        rows[0].complied,
        rows[0].denied,
    )
    assert know["timing"]["median_days"] == rows[0].median_days
    assert know["timing"]["on_time_rate"] == rows[0].on_time_rate
    assert body["total"]["received"] == total.received == 7
    assert body["total"]["denied_by"] == total.denied_by


def test_ccpa_for_every_requester_counts_other_states(api, year_2025):  # noqa: F811
    body = api("reports:read").get(CCPA, {"year": 2025, "scope": ""}).json()
    assert body["total"]["received"] == reports.ccpa_7102(2025, "")[1].received == 8


def test_the_yearly_report_groups_by_jurisdiction(api, year_2025):  # noqa: F811
    body = api("reports:read").get(YEARLY, {"year": 2025}).json()
    rows, _ = reports.accountability(2025)
    assert {r["key"]: r["received"] for r in body["rows"]} == {
        r.key: r.received for r in rows
    }
    assert body["extras"] == dict(reports.yearly_extras(2025))


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"year": "last"},
        {"year": 1999},
        {"year": timezone.localdate().year + 1},
        {"year": 2025, "scope": "NY"},
        {"year": 2025, "format": "csv"},
    ],
)
def test_a_bad_year_or_parameter_is_a_400_problem(api, params):
    assert_problem(api("reports:read").get(CCPA, params), 400, "invalid-input")


@pytest.mark.parametrize("url", [CCPA, YEARLY, "/api/v1/reports/dashboard"])
def test_a_key_without_reports_read_is_403(api, url):
    response = api("requests:read").get(url, {"year": 2025})
    assert_problem(response, 403, "missing-scope")
