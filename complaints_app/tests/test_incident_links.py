"""Complaints linked to incidents: the service, and both admin pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from complaints_app import services
from complaints_app.models import IncidentLink
from complaints_app.tests.factories import complaint
from incidents_app.tests.factories import IncidentFactory
from privacyportal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def actions(obj) -> list[str]:
    return list(
        AuditEvent.objects.filter(
            target_type=obj._meta.label_lower,
            target_id=str(obj.pk),
            action__contains="link",
        )
        .order_by("seq")
        .values_list("action", flat=True)
    )


def step_url(filed, step: str) -> str:
    return reverse("admin:complaints_app_complaint_step", args=[filed.pk, step])


def page(client, name: str, obj) -> str:
    response = client.get(reverse(f"admin:{name}_change", args=[obj.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_linking_twice_links_once_and_audits_both_sides_once(officer):
    filed, incident = complaint(), IncidentFactory()
    first = services.complaint_link_incident(
        actor=officer, complaint=filed, incident=incident
    )
    again = services.complaint_link_incident(
        actor=officer, complaint=filed, incident=incident
    )
    assert (first, again) == (True, False)
    link = IncidentLink.objects.get()
    assert link.linked_by == officer
    assert actions(filed) == ["complaints.complaint.incident_linked"]
    assert actions(incident) == ["incidents.incident.complaint_linked"]
    assert list(incident.complaints.all()) == [filed]


def test_unlinking_audits_both_sides_and_a_second_unlink_changes_nothing(officer):
    filed, incident = complaint(), IncidentFactory()
    services.complaint_link_incident(actor=officer, complaint=filed, incident=incident)
    assert services.complaint_unlink_incident(
        actor=officer, complaint=filed, incident=incident
    )
    assert not services.complaint_unlink_incident(
        actor=officer, complaint=filed, incident=incident
    )
    assert not IncidentLink.objects.exists()
    assert actions(filed)[-1] == "complaints.complaint.incident_unlinked"
    assert actions(incident) == [
        "incidents.incident.complaint_linked",
        "incidents.incident.complaint_unlinked",
    ]


def test_link_rolls_back_when_the_audit_fails(officer, monkeypatch):
    filed, incident = complaint(), IncidentFactory()

    def broken(*args, **kwargs):
        raise RuntimeError("audit chain unavailable")

    monkeypatch.setattr(services.audit, "record", broken)
    with pytest.raises(RuntimeError):
        services.complaint_link_incident(
            actor=officer, complaint=filed, incident=incident
        )
    assert not IncidentLink.objects.exists()


def test_officer_links_from_the_complaint_page_and_both_pages_name_each_other(
    client, officer
):
    filed, incident = complaint(), IncidentFactory()
    client.force_login(officer)
    assert "Unlink an incident" not in page(client, "complaints_app_complaint", filed)
    form = client.get(step_url(filed, "link")).content.decode()
    assert incident.reference in form
    response = client.post(step_url(filed, "link"), {"incident": incident.pk})
    assert response.status_code == 302
    assert filed.incidents.get() == incident

    complaint_page = page(client, "complaints_app_complaint", filed)
    incident_url = reverse("admin:incidents_app_incident_change", args=[incident.pk])
    assert f'<a href="{incident_url}">{incident.reference}</a>' in complaint_page
    assert "Unlink an incident" in complaint_page
    incident_page = page(client, "incidents_app_incident", incident)
    complaint_url = reverse("admin:complaints_app_complaint_change", args=[filed.pk])
    assert f'<a href="{complaint_url}">{filed.reference}</a>' in incident_page


def test_an_incident_already_linked_is_not_offered_again(client, officer):
    filed, linked, other = complaint(), IncidentFactory(), IncidentFactory()
    services.complaint_link_incident(actor=officer, complaint=filed, incident=linked)
    client.force_login(officer)
    form = client.get(step_url(filed, "link")).content.decode()
    assert other.reference in form and linked.reference not in form
    response = client.post(step_url(filed, "link"), {"incident": linked.pk})
    assert response.status_code == 200  # the form again, with its error
    assert actions(filed) == ["complaints.complaint.incident_linked"]


def test_officer_unlinks_only_an_incident_that_is_linked(client, officer):
    filed, linked, other = complaint(), IncidentFactory(), IncidentFactory()
    services.complaint_link_incident(actor=officer, complaint=filed, incident=linked)
    client.force_login(officer)
    refused = client.post(step_url(filed, "unlink"), {"incident": other.pk})
    assert refused.status_code == 200
    assert "Select a valid choice" in refused.content.decode()
    done = client.post(step_url(filed, "unlink"), {"incident": linked.pk}, follow=True)
    assert f"{filed.reference} unlinked from {linked.reference}." in (
        done.content.decode()
    )
    assert not filed.incidents.exists()


def test_auditor_sees_the_links_but_cannot_link(client, officer, auditor):
    filed, incident = complaint(), IncidentFactory()
    client.force_login(auditor)
    assert "Link an incident" not in page(client, "complaints_app_complaint", filed)
    client.post(step_url(filed, "link"), {"incident": incident.pk})
    assert not IncidentLink.objects.exists()


def test_incident_page_without_complaints_says_none(client, officer):
    incident = IncidentFactory()
    client.force_login(officer)
    assert "No complaint is linked yet. Link one from the complaint" in page(
        client, "incidents_app_incident", incident
    )
