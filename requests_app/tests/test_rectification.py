"""Rectification: requester names fields, staff decide per field with a diff."""

from __future__ import annotations

import pytest
from django.core import mail

from privacyportal import mail as outbox
from privacyportal.audit.models import AuditEvent
from privacyportal.subjects.models import DataSubject
from privacyportal.subjects.tests.factories import DataSubjectFactory
from requests_app.fulfilment import rectification
from requests_app.models import PrivacyRequest, RectificationItem
from requests_app.services import RequestError
from requests_app.tests.factories import token_from
from requests_app.tests.fulfilment_helpers import verified_for

pytestmark = pytest.mark.django_db
S = PrivacyRequest.Status
RECT = PrivacyRequest.Type.RECTIFICATION


@pytest.fixture
def subject():
    return DataSubjectFactory(
        email="fix.me@example.org", phone="+44 20 0000", company="Old Ltd"
    )


def with_corrections(subject, *pairs) -> PrivacyRequest:
    return verified_for(subject, RECT, corrections=tuple(pairs))


def form_data(**extra) -> dict:
    return {
        "type": "rectification",
        "name": "Fix Me",
        "email": "fix.me@example.org",
        "country": "DE",
        "relationship": "customer",
        **extra,
    }


def test_requester_names_a_correction_on_the_form(subject, post_form):
    response = post_form(
        "/privacy/request/",
        form_data(
            correction_field="subjects.profile.phone", correction_value="+44 20 1111"
        ),
    )
    assert response.status_code == 302
    (item,) = RectificationItem.objects.all()
    assert item.field == "subjects.profile.phone" and item.label == "Phone number"
    assert item.new_value == "+44 20 1111"


def test_a_field_no_source_has_is_rejected_with_a_message(subject, client):
    response = client.post(
        "/privacy/request/",
        form_data(correction_field="subjects.profile.salary", correction_value="1"),
    )
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content
    assert not PrivacyRequest.objects.exists()
    request = with_corrections(subject)
    with pytest.raises(RequestError, match="We hold no field called 'shoe_size'"):
        rectification.corrections_add(
            actor=None, request=request, corrections=[("shoe_size", "44")]
        )
    assert not request.corrections.exists()


def test_staff_see_the_diff_and_decide_each_field(subject, officer):
    request = with_corrections(
        subject,
        ("subjects.profile.phone", "+44 20 1111"),
        ("company", "New Ltd"),
    )
    rows = rectification.rectification_diff(request)
    assert [(r.label, r.current, r.requested) for r in rows] == [
        ("Phone number", "+44 20 0000", "+44 20 1111"),
        ("Company", "Old Ltd", "New Ltd"),
    ]
    phone, company = (r.item for r in rows)
    rectification.rectification_decide(actor=officer, item=phone, apply=True)
    assert DataSubject.objects.get(pk=subject.pk).phone == "+44 20 1111"
    assert AuditEvent.objects.filter(
        action="subjects.subject.updated", subject_id=subject.pk
    ).exists()
    with pytest.raises(RequestError, match="needs a reason"):
        rectification.rectification_decide(actor=officer, item=company, apply=False)
    rectification.rectification_decide(
        actor=officer, item=company, apply=False, reason="The contract names Old Ltd."
    )

    request.refresh_from_db()
    assert request.status == S.PARTIALLY_COMPLETED
    assert DataSubject.objects.get(pk=subject.pk).company == "Old Ltd"
    phone.refresh_from_db()
    assert phone.old_value == "+44 20 0000" and phone.status == "applied"
    outbox.send_pending()
    (told,) = [m for m in mail.outbox if "Your corrections" in m.subject]
    assert "Phone number: corrected" in told.body
    assert "Company: not corrected. Why: The contract names Old Ltd." in told.body


def test_a_value_the_source_refuses_leaves_the_field_undecided(subject, officer):
    request = with_corrections(subject, ("subjects.profile.email", "not-an-address"))
    (item,) = request.corrections.all()
    with pytest.raises(RequestError, match="E-mail address"):
        rectification.rectification_decide(actor=officer, item=item, apply=True)
    item.refresh_from_db()
    assert item.status == RectificationItem.Status.PROPOSED
    assert DataSubject.objects.get(pk=subject.pk).email == "fix.me@example.org"


def test_requester_adds_a_correction_on_the_status_page(subject, client):
    request = with_corrections(subject)
    token = token_from(request, "request_confirmation")
    page = client.get(f"/privacy/request/status/{token}/")
    assert b"Add this correction" in page.content
    client.post(
        f"/privacy/request/status/{token}/correction/",
        {"field": "subjects.profile.title", "value": "Chief Engineer"},
    )
    (item,) = request.corrections.all()
    assert item.label == "Job title" and item.new_value == "Chief Engineer"
    bad = client.post(
        f"/privacy/request/status/{token}/correction/",
        {"field": "subjects.profile.nope", "value": "x"},
    )
    assert bad.status_code == 400 and request.corrections.count() == 1


def test_the_admin_corrections_page_shows_the_diff_and_applies(
    subject, officer, client
):
    request = with_corrections(subject, ("subjects.profile.phone", "+44 20 1111"))
    client.force_login(officer)
    url = f"/admin/requests_app/privacyrequest/{request.pk}/corrections/"
    page = client.get(url)
    assert b"+44 20 0000" in page.content and b"+44 20 1111" in page.content
    item = request.corrections.get()
    client.post(url, {"item": item.pk, "decision": "apply", "reason": ""})
    item.refresh_from_db()
    assert item.status == "applied"
    assert PrivacyRequest.objects.get(pk=request.pk).status == S.COMPLETED
