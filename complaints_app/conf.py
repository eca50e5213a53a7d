"""This app's settings: a Django setting of the name wins, else the environment.

Kept here rather than in ``settings.py`` so the app brings its own defaults
(as disclosures_app does); tests override them with the ``settings`` fixture.
The dispute body's defaults are the one the privacy policy names (TRUSTe,
"Enforcement & dispute resolution").
"""

from __future__ import annotations

from django.conf import settings

from privacyportal import config


def _integer(name: str, default: int) -> int:
    value = getattr(settings, name, None)
    return int(value) if value is not None else config.integer(name, default)


def _string(name: str, default: str) -> str:
    value = getattr(settings, name, None)
    return str(value) if value is not None else config.string(name, default)


def ack_days() -> int:
    """Calendar days to acknowledge a complaint (UK rule from June 2026: 30)."""
    return _integer("COMPLAINT_ACK_DAYS", 30)


def resolution_days() -> int:
    """Calendar days the company gives itself to decide a complaint."""
    return _integer("COMPLAINT_RESOLUTION_DAYS", 90)


def dispute_body() -> dict[str, str]:
    """Name, link and conditions of the independent dispute-resolution body.

    Empty conditions mean the policy's own (shown translated in the e-mail).
    """
    return {
        "name": _string("DISPUTE_BODY_NAME", "TRUSTe"),
        "url": _string(
            "DISPUTE_BODY_URL", "https://feedback-form.truste.com/watchdog/request"
        ),
        "conditions": _string("DISPUTE_BODY_CONDITIONS", ""),
    }
