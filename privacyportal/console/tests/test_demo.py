from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from consent_app.models import ConsentEvent
from privacyportal.models import DailyCount
from requests_app.models import PrivacyRequest
from retention_app.models import DeletionRecord, SweepRun

pytestmark = pytest.mark.django_db


def demo_requests():
    return PrivacyRequest.objects.filter(email__startswith="demo-request-")


def test_seed_demo_covers_every_type_status_and_due_window_once():
    call_command("seed_demo")
    requests = demo_requests()
    assert requests.count() == 60
    assert set(requests.values_list("type", flat=True)) == set(PrivacyRequest.Type)
    assert set(requests.values_list("status", flat=True)) == set(PrivacyRequest.Status)
    assert len(set(requests.values_list("jurisdiction", flat=True))) >= 8
    now = timezone.now()
    assert PrivacyRequest.objects.overdue(now).exists()
    assert PrivacyRequest.objects.due_within(now, 7).exists()
    assert requests.filter(paused_at__isnull=False).exists()
    assert requests.filter(extended_at__isnull=False).exists()
    closed = requests.filter(status="completed", closed_at__isnull=False)
    late = [r for r in closed if r.closed_at > r.due_at]
    assert late and len(late) < closed.count()
    months = {e.occurred_at.month for e in ConsentEvent.objects.all()}
    assert len(months) >= 10
    assert SweepRun.objects.count() >= 30 and DeletionRecord.objects.exists()
    # The charts have their counts at once, not after the first night.
    assert DailyCount.objects.filter(series="requests.received").exclude(key="")

    counts = (
        requests.count(),
        ConsentEvent.objects.count(),
        SweepRun.objects.count(),
        DeletionRecord.objects.count(),
    )
    call_command("seed_demo")
    assert counts == (
        demo_requests().count(),
        ConsentEvent.objects.count(),
        SweepRun.objects.count(),
        DeletionRecord.objects.count(),
    )
