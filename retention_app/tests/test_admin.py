from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from privacyportal.audit.models import AuditEvent
from privacyportal.retention import categories
from privacyportal.subjects.tests.factories import OrganizationFactory
from retention_app.categories import CALL_RECORDS
from retention_app.models import (
    DeletionRecord,
    LegalHold,
    Recording,
    RecordingSettings,
    RetentionPolicy,
)
from retention_app.services import grant_create, policy_get, recording_register
from retention_app.tests.factories import CallRecordFactory, RecordingFactory, ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, officer):
    client.force_login(officer)
    return client


@pytest.mark.parametrize(
    "model",
    [
        "retentionpolicy",
        "legalhold",
        "recording",
        "recordingsettings",
        "accessgrant",
        "deletionrecord",
        "sweeprun",
        "applicantstatistic",
    ],
)
def test_changelists_load(staff, model):
    RecordingFactory()
    response = staff.get(reverse(f"admin:retention_app_{model}_changelist"))
    assert response.status_code == 200


def test_recording_list_gives_sizes_in_words(staff):
    RecordingFactory(size_bytes=3 * 1024 * 1024)
    page = staff.get(reverse("admin:retention_app_recording_changelist"))
    text = page.content.decode()
    assert "3.0\xa0MB" in text and "3145728" not in text


def test_policy_list_previews_the_next_sweep(staff):
    RecordingFactory.create_batch(2, size_bytes=10)
    response = staff.get(reverse("admin:retention_app_retentionpolicy_changelist"))
    text = response.content.decode()
    assert "deletes 2 items (20\xa0bytes)" in text
    # Staff read what each policy keeps, not its code.
    assert ">Conference recordings</a>" in text
    assert ">retention.recordings<" not in text


def test_shortening_in_admin_asks_for_confirmation_first(staff):
    CallRecordFactory(started_at=ago(100), purge_after=ago(-600))
    policy = policy_get(categories.get(CALL_RECORDS))
    url = reverse("admin:retention_app_retentionpolicy_duration", args=[policy.pk])
    response = staff.post(url, {"days": 30})
    assert b"shortens retention" in response.content
    assert RetentionPolicy.objects.get(pk=policy.pk).days == 730
    response = staff.post(url, {"days": 30, "confirm": "on"})
    assert response.status_code == 302
    assert RetentionPolicy.objects.get(pk=policy.pk).days == 30


def test_delete_now_shows_confirmation_then_deletes(staff):
    recording = RecordingFactory(fresh=True)
    url = reverse("admin:retention_app_recording_changelist")
    data = {"action": "delete_now", "_selected_action": [recording.pk]}
    response = staff.post(url, data)
    assert b"Yes, delete now" in response.content
    assert Recording.objects.exists()
    staff.post(url, {**data, "confirmed": "yes"})
    assert not Recording.objects.exists()
    assert DeletionRecord.objects.get().reason == "customer"


def test_delete_now_names_each_recording_a_hold_keeps(staff, actor):
    from retention_app.services import hold_place

    free, kept = RecordingFactory(fresh=True), RecordingFactory(fresh=True)
    hold_place(
        actor=actor,
        scope="organization",
        reason="Litigation 12",
        organization_id=kept.organization_id,
    )
    url = reverse("admin:retention_app_recording_changelist")
    data = {"action": "delete_now", "_selected_action": [free.pk, kept.pk]}
    page = staff.post(url, {**data, "confirmed": "yes"}, follow=True)
    text = page.content.decode()
    assert "1 item deleted on the customer&#x27;s instruction" in text
    said = f"{kept.meeting_title}” (recording #{kept.pk}) was not deleted: it is "
    assert said + "under legal hold #" in text
    assert list(Recording.objects.values_list("pk", flat=True)) == [kept.pk]


def test_recording_page_shows_metadata_only_without_grant(staff, actor):
    org = RecordingFactory().organization
    recording = recording_register(
        actor=actor,
        organization_id=org.pk,
        meeting_title="m",
        started_at=ago(1),
        media=b"v",
    )
    page = reverse("admin:retention_app_recording_change", args=[recording.pk])
    content = reverse("admin:retention_app_recording_content", args=[recording.pk])
    assert b"metadata only" in staff.get(page).content
    assert staff.get(content).status_code == 403
    grant_create(
        actor=actor,
        organization_id=org.pk,
        requested_by="a",
        approved_by="b",
        purpose="c",
    )
    assert b"Open (audited)" in staff.get(page).content
    response = staff.get(content)
    assert response.status_code == 200 and response["Content-Length"] == "1"
    assert b"".join(response.streaming_content) == b"v"
    assert AuditEvent.objects.filter(action="retention.content.opened").count() == 1


def test_hold_is_placed_from_the_admin_form(staff):
    recording = RecordingFactory()
    response = staff.post(
        reverse("admin:retention_app_legalhold_add"),
        {
            "scope": "organization",
            "organization": recording.organization_id,
            "reason": "Pending lawsuit",
            "matter_reference": "M-1",
        },
    )
    assert response.status_code == 302
    assert LegalHold.objects.get().reason == "Pending lawsuit"
    recording.refresh_from_db()
    assert recording.held


def test_certificate_html_and_csv(staff, actor):
    from retention_app.services import retention_sweep

    recording = RecordingFactory()
    retention_sweep(actor=actor)
    today = timezone.localdate().isoformat()
    url = reverse("admin:retention_app_deletionrecord_certificate")
    params = {"organization": recording.organization_id, "start": today, "end": today}
    html = staff.get(url, params)
    assert b"Total items disposed of: <strong>1</strong>" in html.content
    csv_response = staff.get(url, {**params, "format": "csv"})
    body = b"".join(csv_response.streaming_content).decode()
    assert f",{recording.pk}" in body


# --- Analysts view policies and recordings; Privacy Officers set and upload ---------


@pytest.fixture
def analyst(client):
    from requests_app.tests.factories import staff_user

    client.force_login(staff_user("analyst", "Privacy Analyst"))
    return client


def test_an_analyst_cannot_add_recording_settings(analyst):
    url = reverse("admin:retention_app_recordingsettings_add")
    assert analyst.get(url).status_code == 403
    org = OrganizationFactory()
    assert analyst.post(url, {"organization": org.pk}).status_code == 403
    assert not RecordingSettings.objects.exists()


def test_an_analyst_sees_settings_and_policies_without_a_save_button(analyst):
    own = RecordingSettings.objects.create(organization=OrganizationFactory())
    policy = policy_get(categories.get(CALL_RECORDS))
    for url in (
        reverse("admin:retention_app_recordingsettings_change", args=[own.pk]),
        reverse("admin:retention_app_retentionpolicy_change", args=[policy.pk]),
    ):
        page = analyst.get(url)
        assert page.status_code == 200
        assert b'name="_save"' not in page.content
    assert (
        b"Add recording settings"
        not in analyst.get(
            reverse("admin:retention_app_recordingsettings_changelist")
        ).content
    )


def test_an_analyst_cannot_upload_a_recording(analyst):
    listing = analyst.get(reverse("admin:retention_app_recording_changelist"))
    assert listing.status_code == 200
    upload = reverse("admin:retention_app_recording_upload")
    assert upload.encode() not in listing.content
    assert analyst.get(upload).status_code == 403
    assert analyst.post(upload, {}).status_code == 403


def test_an_analyst_cannot_turn_a_customer_s_recording_off(analyst):
    own = RecordingSettings.objects.create(organization=OrganizationFactory())
    analyst.post(
        reverse("admin:retention_app_recordingsettings_changelist"),
        {
            "action": "disable_recording",
            "_selected_action": [own.pk],
            "confirmed": "yes",
        },
    )
    own.refresh_from_db()
    assert own.recording_enabled is True
    assert not AuditEvent.objects.filter(
        action__startswith="retention.recording"
    ).exists()
