from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation


def portal(request: HttpRequest) -> dict:
    return {
        "SITE_URL": settings.SITE_URL,
        "PORTAL_NAME": "Privacy Portal",
        "PRIVACY_CONTACT": settings.PRIVACY_CONTACT_EMAIL,
        "LANGUAGE_SWITCH": _language_switch(),
    }


def _language_switch() -> list[dict]:
    """The switcher's entries: each language named in itself."""
    current = translation.get_language()
    return [
        {"code": code, "name": own, "current": code == current}
        for code, own in settings.LANGUAGES
    ]
