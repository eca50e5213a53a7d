"""Subscription secrets: made here, kept encrypted, used to sign each POST.

A secret cannot be stored as a hash like an API key: signing needs the raw
value at every send. It is encrypted with a Fernet key derived by HKDF from
RETENTION_MASTER_KEY, the portal's key for encrypting data at rest. Not from
SECRET_KEY: operators rotate that one for sessions and signed links, and
doing so would silently invalidate every webhook secret. The HKDF label gives
webhooks their own key, so a ciphertext here can never be read as, or be
confused with, a wrapped customer content key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "whsec_"
SCHEME = "v1"


def derive(label: bytes) -> bytes:
    """A 32-byte key of webhooks' own, for one use named by ``label``."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(
        settings.RETENTION_MASTER_KEY.encode()
    )


def _cipher() -> Fernet:
    key = derive(b"privacyportal webhook secrets v1")
    return Fernet(base64.urlsafe_b64encode(key))


def new_secret() -> tuple[str, str]:
    """A fresh secret and its ciphertext to store."""
    raw = PREFIX + secrets.token_urlsafe(32)
    return raw, _cipher().encrypt(raw.encode()).decode()


def reveal(encrypted: str) -> str:
    return _cipher().decrypt(encrypted.encode()).decode()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``v1=`` and the hex HMAC-SHA256 of ``<timestamp>.<body>``."""
    message = timestamp.encode() + b"." + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"{SCHEME}={digest}"
