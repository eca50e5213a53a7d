from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from disclosures_app.demo import POLICY_RECIPIENTS, seed_recipients
from privacyportal.audit.services import Actor


class Command(BaseCommand):
    help = (
        "Add the privacy policy's own list of recipients to the recipient register "
        "(channel partners, service providers, authorities, a buyer). Recipients "
        "already present, by name, are left as they are."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        added = seed_recipients(actor=Actor.system("seed_recipients"))
        total = len(POLICY_RECIPIENTS)
        self.stdout.write(f"{added} recipients added ({total - added} already there)")
