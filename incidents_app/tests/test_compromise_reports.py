"""Compromised-account reports on the staff side: intake, incident, purge."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.core import mail as django_mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from incidents_app import services
from incidents_app.models import CompromiseReport, Incident
from privacyportal import mail, roles
from privacyportal.audit.models import AuditEvent
from requests_app.services.common import LinkInvalid
from requests_app.tests.factories import staff_user

CR = CompromiseReport.Status
ADMIN = "/admin/incidents_app/compromisereport/"


def _token() -> str:
    mail.send_pending()
    body = django_mail.outbox[-1].body
    return re.search(r"/confirm/([^/\s]+)/", body).group(1)


def filed(**extra) -> tuple[CompromiseReport, str]:
    values = {
        "what_happened": "My account sent messages I did not write.",
        "email": "reporter@example.org",
        "language": "en-gb",
        **extra,
    }
    report = services.compromise_report_submit(**values)
    return report, _token()


def confirmed(**extra) -> CompromiseReport:
    _, token = filed(**extra)
    return services.compromise_report_verify(token=token)


def client_for(role: str) -> Client:
    client = Client()
    client.force_login(staff_user(role.lower().replace(" ", "-"), role))
    return client


def test_references_are_sequential_per_year(db):
    first, second = confirmed(), confirmed(email="other@example.org")
    year = timezone.localdate().year
    assert (first.reference, second.reference) == (
        f"CR-{year}-0001",
        f"CR-{year}-0002",
    )


def test_a_link_cannot_confirm_twice(db):
    _, token = filed()
    services.compromise_report_verify(token=token)
    with pytest.raises(LinkInvalid):
        services.compromise_report_verify(token=token)
    assert services.compromise_link_confirmed(token)


def test_no_new_link_is_minted_for_a_confirmed_report(db):
    report = confirmed()
    with pytest.raises(mail.LinkGone):
        services.compromise_link_mint(report.pk)


def test_opening_an_incident_links_it_audited_and_aware_since_confirmation(db):
    officer = staff_user("officer", roles.PRIVACY_OFFICER)
    report = confirmed(happened_on=date(2026, 1, 5), account_name="jo.bloggs")
    incident = services.compromise_incident_open(actor=officer, report=report)
    report.refresh_from_db()
    assert report.status == CR.INCIDENT_OPENED and report.incident == incident
    assert report.incident_opened_by == officer
    assert incident.became_aware_at == report.verified_at
    assert report.what_happened in incident.description
    assert "jo.bloggs" in incident.description and report.reference in incident.title
    assert timezone.localtime(incident.occurred_from).date() == date(2026, 1, 5)
    event = AuditEvent.objects.get(action="incidents.compromise.incident_opened")
    assert event.actor_id == str(officer.pk)
    assert event.data == {"reference": report.reference, "incident": incident.reference}


def test_an_incident_is_opened_from_a_report_only_once(db):
    report = confirmed()
    services.compromise_incident_open(actor=None, report=report)
    with pytest.raises(services.IncidentRefused, match="incident opened"):
        services.compromise_incident_open(actor=None, report=report)
    assert Incident.objects.count() == 1


def test_no_incident_from_an_unconfirmed_report(db):
    report, _ = filed()
    with pytest.raises(services.IncidentRefused, match="waiting for the reporter"):
        services.compromise_incident_open(actor=None, report=report)
    assert not Incident.objects.exists()


def test_purge_deletes_only_old_unconfirmed_reports(db):
    old, _ = filed()
    CompromiseReport.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=8)
    )
    recent, _ = filed(email="recent@example.org")
    kept = confirmed(email="kept@example.org")
    CompromiseReport.objects.filter(pk=kept.pk).update(
        created_at=timezone.now() - timedelta(days=30)
    )
    assert services.compromise_reports_purge(dry_run=True) == 1
    assert CompromiseReport.objects.count() == 3
    assert services.compromise_reports_purge() == 1
    assert set(CompromiseReport.objects.values_list("pk", flat=True)) == {
        recent.pk,
        kept.pk,
    }
    assert services.compromise_reports_purge() == 0
    assert AuditEvent.objects.filter(action="incidents.compromise.purged").count() == 1


def test_purge_command_dry_run_deletes_nothing(db, capsys):
    old, _ = filed()
    CompromiseReport.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=8)
    )
    call_command("compromise_reports_purge", "--dry-run")
    assert "would delete 1" in capsys.readouterr().out
    assert CompromiseReport.objects.exists()


def test_purge_job_is_scheduled():
    from privacyportal.schedule import JOBS

    assert "incidents_app.tasks.compromise_reports_purge_task" in {
        job.task for job in JOBS
    }


# --- the admin -------------------------------------------------------------------


def test_admin_lists_confirmed_reports_only(db):
    confirmed()
    filed(email="unconfirmed@example.org")
    page = client_for(roles.PRIVACY_OFFICER).get(ADMIN)
    assert page.status_code == 200
    assert b"reporter@example.org" not in page.content  # not a column
    assert page.content.count(b"CR-") >= 1
    assert b"Unconfirmed report" not in page.content


def test_officer_opens_an_incident_through_the_confirmation_page(db):
    report = confirmed()
    client = client_for(roles.PRIVACY_OFFICER)
    change = client.get(f"{ADMIN}{report.pk}/change/").content.decode()
    assert "Open an incident from this report" in change
    url = f"{ADMIN}{report.pk}/open-incident/"
    assert "72 hours" in client.get(url).content.decode()
    assert not Incident.objects.exists()  # the page alone changes nothing
    response = client.post(url)
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"/incident/{incident.pk}/change/")
    again = client.post(url, follow=True)
    assert "no incident can be opened" in again.content.decode()
    assert Incident.objects.count() == 1
    change = client.get(f"{ADMIN}{report.pk}/change/").content.decode()
    assert "Open an incident from this report" not in change
    assert f"Go to incident {incident.reference}" in change


def test_analyst_may_read_a_report_but_not_open_an_incident(db):
    report = confirmed()
    client = client_for(roles.PRIVACY_ANALYST)
    change = client.get(f"{ADMIN}{report.pk}/change/")
    assert change.status_code == 200
    assert b"Open an incident from this report" not in change.content
    assert client.post(f"{ADMIN}{report.pk}/open-incident/").status_code == 403
    assert not Incident.objects.exists()
