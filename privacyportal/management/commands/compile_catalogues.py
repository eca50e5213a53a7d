from __future__ import annotations

from django.core.management.base import BaseCommand

from privacyportal import catalogues


class Command(BaseCommand):
    help = "Compile the translation catalogues (locale/*/LC_MESSAGES/*.po) to .mo."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="Rewrite every .mo.")

    def handle(self, *args, **options) -> None:
        written = catalogues.compile_all(force=options["force"])
        self.stdout.write(f"catalogues compiled: {len(written)}")
