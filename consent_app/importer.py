"""Importing consents from another system: all rows or none.

Every row is validated before anything is written; one bad row means nothing
is imported and the report names each bad row by its line number.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from consent_app.models import ConsentEvent, Purpose, Source
from consent_app.services import consent_grant, consent_withdraw
from privacyportal.subjects.models import DataSubject, normalize_email
from privacyportal.subjects.services import subject_get_or_create

REQUIRED = ("email", "purpose", "action")
ACTIONS = {a.value for a in ConsentEvent.Action}


@dataclass
class ImportRow:
    line: int
    email: str
    purpose: str
    action: str
    evidence: str = ""
    given_at: str = ""


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    subjects_created: int = 0
    dry_run: bool = False
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def read_csv(lines: Iterable[str]) -> tuple[list[ImportRow], list[tuple[int, str]]]:
    reader = csv.DictReader(lines)
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        return [], [(1, f"missing column(s): {', '.join(missing)}")]
    rows = []
    for record in reader:
        clean = {k: (v or "").strip() for k, v in record.items() if k}
        rows.append(
            ImportRow(
                line=reader.line_num,
                email=clean["email"],
                purpose=clean["purpose"],
                action=clean["action"].lower(),
                evidence=clean.get("evidence", ""),
                given_at=clean.get("given_at", ""),
            )
        )
    return rows, []


def _row_error(row: ImportRow, purposes: set[str], children: set[str]) -> str | None:
    try:
        validate_email(row.email)
    except ValidationError:
        return f"malformed e-mail address {row.email!r}"
    if row.purpose not in purposes:
        return f"unknown purpose {row.purpose!r}"
    if row.action not in ACTIONS:
        return f"action must be granted or withdrawn, not {row.action!r}"
    if row.given_at:
        try:
            datetime.fromisoformat(row.given_at)
        except ValueError:
            return f"given_at is not an ISO date-time: {row.given_at!r}"
    if row.action == "granted" and normalize_email(row.email) in children:
        return "consent cannot be granted for a child under 13"
    return None


def validate(rows: list[ImportRow]) -> list[tuple[int, str]]:
    purposes = set(Purpose.objects.filter(active=True).values_list("code", flat=True))
    emails = {normalize_email(r.email) for r in rows}
    children = {
        normalize_email(e)
        for e in DataSubject.objects.filter(is_under_13=True, email__isnull=False)
        .filter(email__in=emails)
        .values_list("email", flat=True)
    }
    errors = []
    for row in rows:
        problem = _row_error(row, purposes, children)
        if problem:
            errors.append((row.line, problem))
    return errors


def consents_import(
    *,
    actor: Any,
    rows: list[ImportRow],
    source_name: str,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Validate every row, then (unless dry-run) record them in one transaction."""
    report = ImportReport(rows=len(rows), dry_run=dry_run, errors=validate(rows))
    if report.errors or dry_run:
        return report
    with transaction.atomic():
        for done, row in enumerate(rows, start=1):
            _import_row(actor, row, source_name, report)
            if progress:
                progress(done)
    return report


def _import_row(actor: Any, row: ImportRow, source_name: str, report: ImportReport):
    subject, created = subject_get_or_create(
        actor=actor, email=row.email, requester_only=False
    )
    report.subjects_created += created
    change = consent_grant if row.action == "granted" else consent_withdraw
    evidence = f"imported from {source_name}, line {row.line}"
    if row.given_at:
        evidence += f"; originally recorded at {row.given_at}"
    if row.evidence:
        evidence += f"; {row.evidence}"
    change(
        actor=actor,
        subject=subject,
        purpose=row.purpose,
        source=Source.IMPORT,
        evidence=evidence,
    )
    report.imported += 1
