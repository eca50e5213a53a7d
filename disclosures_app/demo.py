"""The privacy policy's own list of recipients ("Sharing Personal Information
with Third Parties"), as demo data for the register."""

from __future__ import annotations

from typing import Any

from disclosures_app.models import Recipient, Transfer

K, S = Recipient.Kind, Transfer.Safeguard

POLICY_RECIPIENTS: list[dict[str, Any]] = [
    {
        "name": "Channel partners (distributors and resellers)",
        "kind": K.CHANNEL_PARTNER,
        "description": "Sell our products and services to end users under an "
        "agreement to protect personal information as our policy does.",
        "purposes": ["selling and supporting our products"],
        "data_categories": ["contact details", "title and company", "account"],
        "contract_reference": "Channel partner agreement",
        "transfers": [("Worldwide", S.SCC)],
    },
    {
        "name": "E-mail service provider",
        "kind": K.PROCESSOR,
        "description": "Sends our e-mail to you on our behalf and on our "
        "instructions, under strict confidentiality.",
        "purposes": ["sending e-mail on our behalf"],
        "data_categories": ["contact details"],
        "contract_reference": "Data processing agreement",
        "transfers": [("United States", S.SCC)],
    },
    {
        "name": "Other service providers",
        "kind": K.PROCESSOR,
        "description": "Affiliated and unaffiliated providers that serve you "
        "for us, only on our instructions.",
        "purposes": ["providing the service", "customer support"],
        "data_categories": ["contact details", "account", "devices"],
        "contract_reference": "Data processing agreement",
        "transfers": [("United States", S.SCC)],
    },
    {
        "name": "Courts, law enforcement and other authorities",
        "kind": K.AUTHORITY,
        "description": "Only when the law, a court or a government order "
        "compels us, or to protect your or our legal rights.",
        "purposes": ["complying with the law or a court order"],
        "data_categories": [],
        "transfers": [],
    },
    {
        "name": "A buyer or merger partner",
        "kind": K.ACQUIRER,
        "description": "A business we plan to merge with or be acquired by, or "
        "any party to a merger, transfer or sale of our assets.",
        "purposes": ["a merger, acquisition or sale of assets"],
        "data_categories": [],
        "contract_reference": "",
        "transfers": [],
    },
]


def seed_recipients(*, actor: Any) -> int:
    """Add the policy's recipients that are missing; returns how many were added."""
    from disclosures_app.services import recipient_save

    added = 0
    for spec in POLICY_RECIPIENTS:
        values = {k: v for k, v in spec.items() if k != "transfers"}
        if Recipient.objects.filter(name=values["name"]).exists():
            continue
        recipient = recipient_save(
            actor=actor,
            recipient=Recipient(listed_in_policy=True, **values),
            fields=sorted(values),
        )
        for country, safeguard in spec["transfers"]:
            Transfer.objects.create(
                recipient=recipient, country=country, safeguard=safeguard
            )
        added += 1
    return added


def seed(*, rng: Any, actor: Any) -> dict[str, int]:
    """seed_demo's hook: the policy's recipients and a few disclosures to them."""
    added = seed_recipients(actor=actor)
    return {"recipients": added, "disclosures": _seed_disclosures(rng, actor)}


def _seed_disclosures(rng: Any, actor: Any) -> int:
    from datetime import timedelta

    from django.utils import timezone

    from disclosures_app.models import Disclosure
    from disclosures_app.services import disclosures_record_bulk
    from privacyportal.subjects.models import DataSubject

    if Disclosure.objects.exists():
        return 0  # a second run adds nothing twice
    mailer = Recipient.objects.get(name="E-mail service provider")
    partners = Recipient.objects.get(name=POLICY_RECIPIENTS[0]["name"])
    people = DataSubject.objects.filter(
        anonymised_at__isnull=True, is_under_13=False, processing_restricted=False
    ).order_by("pk")[:12]
    items = []
    for person in people:
        when = timezone.now() - timedelta(days=rng.randint(5, 300))
        items.append(_item(person, mailer, ["contact details"], when))
        if rng.random() < 0.4:
            items.append(_item(person, partners, ["contact details", "account"], when))
    return disclosures_record_bulk(
        actor=actor, items=items, channel=Disclosure.Channel.SERVICE
    )


def _item(person: Any, recipient: Recipient, categories: list, when: Any) -> Any:
    from disclosures_app.services import DisclosureInput

    return DisclosureInput(
        subject=person,
        recipient=recipient,
        categories=categories,
        purpose=recipient.purposes[0],
        legal_basis="contract",
        disclosed_at=when,
    )
