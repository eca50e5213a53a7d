from __future__ import annotations

import pytest
from django.core.management import call_command

from privacyportal.audit.models import AuditEvent
from privacyportal.subjects.models import DataSubject, Device, Organization

pytestmark = pytest.mark.django_db


def test_seed_demo_loads_audited_data_once(capsys):
    call_command("seed_demo")
    subjects, devices = DataSubject.objects.count(), Device.objects.count()
    assert subjects >= 40 and devices >= 40 and Organization.objects.count() >= 5
    assert (
        AuditEvent.objects.filter(action="subjects.subject.created").count() == subjects
    )
    call_command("seed_demo")
    assert DataSubject.objects.count() == subjects
    assert Device.objects.count() == devices
