from __future__ import annotations

from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "privacyportal.console"
    label = "console"
    verbose_name = "Staff console"
