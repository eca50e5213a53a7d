from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from privacyportal.audit.models import AuditEvent
from privacyportal.roles import AUDITOR, PRIVACY_ANALYST, SUPPORT
from privacyportal.subjects.models import DataSubject
from privacyportal.subjects.tests.factories import DataSubjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(django_user_model):
    def make(role: str):
        user = django_user_model.objects.create_user(
            f"{role.lower().replace(' ', '-')}", password="pw-123456789", is_staff=True
        )
        user.groups.add(Group.objects.get(name=role))
        return user

    return make


def test_search_by_exact_email_finds_only_that_subject(admin_client):
    target = DataSubjectFactory(email="exact@example.org")
    DataSubjectFactory(email="exact@example.org.evil")
    response = admin_client.get(
        "/admin/subjects/datasubject/", {"q": "EXACT@example.org"}
    )
    assert list(response.context["cl"].result_list) == [target]


def test_viewing_a_subject_is_itself_audited(admin_client, admin_user):
    subject = DataSubjectFactory()
    response = admin_client.get(f"/admin/subjects/datasubject/{subject.pk}/change/")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="subjects.subject.viewed")
    assert (event.subject_id, event.actor_id) == (subject.pk, str(admin_user.pk))


def test_admin_edit_goes_through_the_service(admin_client):
    subject = DataSubjectFactory(name="Before", email="e@example.org")
    data = {
        "name": "After",
        "email": "e@example.org",
        "phone": "",
        "postal_address": "",
        "title": "",
        "company": "",
        "account_username": "",
        "ip_addresses": "",
        "domain": "",
        "demographics": "",
        "devices-TOTAL_FORMS": "0",
        "devices-INITIAL_FORMS": "0",
    }
    response = admin_client.post(
        f"/admin/subjects/datasubject/{subject.pk}/change/", data
    )
    assert response.status_code == 302, response.content[:2000]
    assert DataSubject.objects.get(pk=subject.pk).name == "After"
    assert AuditEvent.objects.filter(
        action="subjects.subject.updated", subject_id=subject.pk
    ).exists()


def test_auditor_views_everything_and_changes_nothing(client, staff):
    subject = DataSubjectFactory(name="Untouched")
    client.force_login(staff(AUDITOR))
    assert client.get("/admin/audit/auditevent/").status_code == 200
    assert (
        client.get(f"/admin/subjects/datasubject/{subject.pk}/change/").status_code
        == 200
    )
    response = client.post(
        f"/admin/subjects/datasubject/{subject.pk}/change/", {"name": "Changed"}
    )
    assert response.status_code == 403
    assert client.get("/admin/subjects/datasubject/add/").status_code == 403
    assert DataSubject.objects.get(pk=subject.pk).name == "Untouched"


def test_analyst_may_edit_subjects_but_not_schedules(client, staff):
    client.force_login(staff(PRIVACY_ANALYST))
    assert client.get("/admin/subjects/datasubject/add/").status_code == 200
    assert client.get("/admin/django_celery_beat/periodictask/add/").status_code == 403


def test_support_cannot_read_the_audit_trail(client, staff):
    client.force_login(staff(SUPPORT))
    assert client.get("/admin/audit/auditevent/").status_code == 403


def test_nobody_can_change_or_delete_audit_events(admin_client):
    event = AuditEvent.objects.order_by("seq").first() or __import__(
        "privacyportal.audit", fromlist=["record"]
    ).record("t.x", actor=None)
    assert admin_client.get("/admin/audit/auditevent/add/").status_code == 403
    assert (
        admin_client.post(
            f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_admin_is_branded(admin_client):
    assert b"Privacy Portal" in admin_client.get("/admin/").content


def test_subject_page_links_to_consent_evidence(admin_client):
    subject = DataSubjectFactory()
    page = admin_client.get(f"/admin/subjects/datasubject/{subject.pk}/change/")
    assert f"/admin/consent_app/consentevent/evidence/{subject.pk}.csv" in (
        page.content.decode()
    )


def test_devices_are_found_by_the_owners_exact_email(admin_client):
    from privacyportal.subjects.tests.factories import DeviceFactory

    mine = DeviceFactory(subject__email="owner@example.org", serial_number="SN-1")
    DeviceFactory(subject__email="owner@example.org.evil", serial_number="SN-2")
    response = admin_client.get("/admin/subjects/device/", {"q": "OWNER@example.org"})
    assert list(response.context["cl"].result_list) == [mine]
    response = admin_client.get("/admin/subjects/device/", {"q": "SN-2"})
    assert [d.serial_number for d in response.context["cl"].result_list] == ["SN-2"]
    assert admin_client.get("/admin/subjects/device/add/").status_code == 403
