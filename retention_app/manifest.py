"""Reading and validating an import manifest (CSV or JSON), before anything is written.

Columns / keys, one meeting per row:
  organization      slug of the customer organization (required)
  meeting_title     (required, at most 300 characters)
  started_at        ISO 8601, e.g. 2026-03-01T09:30:00+01:00 (no zone = the
                    portal's TIME_ZONE); not in the future
  duration_seconds  whole seconds (default 0)
  participants      e-mail addresses; ";"-separated in CSV, a list in JSON
  media             path of the media file (relative to the manifest)
  transcript        chat text, or
  transcript_path   path of a UTF-8 text file with the chat
A row needs media, a transcript, or both.

Every row is checked and every problem is reported ("row 3: ...", rows
counted from 1 after the CSV header); the import only starts when none is found.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from privacyportal.subjects.models import Organization, normalize_email
from retention_app.models import RecordingSettings
from retention_app.services.ingest import IngestItem

FIELDS = (
    "organization",
    "meeting_title",
    "started_at",
    "duration_seconds",
    "participants",
    "media",
    "transcript",
    "transcript_path",
)
MAX_TITLE = 300


class ManifestError(ValueError):
    """The manifest cannot be read at all (format, encoding, shape)."""


@dataclass
class Checked:
    items: list[IngestItem] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def read_manifest(path: Path) -> list[dict[str, Any]]:
    """The manifest's rows as dicts; the format comes from the file extension."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"cannot read {path}: {exc}") from None
    if path.suffix.lower() == ".json":
        return _json_rows(text)
    if path.suffix.lower() == ".csv":
        return _csv_rows(text)
    raise ManifestError("the manifest must be a .csv or .json file")


def _json_rows(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(f"invalid JSON: {exc}") from None
    if isinstance(data, dict):
        data = data.get("recordings")
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise ManifestError('JSON must be a list of objects (or {"recordings": [...]})')
    return data


def _csv_rows(text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(text.splitlines())
    unknown = set(reader.fieldnames or ()) - set(FIELDS)
    if unknown:
        raise ManifestError(f"unknown CSV columns: {', '.join(sorted(unknown))}")
    return [dict(row) for row in reader]


def check_rows(rows: list[dict[str, Any]], *, base_dir: Path) -> Checked:
    """Validate every row; returns the items, or every error found."""
    checked = Checked()
    if not rows:
        checked.errors.append("the manifest has no rows")
    organizations = _organizations(rows)
    for number, row in enumerate(rows, start=1):
        try:
            checked.items.append(_item(row, organizations, base_dir))
        except ValidationError as exc:
            checked.errors.extend(f"row {number}: {m}" for m in exc.messages)
    return checked


def _organizations(rows: list[dict[str, Any]]) -> dict[str, tuple[int, bool]]:
    """slug -> (id, recording enabled), in two queries for the whole manifest."""
    slugs = {str(r.get("organization") or "").strip() for r in rows}
    found = dict(Organization.objects.filter(slug__in=slugs).values_list("slug", "pk"))
    disabled = set(
        RecordingSettings.objects.filter(
            organization_id__in=found.values(), recording_enabled=False
        ).values_list("organization_id", flat=True)
    )
    return {slug: (pk, pk not in disabled) for slug, pk in found.items()}


def _item(
    row: dict[str, Any], organizations: dict[str, tuple[int, bool]], base_dir: Path
) -> IngestItem:
    problems: list[str] = []
    unknown = set(row) - set(FIELDS)
    if unknown:
        problems.append(f"unknown fields {', '.join(sorted(unknown))}")
    slug = _text(row, "organization")
    org_id, enabled = organizations.get(slug, (0, False))
    if not org_id:
        problems.append(f"unknown organization {slug!r}")
    elif not enabled:
        problems.append(f"recording is disabled for organization {slug!r}")
    title = _text(row, "meeting_title")
    if not title or len(title) > MAX_TITLE:
        problems.append(f"meeting_title is required (at most {MAX_TITLE} characters)")
    started = _started_at(row, problems)
    duration = _duration(row, problems)
    emails = _emails(row, problems)
    media = _path(row, "media", base_dir, problems)
    transcript = _transcript(row, base_dir, problems)
    if media is None and transcript is None and not problems:
        problems.append("a row needs media, a transcript, or both")
    if problems:
        raise ValidationError(problems)
    return IngestItem(
        organization_id=org_id,
        meeting_title=title,
        started_at=started,
        duration_seconds=duration,
        participant_emails=emails,
        media_path=media,
        transcript=transcript,
    )


def _text(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    return "" if value is None else str(value).strip()


def _started_at(row: dict[str, Any], problems: list[str]):
    raw = _text(row, "started_at")
    try:
        value = parse_datetime(raw)
    except ValueError:
        value = None
    if value is None:
        problems.append(f"started_at {raw!r} is not an ISO 8601 date and time")
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > timezone.now():
        problems.append("started_at is in the future")
    return value


def _duration(row: dict[str, Any], problems: list[str]) -> int:
    raw = _text(row, "duration_seconds") or "0"
    if not raw.isdigit() or int(raw) > 7 * 24 * 3600:
        problems.append(f"duration_seconds {raw!r} is not a whole number up to a week")
        return 0
    return int(raw)


def _emails(row: dict[str, Any], problems: list[str]) -> tuple[str, ...]:
    raw = row.get("participants") or []
    parts = raw if isinstance(raw, list) else str(raw).replace(",", ";").split(";")
    emails = []
    for part in parts:
        email = normalize_email(str(part))
        if not email:
            continue
        try:
            validate_email(email)
        except ValidationError:
            problems.append(f"participant {email!r} is not an e-mail address")
            continue
        if email not in emails:
            emails.append(email)
    return tuple(emails)


def _path(
    row: dict[str, Any], key: str, base_dir: Path, problems: list[str]
) -> Path | None:
    raw = _text(row, key)
    if not raw:
        return None
    path = (base_dir / raw).resolve()
    if not path.is_file():
        problems.append(f"{key} file {raw!r} does not exist")
        return None
    return path


def _transcript(row: dict[str, Any], base_dir: Path, problems: list[str]) -> str | None:
    text = row.get("transcript")
    path = _path(row, "transcript_path", base_dir, problems)
    if text and path:
        problems.append("give transcript or transcript_path, not both")
        return None
    if path is None:
        return str(text) if text else None
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.append(f"transcript_path {path.name!r} is not UTF-8 text")
        return None
