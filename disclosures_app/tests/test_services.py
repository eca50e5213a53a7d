from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from consent_app.services import consent_grant, gpc_honour
from disclosures_app.models import Disclosure, LegalBasis, Recipient
from disclosures_app.services import (
    DisclosureInput,
    DisclosureRefused,
    RecipientInUse,
    disclosure_record,
    disclosures_record_bulk,
    recipient_archive,
    recipient_delete,
)
from disclosures_app.tests.factories import DisclosureFactory, RecipientFactory
from privacyportal.audit.models import AuditEvent
from privacyportal.audit.services import Actor
from privacyportal.models import OutboundEmail
from retention_app.tests.factories import JobApplicantFactory

SYSTEM = Actor.system("partner sync")
SERVICE = Disclosure.Channel.SERVICE


def item(subject, recipient, **extra) -> DisclosureInput:
    values = {
        "categories": ["contact details"],
        "purpose": recipient.purposes[0] if recipient.purposes else "anything",
        "legal_basis": LegalBasis.CONTRACT,
        **extra,
    }
    return DisclosureInput(subject=subject, recipient=recipient, **values)


def test_listed_recipient_for_a_listed_purpose_is_recorded_and_audited(
    purposes, subject
):
    reseller = RecipientFactory()
    row = disclosure_record(actor=SYSTEM, item=item(subject, reseller), channel=SERVICE)
    assert row.recorded_by == "partner sync" and not row.consent_relied_on
    event = AuditEvent.objects.get(action="disclosures.disclosure.recorded")
    assert event.subject_id == subject.pk and event.target_id == str(row.pk)


def test_unlisted_recipient_without_consent_is_refused_saying_why(purposes, subject):
    broker = RecipientFactory(unlisted=True, name="Data Broker Ltd")
    with pytest.raises(DisclosureRefused, match="does not list Data Broker Ltd"):
        disclosure_record(actor=SYSTEM, item=item(subject, broker), channel=SERVICE)
    assert not Disclosure.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="disclosures.").exists()


def test_unlisted_recipient_with_the_persons_consent_is_recorded(purposes, subject):
    broker = RecipientFactory(unlisted=True)
    consent_grant(
        actor=SYSTEM, subject=subject, purpose="third-party-disclosure", source="form"
    )
    row = disclosure_record(actor=SYSTEM, item=item(subject, broker), channel=SERVICE)
    assert row.consent_relied_on


def test_listed_recipient_for_a_purpose_the_policy_does_not_cover_needs_consent(
    purposes, subject
):
    reseller = RecipientFactory(name="Acme Resellers")
    other = item(subject, reseller, purpose="their own marketing")
    with pytest.raises(DisclosureRefused, match="for “their own marketing”"):
        disclosure_record(actor=SYSTEM, item=other, channel=SERVICE)


def test_applicant_data_to_a_third_party_queues_an_email_to_the_applicant(
    purposes, subject
):
    JobApplicantFactory(subject=subject, email="cand@example.org")
    referee = RecipientFactory(
        kind=Recipient.Kind.THIRD_PARTY, name="Former employer", purposes=["reference"]
    )
    with transaction.atomic():
        row = disclosure_record(
            actor=SYSTEM,
            item=item(subject, referee, categories=["application"]),
            channel=SERVICE,
        )
        # queued in the disclosure's own transaction: never one without the other
        email = OutboundEmail.objects.get(template="disclosures_applicant_notice")
    assert email.to == "cand@example.org"
    assert email.context["recipient"] == "Former employer"
    assert email.key.startswith(f"disclosures.applicant.{row.pk}.")


def test_applicant_data_to_a_processor_or_non_applicant_data_queues_nothing(
    purposes, subject
):
    JobApplicantFactory(subject=subject)
    ats = RecipientFactory(processor=True)
    disclosure_record(
        actor=SYSTEM,
        item=item(subject, ats, categories=["application"]),
        channel=SERVICE,
    )
    disclosure_record(
        actor=SYSTEM, item=item(subject, RecipientFactory()), channel=SERVICE
    )
    assert not OutboundEmail.objects.exists()


def test_authority_disclosure_needs_the_orders_reference(purposes, subject):
    police = RecipientFactory(authority=True)
    basis = {"legal_basis": LegalBasis.LEGAL_OBLIGATION}
    with pytest.raises(DisclosureRefused, match="reference"):
        disclosure_record(
            actor=SYSTEM, item=item(subject, police, **basis), channel=SERVICE
        )
    row = disclosure_record(
        actor=SYSTEM,
        item=item(
            subject,
            police,
            legal_reference="Warrant 2026/17",
            withheld_ground="Court order forbids telling the person (s. 12)",
            **basis,
        ),
        channel=SERVICE,
    )
    assert row.withheld_from_subject and row.legal_reference == "Warrant 2026/17"


def test_only_an_authority_disclosure_may_be_withheld(purposes, subject):
    bad = item(subject, RecipientFactory(), withheld_ground="we would rather not")
    with pytest.raises(DisclosureRefused, match="only a disclosure to an authority"):
        disclosure_record(actor=SYSTEM, item=bad, channel=SERVICE)


def test_sale_or_sharing_is_refused_once_the_person_has_opted_out(purposes, subject):
    adnet = RecipientFactory(sale_or_sharing=True)
    disclosure_record(actor=SYSTEM, item=item(subject, adnet), channel=SERVICE)
    gpc_honour(subject=subject)
    with pytest.raises(DisclosureRefused, match="opted out of the sale or sharing"):
        disclosure_record(actor=SYSTEM, item=item(subject, adnet), channel=SERVICE)


def test_restricted_data_goes_only_to_an_authority(purposes, subject):
    subject.processing_restricted = True
    subject.save()
    with pytest.raises(DisclosureRefused, match="restricted"):
        disclosure_record(
            actor=SYSTEM, item=item(subject, RecipientFactory()), channel=SERVICE
        )
    police = RecipientFactory(authority=True)
    order = item(
        subject, police, legal_reference="Order 5", legal_basis="legal_obligation"
    )
    assert disclosure_record(actor=SYSTEM, item=order, channel=SERVICE).pk


def test_bulk_recording_is_all_or_nothing(purposes, subject):
    reseller, broker = RecipientFactory(), RecipientFactory(unlisted=True)
    items = [item(subject, reseller)] * 3 + [item(subject, broker)]
    with pytest.raises(DisclosureRefused):
        disclosures_record_bulk(actor=SYSTEM, items=items, channel=SERVICE)
    assert not Disclosure.objects.exists()
    assert disclosures_record_bulk(actor=SYSTEM, items=items[:3], channel=SERVICE) == 3
    assert (
        AuditEvent.objects.filter(action="disclosures.disclosure.imported").count() == 1
    )


def test_a_recipient_that_received_data_is_archived_not_deleted(purposes, subject):
    reseller = DisclosureFactory(subject=subject).recipient
    with pytest.raises(RecipientInUse, match="archive it instead"):
        recipient_delete(actor=SYSTEM, recipient=reseller)
    assert recipient_archive(actor=SYSTEM, recipient=reseller)
    reseller.refresh_from_db()
    with pytest.raises(DisclosureRefused, match="archived"):
        disclosure_record(actor=SYSTEM, item=item(subject, reseller), channel=SERVICE)
    unused = RecipientFactory()
    recipient_delete(actor=SYSTEM, recipient=unused)
    assert not Recipient.objects.filter(pk=unused.pk).exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only"
)
@pytest.mark.parametrize("change", ["update", "delete"])
def test_the_log_refuses_update_and_delete_in_the_database(purposes, subject, change):
    row = DisclosureFactory(subject=subject)
    rows = Disclosure.objects.filter(pk=row.pk)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        rows.update(purpose="changed") if change == "update" else rows.delete()
    assert Disclosure.objects.get(pk=row.pk).purpose == row.purpose


def test_seed_recipients_adds_the_policys_list_once(db):
    from django.core.management import call_command

    from disclosures_app.demo import POLICY_RECIPIENTS

    call_command("seed_recipients")
    call_command("seed_recipients")
    kinds = set(Recipient.objects.values_list("kind", flat=True))
    assert Recipient.objects.count() == len(POLICY_RECIPIENTS)
    assert {"channel_partner", "processor", "authority", "acquirer"} <= kinds
    assert all(r.listed_in_policy for r in Recipient.objects.all())
