from __future__ import annotations

from django.db import migrations

# From the privacy policy (reference/privacy-policy.md): what personal data is
# used for beyond providing the service, and what people may opt out of.
# (code, name, description, legal basis, marketing, default, children allowed)
PURPOSES = [
    (
        "product-announcements",
        "Product announcements and updates",
        "E-mails about new products, software updates and events such as seminars.",
        "legitimate_interests", True, True, False,
    ),
    (
        "special-offers",
        "Special offers",
        "E-mails with special offers and promotions on our products and services.",
        "consent", True, False, False,
    ),
    (
        "partner-offers",
        "Offers from other technology companies",
        "Information from other technology companies about products and services "
        "that can add value to your products. We send it; we do not give them "
        "your address.",
        "consent", True, False, False,
    ),
    (
        "newsletter",
        "Newsletter",
        "Our newsletter about video conferencing and the company.",
        "consent", True, False, False,
    ),
    (
        "market-research",
        "Market research surveys",
        "Invitations, by e-mail or telephone, to surveys that measure customer "
        "satisfaction and help us design better products.",
        "consent", True, False, False,
    ),
    (
        "targeted-advertising",
        "Targeted advertising",
        "Using what you do on our site to show you our ads on other sites. "
        "Refusing it does not stop ads, it makes them non-personalised. "
        "A Global Privacy Control signal from your browser refuses it.",
        "legitimate_interests", True, True, False,
    ),
    (
        "cross-border-transfer",
        "Transfer to other countries",
        "Storing and processing your information in the United States and other "
        "countries where we or our service providers have facilities, whose laws "
        "may protect it less than those where you live.",
        "consent", False, True, True,
    ),
    (
        "third-party-disclosure",
        "Disclosure for other reasons",
        "Disclosing your information to a third party for a reason the privacy "
        "policy does not already describe. We ask before we do.",
        "consent", False, False, False,
    ),
    (
        "social-features",
        "Social network features",
        "Share and Like buttons of social networks on our site, which may set "
        "cookies and receive your IP address and the page you visit.",
        "consent", False, False, False,
    ),
]


def seed(apps, schema_editor) -> None:
    Purpose = apps.get_model("consent_app", "Purpose")
    for position, row in enumerate(PURPOSES):
        code, name, description, basis, marketing, default, children = row
        Purpose.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "description": description,
                "legal_basis": basis,
                "is_marketing": marketing,
                "default_granted": default,
                "children_allowed": children,
                "position": position * 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("consent_app", "0002_ledger_append_only")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
