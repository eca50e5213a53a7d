"""This app's settings: a Django setting of the name wins, else the environment.

Kept here rather than in ``settings.py`` so the app brings its own defaults;
tests override them with pytest-django's ``settings`` fixture.
"""

from __future__ import annotations

from django.conf import settings

from privacyportal import config


def _integer(name: str, default: int) -> int:
    value = getattr(settings, name, None)
    return int(value) if value is not None else config.integer(name, default)


def backoff_seconds() -> int:
    return _integer("DISCLOSURES_NOTICE_BACKOFF_SECONDS", 60)


def timeout_seconds() -> int:
    return _integer("DISCLOSURES_NOTICE_TIMEOUT_SECONDS", 10)


def notice_key() -> str:
    return getattr(settings, "DISCLOSURES_NOTICE_KEY", "") or config.string(
        "DISCLOSURES_NOTICE_KEY", ""
    )
