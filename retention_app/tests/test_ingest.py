from __future__ import annotations

import csv
import hashlib
import json
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from privacyportal.audit.models import AuditEvent
from privacyportal.subjects.models import DataSubject
from privacyportal.subjects.tests.factories import OrganizationFactory
from retention_app.models import ChatTranscript, Recording
from retention_app.services import content_open, grant_create, recording_disable
from retention_app.services import ingest as ingest_service

pytestmark = pytest.mark.django_db

HEADER = [
    "organization",
    "meeting_title",
    "started_at",
    "duration_seconds",
    "participants",
    "media",
    "transcript",
]


@pytest.fixture
def org():
    return OrganizationFactory(slug="globex")


@pytest.fixture
def folder(tmp_path) -> Path:
    (tmp_path / "media").mkdir(exist_ok=True)
    for n in (1, 2, 3):
        (tmp_path / f"call{n}.mp4").write_bytes(f"video bytes {n}".encode())
    (tmp_path / "chat2.txt").write_text("Kim: hello\nSam: hi", encoding="utf-8")
    return tmp_path


def write_csv(folder: Path, rows: list[list[str]]) -> Path:
    path = folder / "manifest.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def good_rows() -> list[list[str]]:
    return [
        [
            "globex",
            "Kick-off",
            "2026-01-05T09:00:00+00:00",
            "3600",
            "kim@globex.example; sam@example.org",
            "call1.mp4",
            "Kim: welcome",
        ],
        ["globex", "Review", "2026-01-06T10:00:00Z", "60", "", "call2.mp4", ""],
    ]


def stored_files(media_root: Path) -> list[Path]:
    return [p for p in media_root.rglob("*") if p.is_file()]


def test_csv_import_registers_encrypted_audited_recordings(org, folder, private_media):
    out = StringIO()
    call_command("import_recordings", str(write_csv(folder, good_rows())), stdout=out)
    assert "imported 2 recordings and 1 transcripts" in out.getvalue()
    first = Recording.objects.get(meeting_title="Kick-off")
    plain = b"video bytes 1"
    assert first.size_bytes == len(plain)
    assert first.checksum == hashlib.sha256(plain).hexdigest()
    assert first.purge_after == first.started_at + timedelta(days=365)
    stored = (Path(private_media) / first.media).read_bytes()
    assert plain not in stored  # encrypted at rest
    emails = set(first.participants.values_list("email", flat=True))
    assert emails == {"kim@globex.example", "sam@example.org"}
    transcript = ChatTranscript.objects.get()
    assert transcript.recording == first
    assert b"welcome" not in bytes(transcript.text_encrypted)
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count("retention.recording.registered") == 2
    assert actions.count("retention.import.finished") == 1


def test_json_import_reads_transcript_files(org, folder, actor):
    manifest = folder / "manifest.json"
    manifest.write_text(
        json.dumps(
            {
                "recordings": [
                    {
                        "organization": "globex",
                        "meeting_title": "Chat only",
                        "started_at": "2026-01-07T08:00:00+01:00",
                        "participants": ["kim@globex.example"],
                        "transcript_path": "chat2.txt",
                    }
                ]
            }
        )
    )
    call_command("import_recordings", str(manifest), stdout=StringIO())
    transcript = ChatTranscript.objects.get()
    assert transcript.recording is None
    grant_create(
        actor=actor,
        organization_id=org.pk,
        requested_by="a",
        approved_by="b",
        purpose="test",
    )
    assert content_open(actor=actor, item=transcript) == b"Kim: hello\nSam: hi"


def test_bad_row_imports_nothing_and_is_named(org, folder, private_media):
    rows = good_rows()
    rows.append(["globex", "Missing", "2026-01-08T10:00:00Z", "1", "", "nope.mp4", ""])
    rows.append(["initech", "", "yesterday", "-5", "not-an-email", "call3.mp4", ""])
    with pytest.raises(CommandError) as raised:
        call_command("import_recordings", str(write_csv(folder, rows)))
    message = str(raised.value)
    assert "nothing imported" in message
    assert "row 3: media file 'nope.mp4' does not exist" in message
    assert "row 4: unknown organization 'initech'" in message
    assert "row 4: started_at 'yesterday' is not an ISO 8601" in message
    assert "row 4: participant 'not-an-email'" in message
    assert "row 1" not in message and "row 2" not in message
    assert not Recording.objects.exists()
    assert not DataSubject.objects.exists()
    assert stored_files(Path(private_media)) == []


def test_row_of_a_disabled_organization_is_refused(org, folder, actor):
    recording_disable(actor=actor, organization_id=org.pk)
    with pytest.raises(CommandError, match="row 1: recording is disabled"):
        call_command("import_recordings", str(write_csv(folder, good_rows())))
    assert not Recording.objects.exists()


def test_failure_during_import_leaves_no_row_and_no_file(
    org, folder, private_media, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("storage failed")

    # Validation passes; the second item fails after the first was stored.
    monkeypatch.setattr(ingest_service, "transcript_register", broken)
    with pytest.raises(RuntimeError):
        call_command("import_recordings", str(write_csv(folder, good_rows())))
    assert not Recording.objects.exists()
    assert stored_files(Path(private_media)) == []


def test_dry_run_validates_and_imports_nothing(org, folder):
    out = StringIO()
    path = write_csv(folder, good_rows())
    call_command("import_recordings", str(path), "--dry-run", stdout=out)
    assert "dry run: 2 rows valid" in out.getvalue()
    assert not Recording.objects.exists()


def test_unknown_column_and_format_are_refused(org, folder):
    bad = folder / "manifest.csv"
    bad.write_text("organization,colour\nglobex,red\n")
    with pytest.raises(CommandError, match="unknown CSV columns: colour"):
        call_command("import_recordings", str(bad))
    other = folder / "manifest.xml"
    other.write_text("<x/>")
    with pytest.raises(CommandError, match=r"\.csv or \.json"):
        call_command("import_recordings", str(other))


def test_import_reports_progress(org, folder):
    out = StringIO()
    call_command("import_recordings", str(write_csv(folder, good_rows())), stdout=out)
    assert "import: 2/2" in out.getvalue()


# --- Staff upload in the admin ------------------------------------------------------


@pytest.fixture
def staff(client, officer):
    client.force_login(officer)
    return client


def upload_data(org, **extra):
    return {
        "organization": org.pk,
        "meeting_title": "Board call",
        "started_at": "2026-02-01 09:30",
        "duration_seconds": "900",
        "participants": "kim@globex.example",
        "media": SimpleUploadedFile("board.mp4", b"board video"),
        "transcript": SimpleUploadedFile("chat.txt", b"Kim: minutes"),
        **extra,
    }


def test_changelist_links_to_the_upload_page(staff, org):
    response = staff.get(reverse("admin:retention_app_recording_changelist"))
    assert reverse("admin:retention_app_recording_upload").encode() in response.content


def test_staff_upload_registers_through_the_service(staff, org, private_media):
    url = reverse("admin:retention_app_recording_upload")
    assert staff.get(url).status_code == 200
    response = staff.post(url, upload_data(org))
    assert response.status_code == 302
    recording = Recording.objects.get()
    assert recording.size_bytes == len(b"board video")
    assert recording.checksum == hashlib.sha256(b"board video").hexdigest()
    assert b"board video" not in (Path(private_media) / recording.media).read_bytes()
    assert ChatTranscript.objects.get().recording == recording
    event = AuditEvent.objects.get(action="retention.recording.registered")
    assert event.actor_type == "user" and event.actor_label == "officer"


def test_staff_upload_refused_for_disabled_organization(staff, org, actor):
    recording_disable(actor=actor, organization_id=org.pk)
    url = reverse("admin:retention_app_recording_upload")
    response = staff.post(url, upload_data(org))
    assert response.status_code == 200
    assert b"recording is disabled" in response.content
    assert not Recording.objects.exists()


def test_upload_needs_the_add_permission(client, django_user_model, org):
    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    client.force_login(user)
    url = reverse("admin:retention_app_recording_upload")
    assert client.get(url).status_code == 403
