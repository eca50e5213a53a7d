from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from privacyportal import roles

pytestmark = pytest.mark.django_db


def perms(role: str) -> set[str]:
    group = Group.objects.get(name=role)
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


def test_every_role_exists_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ROLES)


def test_auditor_only_views():
    granted = perms(roles.AUDITOR)
    assert "audit.view_auditevent" in granted
    assert all(p.split(".")[1].startswith("view_") for p in granted)


def test_nobody_may_change_or_delete_the_audit_trail():
    for role in roles.ROLES:
        assert not {
            "audit.change_auditevent",
            "audit.delete_auditevent",
            "audit.add_auditevent",
        } & perms(role)


def test_officer_has_more_than_analyst_who_has_more_than_support():
    officer, analyst = perms(roles.PRIVACY_OFFICER), perms(roles.PRIVACY_ANALYST)
    assert analyst < officer
    assert "subjects.change_datasubject" in analyst
    assert "django_celery_beat.change_periodictask" in officer - analyst


def test_sync_is_idempotent():
    first = roles.sync_roles()
    assert roles.sync_roles() == first


def test_policies_and_uploads_are_privacy_officer_work_analysts_view():
    officer, analyst = perms(roles.PRIVACY_OFFICER), perms(roles.PRIVACY_ANALYST)
    officer_only = {
        "retention_app.add_recordingsettings",
        "retention_app.change_recordingsettings",
        "retention_app.add_recording",
        "retention_app.change_retentionpolicy",
    }
    assert officer_only <= officer and not officer_only & analyst
    assert {
        "retention_app.view_recordingsettings",
        "retention_app.view_recording",
        "retention_app.view_retentionpolicy",
    } <= analyst
