"""A real Celery worker on Redis runs the erasure workflow and builds an export."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from privacyportal.registry import registry
from privacyportal.subjects.tests.factories import DataSubjectFactory, DeviceFactory
from requests_app.fulfilment import erasure, exports
from requests_app.models import ExportPackage, PrivacyRequest, SourceOutcome
from requests_app.tests.factories import staff_user
from requests_app.tests.fulfilment_helpers import verified_for


@pytest.mark.services
def test_real_worker_runs_every_erasure_step_and_finishes(
    celery_worker, wait_until, settings
):
    settings.ERASURE_DELAY_HOURS = 0
    officer = staff_user("officer", "Privacy Officer")
    subject = DataSubjectFactory(email="worker.erase@example.org")
    DeviceFactory(subject=subject)
    request = verified_for(subject, PrivacyRequest.Type.ERASURE)
    erasure.erasure_approve(actor=officer, request=request)

    done = wait_until(
        lambda: PrivacyRequest.objects.filter(
            pk=request.pk, status=PrivacyRequest.Status.COMPLETED
        ).first(),
        timeout=90,
    )
    steps = SourceOutcome.objects.filter(request=done)
    assert {s.source_key for s in steps} == {*registry.keys(), erasure.AUDIT_KEY}
    assert all(s.status == SourceOutcome.Status.DONE for s in steps)


@pytest.mark.services
def test_real_worker_builds_the_export_and_sends_the_link(celery_worker, wait_until):
    officer = staff_user("officer", "Privacy Officer")
    subject = DataSubjectFactory(email="worker.export@example.org")
    request = verified_for(subject, PrivacyRequest.Type.ACCESS)
    package = exports.export_approve(actor=officer, request=request)
    ready = wait_until(
        lambda: ExportPackage.objects.filter(
            pk=package.pk,
            status=ExportPackage.Status.READY,
            request__status=PrivacyRequest.Status.COMPLETED,
        ).first(),
        timeout=90,
    )
    try:
        assert ready.size > 0 and ready.file.startswith("exports/")
        assert ready.summary["sources"]
    finally:
        if ready.file and default_storage.exists(ready.file):
            default_storage.delete(ready.file)
