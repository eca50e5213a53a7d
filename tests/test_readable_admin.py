"""Operational pages in words: no raw JSON, category keys, template or task names."""

from __future__ import annotations

import pytest

from privacyportal.models import OutboundEmail, PendingTask
from privacyportal.subjects.models import Organization
from retention_app.models import DeletionRecord, SweepRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def sweep():
    return SweepRun.objects.create(
        status=SweepRun.Status.FINISHED,
        counts={"retention.recordings": 1200, "retention.transcripts": 0},
        bytes_freed=5 * 1024**3,
        duration_seconds=42.5,
        anomalies=["media file already missing: org-1/abc.bin"],
        triggered_by="beat",
    )


def test_sweep_run_counts_read_as_a_table_of_kinds(admin_client, sweep):
    listing = admin_client.get("/admin/retention_app/sweeprun/").content.decode()
    assert "Conference recordings: 1,200" in listing
    assert "5.0\xa0GB" in listing and "42.5 s" in listing
    page = admin_client.get(
        f"/admin/retention_app/sweeprun/{sweep.pk}/change/"
    ).content.decode()
    assert "<td>Conference recordings</td><td>1,200</td>" in page
    assert "<li>media file already missing: org-1/abc.bin</li>" in page
    assert "retention.recordings" not in page and "{&quot;" not in page


def test_deletion_records_name_the_organization_kind_and_run(admin_client, sweep):
    org = Organization.objects.create(name="Acme Conferencing", slug="acme")
    record = DeletionRecord.objects.create(
        category="retention.recordings",
        item_id="77",
        organization_id=org.pk,
        action="delete",
        reason=DeletionRecord.Reason.RETENTION,
        policy_key="retention.recordings",
        policy_version=3,
        bytes=2048,
        sweep_run=sweep,
    )
    listing = admin_client.get("/admin/retention_app/deletionrecord/").content.decode()
    assert "Acme Conferencing" in listing
    assert "Retention policy v3" in listing
    assert (
        "retention.recordings" not in listing.split("<tbody>")[1].split("</tbody>")[0]
    )
    page = admin_client.get(
        f"/admin/retention_app/deletionrecord/{record.pk}/change/"
    ).content.decode()
    assert f"Sweep run {sweep.pk}</a>" in page
    filtered = admin_client.get(
        "/admin/retention_app/deletionrecord/", {"category": "retention.transcripts"}
    )
    assert list(filtered.context["cl"].result_list) == []


def test_outbox_and_kept_tasks_say_what_they_are(admin_client):
    OutboundEmail.objects.create(
        key="k1", to="a@example.org", template="request_verify"
    )
    PendingTask.objects.create(
        name="requests_app.tasks.status_link_resend_task", args=["a@example.org"]
    )
    outbox = admin_client.get("/admin/portal/outboundemail/").content.decode()
    assert "Verification link" in outbox
    assert "request_verify" not in outbox.split("<tbody>")[1].split("</tbody>")[0]
    kept = admin_client.get("/admin/portal/pendingtask/").content.decode()
    assert "A lost status link asked for on the public page" in kept
    assert "status_link_resend_task" not in kept


def test_no_changelist_shows_a_category_or_source_code(admin_client):
    """Every list in the admin, as the portal starts: codes such as
    ``incidents.unsent_notices`` are for the ledger, not for staff to read."""
    from django.contrib import admin as django_admin
    from django.urls import reverse

    from privacyportal import retention
    from privacyportal.registry import registry

    codes = set(retention.categories.keys()) | set(registry.keys())
    shown = {}
    for model in django_admin.site._registry:
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        page = admin_client.get(url).content.decode()
        body = (
            page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
            if "<tbody>" in page
            else ""
        )
        found = sorted(code for code in codes if f">{code}<" in body)
        if found:
            shown[url] = found
    assert shown == {}
