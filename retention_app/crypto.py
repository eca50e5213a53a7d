"""Customer content encrypted at rest: one key per organization, wrapped by a master.

Staff with database or disk access see ciphertext only; ``services.content_open``
decrypts, and only under an active AccessGrant from the customer.
"""

from __future__ import annotations

import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction

from retention_app.models import OrganizationKey


class ContentError(Exception):
    """Content that cannot be decrypted or does not match its checksum."""


def _master() -> Fernet:
    try:
        return Fernet(settings.RETENTION_MASTER_KEY.encode())
    except ValueError:
        raise ImproperlyConfigured(
            "Environment variable RETENTION_MASTER_KEY: not a Fernet key "
            "(32 bytes, url-safe base64)"
        ) from None


def organization_cipher(organization_id: int) -> Fernet:
    """The organization's content cipher, creating its key on first use."""
    row = OrganizationKey.objects.filter(organization_id=organization_id).first()
    if row is None:
        wrapped = _master().encrypt(Fernet.generate_key())
        try:
            with transaction.atomic():
                row = OrganizationKey.objects.create(
                    organization_id=organization_id, wrapped_key=wrapped
                )
        except IntegrityError:  # another writer created it first
            row = OrganizationKey.objects.get(organization_id=organization_id)
    try:
        return Fernet(_master().decrypt(bytes(row.wrapped_key)))
    except InvalidToken:
        raise ContentError("the master key does not unwrap this key") from None


def encrypt(organization_id: int, data: bytes) -> bytes:
    return organization_cipher(organization_id).encrypt(data)


def decrypt(organization_id: int, token: bytes) -> bytes:
    try:
        return organization_cipher(organization_id).decrypt(bytes(token))
    except InvalidToken:
        raise ContentError("content is corrupt or under another key") from None


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
