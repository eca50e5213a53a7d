"""API keys: random, shown once, stored hashed, scoped, audited.

Every change to a key is a service here (the admin calls them) and writes an
AuditEvent in its transaction. The raw key exists only in the value returned
by ``api_key_create``; the portal keeps its SHA-256.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from privacyportal import audit
from privacyportal.api.models import ApiKey
from privacyportal.api.scopes import SCOPES

# Kept from the consent keys this generalises: old keys still start with it,
# and privacyportal/logredact.py redacts it from logs.
PREFIX = "ck_"
# last_used_at is a hint for staff, not a log: write it at most this often.
TOUCH_EVERY = timedelta(minutes=5)
# Fields staff may change after creation (the hash and prefix never change).
EDITABLE = ("scopes", "expires_at", "allowed_ips", "rate_per_minute")

# Each process keeps a found key this long: the key query was a fifth of a
# consent read. A revoked or changed key is refused or changed everywhere
# within these seconds (at once in the process that changed it).
FOUND_SECONDS = 5.0
FOUND_MAX = 1000
_found: dict[str, tuple[float, ApiKey]] = {}
_clock = time.monotonic

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ApiKeyError(ValueError):
    """A key cannot be created or changed as asked; the message says why."""


def key_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def networks(text: str) -> list[Network]:
    """The allow-list, one address or CIDR network a line; ApiKeyError if bad."""
    found = []
    for line in text.splitlines():
        entry = line.strip()
        if not entry:
            continue
        try:
            found.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise ApiKeyError(f"{entry!r} is not an address or network.") from exc
    return found


def _clean(
    *, scopes: Iterable[str], allowed_ips: str, expires_at: datetime | None
) -> dict[str, Any]:
    scopes = sorted(set(scopes))
    unknown = set(scopes) - set(SCOPES)
    if unknown:
        raise ApiKeyError(f"Unknown scopes: {', '.join(sorted(unknown))}.")
    if expires_at is not None and expires_at <= timezone.now():
        raise ApiKeyError("The expiry date must be in the future.")
    allowed = "\n".join(str(n) for n in networks(allowed_ips))
    return {"scopes": scopes, "allowed_ips": allowed, "expires_at": expires_at}


def _facts(key: ApiKey) -> dict[str, Any]:
    """What the audit trail keeps of a key: never the key or its hash."""
    return {
        "name": key.name,
        "scopes": key.scopes,
        "expires_at": key.expires_at.isoformat() if key.expires_at else None,
        "allowed_ips": key.allowed_ips.splitlines(),
        "rate_per_minute": key.rate_per_minute,
    }


def api_key_create(
    *,
    actor: Any,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime | None = None,
    allowed_ips: str = "",
    rate_per_minute: int | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; the raw value is returned once and never stored."""
    name = name.strip()
    if not name:
        raise ApiKeyError("An API key needs a name (the integration using it).")
    fields = _clean(scopes=scopes, allowed_ips=allowed_ips, expires_at=expires_at)
    raw = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        key = ApiKey.objects.create(
            name=name,
            prefix=raw[:10],
            key_hash=key_hash(raw),
            rate_per_minute=rate_per_minute,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            **fields,
        )
        audit.record("api.key.created", actor=actor, target=key, data=_facts(key))
    return key, raw


def api_key_update(*, actor: Any, key: ApiKey, **changes: Any) -> ApiKey:
    """Change scopes, expiry, allow-list or rate of a live key."""
    if set(changes) - set(EDITABLE):
        raise ApiKeyError(f"Only {', '.join(EDITABLE)} can change.")
    current = {field: getattr(key, field) for field in EDITABLE}
    merged = {**current, **changes}
    fields = _clean(
        scopes=merged["scopes"],
        allowed_ips=merged["allowed_ips"],
        expires_at=merged["expires_at"],
    )
    fields["rate_per_minute"] = merged["rate_per_minute"]
    with transaction.atomic():
        updated = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            **fields
        )
        if not updated:
            raise ApiKeyError("A revoked key cannot be changed.")
        key.refresh_from_db()
        audit.record("api.key.changed", actor=actor, target=key, data=_facts(key))
        _forget_found()
        transaction.on_commit(_forget_found)  # a reader may have kept it meanwhile
    return key


def api_key_revoke(*, actor: Any, key: ApiKey) -> bool:
    """Revoke a key for good; False (and nothing written) if it already was."""
    with transaction.atomic():
        updated = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if updated:
            audit.record("api.key.revoked", actor=actor, target=key)
            _forget_found()
            transaction.on_commit(_forget_found)
    return bool(updated)


def api_key_find(authorization: str | None) -> ApiKey | None:
    """The key an ``Authorization: Bearer <key>`` header names (live or not)."""
    scheme, _, raw = (authorization or "").partition(" ")
    raw = raw.strip()
    if scheme.lower() != "bearer" or not raw.startswith(PREFIX) or len(raw) > 100:
        return None
    digest = key_hash(raw)
    held = _found.get(digest)
    if held is not None and held[0] > _clock():
        return held[1]
    key = ApiKey.objects.filter(key_hash=digest).first()
    if key is not None:  # unknown values are not kept: they could fill memory
        if len(_found) >= FOUND_MAX:
            _found.clear()
        _found[digest] = (_clock() + FOUND_SECONDS, key)
    return key


def _forget_found() -> None:
    """After a change here: this process sees it at once, others within seconds."""
    _found.clear()


def ip_allowed(key: ApiKey, ip: str) -> bool:
    if not key.allowed_ips.strip():
        return True
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in network for network in networks(key.allowed_ips))


def api_key_touch(key: ApiKey) -> None:
    """Note the key's use, at most once per TOUCH_EVERY (not an audited change)."""
    now = timezone.now()
    if key.last_used_at is None or key.last_used_at < now - TOUCH_EVERY:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now  # the kept row too, or it would write every call
