from __future__ import annotations

import pytest
from django.test import Client

from disclosures_app.models import Disclosure, Recipient
from disclosures_app.tests.factories import DisclosureFactory, RecipientFactory
from privacyportal import roles
from privacyportal.audit.models import AuditEvent
from requests_app.tests.factories import staff_user

ADD = "/admin/disclosures_app/disclosure/add/"


def client_for(role: str) -> Client:
    client = Client()
    client.force_login(staff_user(role.lower().replace(" ", "-"), role))
    return client


def recipient_post(**extra) -> dict:
    return {
        "name": "Mailer Inc.",
        "kind": "processor",
        "purposes": "sending our e-mail\nbounce handling",
        "data_categories": ["contact details"],
        "listed_in_policy": "on",
        "consent_purpose": "third-party-disclosure",
        "contract_reference": "DPA-7",
        "transfers-TOTAL_FORMS": "1",
        "transfers-INITIAL_FORMS": "0",
        "transfers-0-country": "United States",
        "transfers-0-safeguard": "scc",
        **extra,
    }


def test_officer_adds_a_recipient_with_purposes_one_per_line_audited(db):
    response = client_for(roles.PRIVACY_OFFICER).post(
        "/admin/disclosures_app/recipient/add/", recipient_post()
    )
    assert response.status_code == 302, response.content
    mailer = Recipient.objects.get(name="Mailer Inc.")
    assert mailer.purposes == ["sending our e-mail", "bounce handling"]
    assert mailer.transfers.get().safeguard == "scc"
    assert AuditEvent.objects.filter(action="disclosures.recipient.created").exists()
    changed = AuditEvent.objects.get(action="disclosures.recipient.transfers_changed")
    assert changed.data["saved"] == ["United States: scc"]


def test_notice_address_must_be_https(db):
    response = client_for(roles.PRIVACY_OFFICER).post(
        "/admin/disclosures_app/recipient/add/",
        recipient_post(notice_url="http://partner.example/notices"),
    )
    assert b"Notices are sent over HTTPS only." in response.content


def test_analyst_and_auditor_see_the_register_but_cannot_change_it(db):
    reseller = RecipientFactory()
    url = f"/admin/disclosures_app/recipient/{reseller.pk}/change/"
    for role in (roles.PRIVACY_ANALYST, roles.AUDITOR):
        client = client_for(role)
        page = client.get(url)
        assert page.status_code == 200 and b'name="_save"' not in page.content
        text = page.content.decode()
        assert "reselling our products" in text and "[&quot;" not in text
        assert "Disclosure for other reasons" in text  # the purpose, not its code
        assert client.post(url, recipient_post()).status_code == 403


def test_staff_record_a_disclosure_in_the_admin_and_never_change_it(subject):
    reseller = RecipientFactory()
    client = client_for(roles.PRIVACY_ANALYST)
    response = client.post(
        ADD,
        {
            "subject": subject.pk,
            "recipient": reseller.pk,
            "categories": ["contact details"],
            "purpose": "reselling our products",
            "legal_basis": "contract",
            "disclosed_at_0": "2026-11-02",
            "disclosed_at_1": "10:00",
        },
    )
    assert response.status_code == 302, response.content
    row = Disclosure.objects.get()
    assert row.channel == "admin" and row.recorded_by == "privacy-analyst"
    change = f"/admin/disclosures_app/disclosure/{row.pk}/change/"
    assert b'name="_save"' not in client.get(change).content
    delete = f"/admin/disclosures_app/disclosure/{row.pk}/delete/"
    assert client.post(delete, {"post": "yes"}).status_code == 403


def test_a_refused_disclosure_shows_the_reason_and_stores_nothing(subject):
    broker = RecipientFactory(unlisted=True, name="Data Broker Ltd")
    response = client_for(roles.PRIVACY_OFFICER).post(
        ADD,
        {
            "subject": subject.pk,
            "recipient": broker.pk,
            "categories": ["contact details"],
            "purpose": "reselling our products",
            "legal_basis": "contract",
            "disclosed_at_0": "2026-11-02",
            "disclosed_at_1": "10:00",
        },
    )
    assert response.status_code == 200
    assert (
        "the privacy policy does not list Data Broker Ltd" in response.content.decode()
    )
    assert not Disclosure.objects.exists()


def test_support_cannot_see_the_log(subject):
    assert client_for(roles.SUPPORT).get(ADD).status_code == 403


@pytest.mark.parametrize("role", roles.ROLES)
def test_nobody_may_change_or_delete_a_disclosure(db, role):
    from tests.test_roles import perms

    assert not {
        "disclosures_app.change_disclosure",
        "disclosures_app.delete_disclosure",
    } & perms(role)


def test_a_recipient_in_the_log_offers_no_delete(subject):
    reseller = DisclosureFactory(subject=subject).recipient
    page = client_for(roles.PRIVACY_OFFICER).get(
        f"/admin/disclosures_app/recipient/{reseller.pk}/delete/"
    )
    assert page.status_code == 403


def test_the_admin_index_warns_of_a_recorded_sale_or_sharing(subject):
    client = client_for(roles.PRIVACY_ANALYST)
    assert b"sale or sharing" not in client.get("/admin/").content
    DisclosureFactory(subject=subject, sale_or_sharing=True)
    page = client.get("/admin/").content.decode()
    assert "1 disclosure was recorded as a sale or sharing" in page
    assert "sale_or_sharing__exact=1" in page
    # the link works: the filter is allowed on the log
    assert (
        client.get(ADD.replace("add/", "?sale_or_sharing__exact=1")).status_code == 200
    )
