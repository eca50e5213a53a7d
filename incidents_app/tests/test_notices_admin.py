"""The admin page for telling the people affected."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from incidents_app.models import AffectedPerson, Incident, NoticeRun
from incidents_app.tests.factories import IncidentFactory
from incidents_app.tests.test_admin import client_for
from privacyportal import roles
from privacyportal.subjects.tests.factories import DataSubjectFactory

NOTICE = {
    "what_happened": "A backup was copied by an outsider.",
    "consequences": "",
    "measures": "We changed every access key.",
    "advice": "",
}


def _incident() -> Incident:
    incident = IncidentFactory()
    Incident.objects.filter(pk=incident.pk).update(notify_people=True)
    return incident


def _url(incident: Incident) -> str:
    return f"/admin/incidents_app/incident/{incident.pk}/notices/"


def test_officer_adds_everyone_previews_and_sends(db):
    DataSubjectFactory(email="lea@example.org", language="fr")
    incident = _incident()
    client = client_for(roles.PRIVACY_OFFICER)
    added = client.post(_url(incident), {"action": "choose", "how": "everyone"})
    assert added.status_code == 302
    page = client.get(_url(incident)).content.decode()
    assert "1 person on the list: 0 told, 1 waiting" in page

    preview = client.post(_url(incident), {"action": "preview", **NOTICE})
    text = preview.content.decode()
    assert "Preview for lea@example.org, in French" in text
    assert "Bonjour," in text and not NoticeRun.objects.exists()

    sent = client.post(_url(incident), {"action": "send", **NOTICE})
    assert sent.status_code == 302
    run = NoticeRun.objects.get()
    assert run.total == 1 and run.measures == NOTICE["measures"]
    change = client.get(f"/admin/incidents_app/incident/{incident.pk}/change/")
    assert "0 of 1 sent" in change.content.decode()


def test_a_list_with_bad_lines_is_shown_line_by_line_and_adds_no_one(db):
    incident = _incident()
    upload = SimpleUploadedFile(
        "people.csv", b"email\ngood@example.org\nnot an address\n", "text/csv"
    )
    page = client_for(roles.PRIVACY_OFFICER).post(
        _url(incident), {"action": "upload", "file": upload}
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "Line 3:" in text and "no one from the list was added" in text
    assert not AffectedPerson.objects.exists()


def test_send_without_the_decision_is_refused_on_the_page(db):
    incident = IncidentFactory()
    DataSubjectFactory()
    client = client_for(roles.PRIVACY_OFFICER)
    client.post(_url(incident), {"action": "choose", "how": "everyone"})
    page = client.post(_url(incident), {"action": "send", **NOTICE}, follow=True)
    assert "record the decision to tell the people affected" in page.content.decode()
    assert not NoticeRun.objects.exists()


def test_viewers_see_the_page_but_cannot_add_or_send(db):
    incident = _incident()
    DataSubjectFactory()
    for role in (roles.PRIVACY_ANALYST, roles.AUDITOR):
        client = client_for(role)
        page = client.get(_url(incident))
        assert page.status_code == 200
        assert "Add these people" not in page.content.decode()
        refused = client.post(_url(incident), {"action": "choose", "how": "everyone"})
        assert refused.status_code == 403
    assert not AffectedPerson.objects.exists()
