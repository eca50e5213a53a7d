from __future__ import annotations

from django.core.management.base import BaseCommand

from privacyportal.audit.watch import audit_chain_check


class Command(BaseCommand):
    help = (
        "The nightly audit check: walk the chain (as audit_verify does), keep the "
        "result for the dashboard, and e-mail the Privacy Officers about a new break."
    )

    def handle(self, *args, **options) -> None:
        check = audit_chain_check()
        alerted = " (Privacy Officers e-mailed)" if check.alerted else ""
        self.stdout.write(f"{check.message}{alerted}")
