"""API keys for integrations that read consent: random, shown once, stored hashed."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from consent_app.models import ApiKey
from consent_app.services import ConsentError
from privacyportal import audit

PREFIX = "ck_"
# last_used_at is a hint for staff, not a log: write it at most this often.
TOUCH_EVERY = timedelta(minutes=5)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_key_create(*, actor: Any, name: str) -> tuple[ApiKey, str]:
    """Create a key; the raw value is returned once and never stored."""
    name = name.strip()
    if not name:
        raise ConsentError("An API key needs a name (the integration using it).")
    raw = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        key = ApiKey.objects.create(
            name=name,
            prefix=raw[:10],
            key_hash=_hash(raw),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit.record("consent.api_key.created", actor=actor, target=key)
    return key, raw


def api_key_revoke(*, actor: Any, key: ApiKey) -> bool:
    with transaction.atomic():
        updated = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if updated:
            audit.record("consent.api_key.revoked", actor=actor, target=key)
    return bool(updated)


def api_key_authenticate(authorization: str | None) -> ApiKey | None:
    """The live key named by an ``Authorization: Bearer <key>`` header, or None."""
    scheme, _, raw = (authorization or "").partition(" ")
    raw = raw.strip()
    if scheme.lower() != "bearer" or not raw.startswith(PREFIX) or len(raw) > 100:
        return None
    key = ApiKey.objects.filter(key_hash=_hash(raw), revoked_at__isnull=True).first()
    if key is None:
        return None
    now = timezone.now()
    if key.last_used_at is None or key.last_used_at < now - TOUCH_EVERY:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key
