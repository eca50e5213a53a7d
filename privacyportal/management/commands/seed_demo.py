from __future__ import annotations

import importlib
import random

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from privacyportal.audit.services import Actor
from privacyportal.stats import figures_rollup


class Command(BaseCommand):
    help = (
        "Load a realistic demo data set through the services (so it is audited). "
        "Each app contributes through its own demo.py; a second run adds nothing twice."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, default=2015, help="random seed")

    def handle(self, *args, **options) -> None:
        actor = Actor.system("seed_demo")
        summary = []
        for config in apps.get_app_configs():
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError:
                continue
            # One generator per app: what one app skips never shifts another's data.
            rng = random.Random(f"{options['seed']}:{config.label}")
            with transaction.atomic():
                counts = module.seed(rng=rng, actor=actor)
            summary.extend(f"{key}: {value}" for key, value in counts.items())
        # The charts read nightly counts: count the demo's history now.
        figures_rollup()
        self.stdout.write("demo data: " + (", ".join(summary) or "nothing to add"))
