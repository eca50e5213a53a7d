from __future__ import annotations

from datetime import UTC

import factory

from disclosures_app.models import Disclosure, LegalBasis, Recipient


class RecipientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recipient

    name = factory.Sequence(lambda n: f"Reseller {n}")
    kind = Recipient.Kind.CHANNEL_PARTNER
    purposes = factory.LazyFunction(lambda: ["reselling our products"])
    data_categories = factory.LazyFunction(lambda: ["contact details"])
    listed_in_policy = True
    contract_reference = "CP-2026-01"
    notice_email = factory.Sequence(lambda n: f"privacy@reseller{n}.example")

    class Params:
        unlisted = factory.Trait(listed_in_policy=False, contract_reference="")
        authority = factory.Trait(
            kind=Recipient.Kind.AUTHORITY,
            purposes=["complying with a court order"],
            contract_reference="",
        )
        processor = factory.Trait(
            kind=Recipient.Kind.PROCESSOR, purposes=["sending our e-mail"]
        )


class DisclosureFactory(factory.django.DjangoModelFactory):
    """Straight into the log, bypassing the policy: for reads and exports."""

    class Meta:
        model = Disclosure

    subject = factory.SubFactory(
        "privacyportal.subjects.tests.factories.DataSubjectFactory"
    )
    recipient = factory.SubFactory(RecipientFactory)
    categories = factory.LazyFunction(lambda: ["contact details"])
    purpose = "reselling our products"
    legal_basis = LegalBasis.CONTRACT
    disclosed_at = factory.Faker("date_time_this_year", tzinfo=UTC)
    recorded_by = "test"
    channel = Disclosure.Channel.SERVICE
