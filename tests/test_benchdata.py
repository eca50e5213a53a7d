"""The benchmarks' SQL data generators still fit the schema.

They write rows with raw SQL (generate_series, a million at a time), so a new
NOT NULL column breaks them silently until someone runs ``make bench``. Here
each runs at a tiny scale on the test database.
"""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the generators are PostgreSQL SQL"
    ),
]


def test_request_generator():
    from django.utils import timezone

    from requests_app import benchdata
    from requests_app.models import PrivacyRequest

    benchdata.insert(5, tag="t", vacuum=False)
    benchdata.insert(3, tag="o", status="verified", due_days=-2, vacuum=False)
    assert PrivacyRequest.objects.filter(reference__startswith="PR-Bt-").count() == 5
    assert PrivacyRequest.objects.overdue(timezone.now()).count() == 3


def test_consent_generator():
    from bench import consent_allows
    from consent_app.models import ConsentState

    with connection.cursor() as cursor:
        consent_allows._generate(cursor, 0, 4)
    assert ConsentState.objects.filter(
        subject__email__endswith=f"@{consent_allows.DOMAIN}"
    ).exists()


def test_export_generator(monkeypatch):
    from bench import export_stream
    from retention_app.models import CallRecord

    monkeypatch.setattr(export_stream, "ROWS", 4)
    monkeypatch.setattr(
        "django.core.management.call_command", lambda *args, **kwargs: None
    )
    subject = export_stream._ensure_rows()
    assert CallRecord.objects.filter(subject_id=subject).count() == 4


def test_dashboard_generator(client):
    from bench import admin_dashboard
    from consent_app.models import ConsentEvent
    from privacyportal.stats import figures_rollup
    from requests_app.models import PrivacyRequest
    from retention_app.models import DeletionRecord

    admin_dashboard.fill(40, vacuum=False)
    requests = PrivacyRequest.objects.filter(email__endswith=admin_dashboard.DOMAIN)
    assert requests.count() == 40
    assert requests.filter(status="completed", closed_at__isnull=False).exists()
    assert requests.filter(status__in=["received", "verified", "in_progress"]).exists()
    assert ConsentEvent.objects.count() == 40 * admin_dashboard.EVENTS_PER_REQUEST
    assert DeletionRecord.objects.count() == 40
    figures_rollup()
    client.force_login(admin_dashboard._prepare_user())
    assert client.get("/admin/").status_code == 200


def test_disclosure_log_generator():
    from bench import disclosure_log
    from disclosures_app.models import Disclosure

    target = disclosure_log.generate(total=40, subject_rows=4)
    assert Disclosure.objects.filter(subject_id=target).count() == 4
    assert Disclosure.objects.count() == 40
    # the subject's rows are spread over several of the bench's recipients
    # (rows 10, 20, 30 and 40: recipients 1 to 4)
    mine = Disclosure.objects.filter(subject_id=target)
    assert mine.values("recipient").distinct().count() == 4
