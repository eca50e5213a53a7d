from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from privacyportal.audit.models import AuditEvent
from retention_app.categories import CALL_RECORDS, RECORDINGS, recording_category
from retention_app.models import Recording, RecordingSettings, RetentionPolicy
from retention_app.services import (
    ConfirmationRequired,
    PolicyError,
    hold_place,
    policy_change,
    policy_get,
    recording_register,
    recording_settings_update,
    retention_sweep,
)
from retention_app.tests.factories import CallRecordFactory, RecordingFactory, ago

pytestmark = pytest.mark.django_db


def register(actor, org_id, days_ago):
    return recording_register(
        actor=actor,
        organization_id=org_id,
        meeting_title="m",
        started_at=ago(days_ago),
    )


def test_new_recording_gets_purge_date_from_default_policy(actor):
    org = RecordingFactory().organization
    recording = register(actor, org.pk, 10)
    policy = policy_get(recording_category)
    expected = recording.started_at + timedelta(days=policy.days)
    assert recording.purge_after == expected


def test_organization_setting_beats_the_default_policy(actor):
    org = RecordingFactory().organization
    with pytest.raises(ConfirmationRequired):
        recording_settings_update(
            actor=actor, organization_id=org.pk, recording_days=30
        )
    recording_settings_update(
        actor=actor, organization_id=org.pk, recording_days=30, confirmed=True
    )
    recording = register(actor, org.pk, 10)
    assert recording.purge_after == recording.started_at + timedelta(days=30)


def test_until_deleted_setting_means_no_purge_date(actor):
    org = RecordingFactory().organization
    recording_settings_update(
        actor=actor, organization_id=org.pk, recording_until_deleted=True
    )
    assert register(actor, org.pk, 5000).purge_after is None


def test_hold_beats_an_expired_customer_setting(actor, officer):
    org = RecordingFactory(fresh=True).organization
    hold_place(actor=officer, scope="organization", organization_id=org.pk, reason="r")
    recording = register(actor, org.pk, 100)
    assert recording.held
    Recording.objects.update(purge_after=ago(1))
    retention_sweep(actor=actor, only=[RECORDINGS])
    assert Recording.objects.filter(pk=recording.pk).exists()


def test_lengthening_policy_recomputes_purge_dates_at_once(actor, officer):
    org = RecordingFactory().organization
    recording = register(actor, org.pk, 400)
    policy = policy_get(recording_category)
    changed = policy_change(actor=officer, policy=policy, days=800)
    recording.refresh_from_db()
    assert changed.version == 2 and changed.recomputed_version == 2
    assert recording.purge_after == recording.started_at + timedelta(days=800)
    assert AuditEvent.objects.filter(action="retention.policy.changed").exists()


def test_shortening_needs_confirmation_showing_how_many_become_due(actor, officer):
    CallRecordFactory(started_at=ago(100), purge_after=ago(-630))
    CallRecordFactory(started_at=ago(10), purge_after=ago(-720))
    policy = policy_get(
        __import__("privacyportal.retention").retention.categories.get(CALL_RECORDS)
    )
    with pytest.raises(ConfirmationRequired) as asked:
        policy_change(actor=officer, policy=policy, days=30)
    assert asked.value.preview.due_after.count == 1
    assert RetentionPolicy.objects.get(pk=policy.pk).days == policy.days


def test_shortening_takes_effect_after_the_grace_period(actor, officer, settings):
    settings.RETENTION_GRACE_DAYS = 7
    call = CallRecordFactory(started_at=ago(100), purge_after=ago(-630))
    from privacyportal.retention import categories

    policy = policy_get(categories.get(CALL_RECORDS))
    policy_change(actor=officer, policy=policy, days=30, confirmed=True)
    call.refresh_from_db()
    grace_end = timezone.now() + timedelta(days=7)
    assert abs((call.purge_after - grace_end).total_seconds()) < 60
    retention_sweep(actor=actor, only=[CALL_RECORDS])
    call.refresh_from_db()  # still there: the grace period has not ended


@pytest.mark.parametrize("days", [-1, 0, 100_000, "ten", True])
def test_absurd_durations_are_refused(officer, days):
    from privacyportal.retention import categories

    policy = policy_get(categories.get(CALL_RECORDS))
    with pytest.raises(PolicyError):
        policy_change(actor=officer, policy=policy, days=days, confirmed=True)


def test_database_refuses_an_absurd_policy_duration():
    with pytest.raises(IntegrityError), transaction.atomic():
        RetentionPolicy.objects.create(category="x", days=0, action="delete")


def test_sweep_finishes_a_lagging_recompute_before_deleting(actor):
    from privacyportal.retention import categories

    policy = policy_get(categories.get(CALL_RECORDS))
    call = CallRecordFactory(started_at=ago(100), purge_after=ago(1))
    # A crash after the version bump left stored dates stale (too early).
    RetentionPolicy.objects.filter(pk=policy.pk).update(version=2)

    retention_sweep(actor=actor, only=[CALL_RECORDS])

    call.refresh_from_db()
    assert call.purge_after > timezone.now()
    assert RetentionPolicy.objects.get(pk=policy.pk).recomputed_version == 2


def test_during_a_grace_period_the_replaced_duration_still_rules():
    from retention_app import expiry
    from retention_app.models import CallRecord

    now = timezone.now()
    not_before = now + timedelta(days=7)
    rule = expiry.Rule(30, not_before, previous_days=90)
    cases = {
        100: now - timedelta(days=10),  # due under 90 days already: stays due
        85: now + timedelta(days=5),  # due under 90 days within the grace
        50: not_before,  # due only because of the shortening: after the grace
        10: now + timedelta(days=20),  # due under 30 days after the grace
    }
    for age, expected in cases.items():
        assert expiry.purge_after(now - timedelta(days=age), rule) == expected
    # The SQL form used by the batched recompute agrees with the function.
    calls = {
        age: CallRecordFactory(started_at=now - timedelta(days=age)) for age in cases
    }
    expiry.recompute(
        CallRecord.objects.all(), base_field="started_at", rule=rule, batch_size=2
    )
    for age, call in calls.items():
        call.refresh_from_db()
        assert call.purge_after == cases[age], age
    # Without a known previous duration the clamp alone applies (as before).
    clamp = expiry.Rule(30, not_before)
    assert expiry.purge_after(now - timedelta(days=100), clamp) == not_before


def test_a_change_during_a_grace_period_compares_with_the_duration_in_force(
    officer, settings
):
    from privacyportal.retention import categories

    settings.RETENTION_GRACE_DAYS = 7
    policy = policy_get(categories.get(CALL_RECORDS))
    policy_change(actor=officer, policy=policy, days=365, confirmed=True)
    policy.refresh_from_db()
    first_grace, in_force = policy.not_before, policy.previous_days
    assert in_force is not None and in_force > 365
    # Shorter again: the original duration stays in force, the grace restarts.
    policy_change(actor=officer, policy=policy, days=100, confirmed=True)
    policy.refresh_from_db()
    assert policy.previous_days == in_force and policy.not_before >= first_grace
    # Longer than the pending one but still shorter than what is in force:
    # no new grace, the same duration in force.
    grace = policy.not_before
    policy_change(actor=officer, policy=policy, days=200, confirmed=True)
    policy.refresh_from_db()
    assert policy.previous_days == in_force and policy.not_before == grace
    # At least as long as what is in force: applies at once.
    policy_change(actor=officer, policy=policy, days=in_force + 1, confirmed=True)
    policy.refresh_from_db()
    assert policy.previous_days is None and policy.not_before is None


def test_a_customers_shortening_keeps_what_was_due_and_spares_the_other_kind(
    actor, settings
):
    settings.RETENTION_GRACE_DAYS = 7
    org = RecordingFactory().organization
    default = policy_get(recording_category).days  # 365
    old, middle, young = (register(actor, org.pk, age) for age in (400, 100, 10))
    recording_settings_update(
        actor=actor, organization_id=org.pk, recording_days=30, confirmed=True
    )
    grace_end = RecordingSettings.objects.get(organization_id=org.pk).not_before
    for item in (old, middle, young):
        item.refresh_from_db()
    # Due under the default still in force: keeps its date (already past).
    assert old.purge_after == old.started_at + timedelta(days=default)
    # Due only because of the change: when the grace period ends.
    assert middle.purge_after == grace_end
    # Due after the grace period under the new setting: its own date.
    assert young.purge_after == young.started_at + timedelta(days=30)


def test_returning_to_a_shorter_default_also_waits_for_the_grace_period(
    actor, settings
):
    settings.RETENTION_GRACE_DAYS = 7
    org = RecordingFactory().organization
    recording_settings_update(actor=actor, organization_id=org.pk, recording_days=730)
    item = register(actor, org.pk, 500)
    assert item.purge_after == item.started_at + timedelta(days=730)
    with pytest.raises(ConfirmationRequired):  # back to the default: shorter
        recording_settings_update(actor=actor, organization_id=org.pk)
    recording_settings_update(actor=actor, organization_id=org.pk, confirmed=True)
    item.refresh_from_db()
    grace_end = RecordingSettings.objects.get(organization_id=org.pk).not_before
    assert grace_end is not None and item.purge_after == grace_end
