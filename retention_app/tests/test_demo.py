from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from privacyportal.audit.models import AuditEvent
from retention_app.models import (
    CallRecord,
    ChatTranscript,
    JobApplicant,
    LegalHold,
    Recording,
    RecordingSettings,
)

pytestmark = pytest.mark.django_db

MODELS = (Recording, ChatTranscript, CallRecord, JobApplicant, LegalHold)


def counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in MODELS} | {
        "settings": RecordingSettings.objects.exclude(recording_days=None).count(),
        "audit": AuditEvent.objects.filter(action__startswith="retention.").count(),
    }


def test_seed_demo_creates_a_realistic_retention_set_once(private_media):
    call_command("seed_demo", stdout=StringIO())
    first = counts()
    assert first["Recording"] == 20 and first["ChatTranscript"] >= 5
    assert first["CallRecord"] == 30 and first["JobApplicant"] == 5
    assert first["LegalHold"] == 1 and first["settings"] == 1
    recording = Recording.objects.exclude(media="").first()
    assert 2048 < recording.size_bytes <= 8192 + 12 and recording.checksum
    assert recording.participants.exists()
    # Some are past retention (the sweep has work), the held organization's are held.
    assert Recording.objects.filter(held=True).count() == 4
    assert JobApplicant.objects.filter(purge_after__isnull=False).exists()
    call_command("seed_demo", stdout=StringIO())
    assert counts() == first
