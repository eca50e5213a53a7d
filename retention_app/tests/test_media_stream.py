"""Media encrypted and decrypted as a stream: any size in a few MiB, tamper-evident."""

from __future__ import annotations

import hashlib
import io
import tracemalloc

import pytest
from django.core.files.storage import default_storage

from privacyportal.subjects.tests.factories import OrganizationFactory
from retention_app import crypto
from retention_app.services import (
    content_open,
    grant_create,
    recording_register,
    recording_stream,
)
from retention_app.tests.factories import ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(actor):
    org = OrganizationFactory()
    grant_create(
        actor=actor,
        organization_id=org.pk,
        requested_by="Support agent Sam",
        approved_by="Customer admin Kim",
        purpose="Ticket 7: playback",
    )
    return org


@pytest.fixture
def small_chunks(monkeypatch):
    # Small chunks make multi-chunk files (and their edges) cheap to test.
    monkeypatch.setattr(crypto, "CHUNK", 64)
    return 64


def register(actor, org, media):
    return recording_register(
        actor=actor,
        organization_id=org.pk,
        meeting_title="Stream",
        started_at=ago(1),
        media=media,
    )


def stored(recording) -> bytes:
    with default_storage.open(recording.media, "rb") as handle:
        return handle.read()


def overwrite(recording, data: bytes) -> None:
    with open(default_storage.path(recording.media), "wb") as handle:
        handle.write(data)


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 128, 1000])
def test_round_trip_at_every_chunk_edge(actor, org, small_chunks, size):
    plain = bytes(range(256)) * 4
    plain = plain[:size]
    recording = register(actor, org, io.BytesIO(plain))
    assert recording.size_bytes == size
    assert recording.checksum == hashlib.sha256(plain).hexdigest()
    assert stored(recording).startswith(crypto.MAGIC)
    assert content_open(actor=actor, item=recording) == plain


def _chunks_of(recording, chunk: int) -> tuple[bytes, list[bytes]]:
    data = stored(recording)
    header, body = data[:43], data[43:]
    step = chunk + 16
    return header, [body[i : i + step] for i in range(0, len(body), step)]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda h, c: h + b"".join(c[:-1]), id="cut-at-a-chunk-edge"),
        pytest.param(lambda h, c: h + b"".join(c) + c[0], id="chunk-appended"),
        pytest.param(lambda h, c: h + c[1] + c[0] + b"".join(c[2:]), id="reordered"),
        pytest.param(
            lambda h, c: h + bytes([c[0][0] ^ 1]) + b"".join(c)[1:], id="bit-flipped"
        ),
        pytest.param(lambda h, c: h[:20], id="header-cut"),
    ],
)
def test_tampered_media_is_refused(actor, org, small_chunks, tamper):
    recording = register(actor, org, b"x" * 200)  # four chunks: 64+64+64+8
    header, chunks = _chunks_of(recording, small_chunks)
    assert len(chunks) == 4
    tampered = tamper(header, chunks)
    # The cipher itself refuses (not only the checksum taken at ingest) ...
    with pytest.raises(crypto.ContentError):
        list(crypto.decrypt_stream(org.pk, io.BytesIO(tampered), name=recording.media))
    # ... and so does opening it.
    overwrite(recording, tampered)
    with pytest.raises(crypto.ContentError):
        content_open(actor=actor, item=recording)


def test_one_recordings_file_cannot_stand_in_for_anothers(actor, org):
    first = register(actor, org, b"board meeting")
    second = register(actor, org, b"team meeting")
    with pytest.raises(crypto.ContentError):  # same key, valid, wrong item
        list(
            crypto.decrypt_stream(org.pk, io.BytesIO(stored(first)), name=second.media)
        )
    overwrite(second, stored(first))
    with pytest.raises(crypto.ContentError):
        content_open(actor=actor, item=second)


def test_a_bad_file_fails_before_the_opening_is_audited(actor, org):
    from privacyportal.audit.models import AuditEvent

    first = register(actor, org, b"board meeting")
    second = register(actor, org, b"team meeting")
    overwrite(second, stored(first))
    with pytest.raises(crypto.ContentError):
        recording_stream(actor=actor, recording=second)  # not only when read
    assert not AuditEvent.objects.filter(action="retention.content.opened").exists()


def test_a_stream_never_read_still_releases_its_file(actor, org):
    recording = register(actor, org, b"unwatched")
    stream = recording_stream(actor=actor, recording=recording)
    stream.close()
    assert stream._handle.closed


def test_a_checksum_mismatch_withholds_the_last_chunk(actor, org, small_chunks):
    recording = register(actor, org, b"y" * 200)
    type(recording).objects.filter(pk=recording.pk).update(checksum="0" * 64)
    recording.refresh_from_db()
    chunks = iter(recording_stream(actor=actor, recording=recording))
    received = []
    with pytest.raises(crypto.ContentError):
        for chunk in chunks:
            received.append(chunk)
    assert len(b"".join(received)) < recording.size_bytes


def test_files_from_before_the_streaming_format_still_open(actor, org):
    recording = register(actor, org, b"replaced below by an old-format file")
    overwrite(recording, crypto.encrypt(org.pk, b"old whole-file token"))
    type(recording).objects.filter(pk=recording.pk).update(
        checksum=hashlib.sha256(b"old whole-file token").hexdigest()
    )
    recording.refresh_from_db()
    assert content_open(actor=actor, item=recording) == b"old whole-file token"


class _Generated(io.RawIOBase):
    """A large file that is never in memory: deterministic bytes made on read."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.left, 256 * 1024)  # short reads, like uploads
        buffer[:n] = b"\x5a" * n
        self.left -= n
        return n


def test_a_large_recording_goes_in_and_out_in_a_few_mib(actor, org):
    size = 48 * 1024 * 1024
    tracemalloc.start()
    try:
        recording = register(actor, org, io.BufferedReader(_Generated(size)))
        _, peak_in = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        digest, total = hashlib.sha256(), 0
        for chunk in recording_stream(actor=actor, recording=recording):
            digest.update(chunk)
            total += len(chunk)
        _, peak_out = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert recording.size_bytes == total == size
    assert digest.hexdigest() == recording.checksum
    # A chunk read ahead, one being encrypted, its ciphertext: well under 16 MiB.
    assert peak_in < 16 * 1024 * 1024, peak_in
    assert peak_out < 16 * 1024 * 1024, peak_out
