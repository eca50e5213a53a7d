"""Customer content encrypted at rest: one key per organization, wrapped by a master.

Staff with database or disk access see ciphertext only; ``services.content_open``
decrypts, and only under an active AccessGrant from the customer.

Transcripts (small text) are Fernet tokens. Media files can be gigabytes, so
they are encrypted as a stream, a chunk at a time, never whole in memory
(format ``PPM1``, the STREAM construction of Hoang et al. as in Tink's
streaming AEAD):

    header  = b"PPM1" | salt (32 bytes) | nonce prefix (7 bytes)
    key     = HKDF-SHA256(organization key, salt, info=b"privacyportal media v1")
    chunk i = AES-256-GCM(key, nonce = prefix | i (4 bytes) | last (1 byte),
                          plaintext of 1 MiB or less, aad = header | file name)

The counter stops chunks being reordered, the last-flag stops the file being
cut short or extended at a chunk boundary, and the file name in the
associated data stops one recording's file standing in for another's. Each
chunk is authenticated before a byte of it is returned.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
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


MAGIC = b"PPM1"
# Part of the PPM1 format (it is not in the header): a different chunk size
# needs a new marker, or every stored file becomes unreadable.
CHUNK = 1024 * 1024
_TAG = 16
_HEADER = len(MAGIC) + 32 + 7


def organization_cipher(organization_id: int) -> Fernet:
    """The organization's content cipher, creating its key on first use."""
    return Fernet(organization_key(organization_id))


def organization_key(organization_id: int) -> bytes:
    """The organization's key (url-safe base64), creating it on first use."""
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
        return _master().decrypt(bytes(row.wrapped_key))
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


def _read_full(source: IO[bytes], size: int) -> bytes:
    """``size`` bytes, or fewer only at the end (uploads may read short)."""
    parts, missing = [], size
    while missing:
        part = source.read(missing)
        if not part:
            break
        parts.append(part)
        missing -= len(part)
    return b"".join(parts)


def _aead(organization_id: int, salt: bytes) -> AESGCM:
    material = base64.urlsafe_b64decode(organization_key(organization_id))
    hkdf = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=salt, info=b"privacyportal media v1"
    )
    return AESGCM(hkdf.derive(material))


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + index.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def encrypt_stream(
    organization_id: int, source: IO[bytes], sink: IO[bytes], *, name: str
) -> tuple[int, str]:
    """Encrypt ``source`` into ``sink`` chunk by chunk; (plain size, SHA-256)."""
    salt, prefix = os.urandom(32), os.urandom(7)
    header = MAGIC + salt + prefix
    aead, aad = _aead(organization_id, salt), header + name.encode()
    sink.write(header)
    digest, size, index = hashlib.sha256(), 0, 0
    chunk = _read_full(source, CHUNK)
    while True:
        # Read one ahead: the last chunk must be known to be flagged last.
        following = _read_full(source, CHUNK) if len(chunk) == CHUNK else b""
        digest.update(chunk)
        size += len(chunk)
        sink.write(aead.encrypt(_nonce(prefix, index, not following), chunk, aad))
        if not following:
            return size, digest.hexdigest()
        chunk, index = following, index + 1


def decrypt_stream(
    organization_id: int, handle: IO[bytes], *, name: str
) -> Iterator[bytes]:
    """The plaintext of a stored media file, a verified chunk at a time.

    The header is read (and a bad one refused) before this returns, so a
    caller can fail before it starts answering; files written before the
    streaming format (one Fernet token) are still read, whole.
    """
    header = _read_full(handle, _HEADER)
    if not header.startswith(MAGIC):
        return iter((decrypt(organization_id, header + handle.read()),))
    if len(header) < _HEADER:
        raise ContentError("content is corrupt: the header is cut short")
    aead = _aead(organization_id, header[4:36])
    return _chunks(aead, handle, header, name)


def _chunks(
    aead: AESGCM, handle: IO[bytes], header: bytes, name: str
) -> Iterator[bytes]:
    prefix, aad, index = header[36:], header + name.encode(), 0
    block = _read_full(handle, CHUNK + _TAG)
    while True:
        following = (
            _read_full(handle, CHUNK + _TAG) if len(block) == CHUNK + _TAG else b""
        )
        try:
            plain = aead.decrypt(_nonce(prefix, index, not following), block, aad)
        except (InvalidTag, ValueError):
            raise ContentError(
                "content is corrupt, cut short, or not this item's"
            ) from None
        yield plain
        if not following:
            return
        block, index = following, index + 1
