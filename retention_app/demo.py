"""Demo recordings, transcripts, call records, applicants, a hold, an override
and a month of past sweeps.

Idempotent: every item has a stable identity (organization + meeting title,
applicant e-mail, hold matter reference; call records as a set) and is created
only when missing.
Identities never depend on the random draws (which depend on what the other
apps' demos drew before), so a second run adds nothing.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.utils import timezone

from privacyportal.retention import Action
from privacyportal.subjects.models import DataSubject, Organization
from retention_app.models import (
    CallRecord,
    DeletionRecord,
    JobApplicant,
    LegalHold,
    Recording,
    RecordingSettings,
    SweepRun,
)
from retention_app.services import (
    IngestItem,
    applicant_register,
    call_record_register,
    hold_place,
    recording_settings_update,
    recordings_import,
)

MEETINGS = [
    "Weekly engineering sync",
    "Customer onboarding",
    "Quarterly business review",
    "Parent-teacher evening",
    "Incident retrospective",
    "Sales pipeline review",
]
POSITIONS = ["Support engineer", "Account executive", "Video codec developer"]
OUTCOMES = ["rejected", "rejected", "withdrawn", "hired", "pending"]
APPLICANTS = ["Alex Moreau", "Bea Lund", "Cem Yilmaz", "Dana Ortiz", "Eli Novak"]
HOLD_MATTER = "DEMO-LIT-2026-01"
HOLD_ORG = "initech"
OVERRIDE_ORG = "acme-schools"


def seed(*, rng: random.Random, actor: Any) -> dict[str, int]:
    orgs = list(Organization.objects.order_by("pk")[:5])
    people = list(DataSubject.objects.filter(requester_only=False).order_by("pk")[:40])
    if not orgs:
        return {"recordings": 0}
    counts = {"recording overrides": _override(actor)}
    counts["recordings"], counts["transcripts"] = _meetings(rng, actor, orgs, people)
    counts["call records"] = _calls(rng, actor, orgs, people)
    counts["applicants"] = _applicants(rng, actor)
    counts["legal holds"] = _hold(actor)
    counts["past sweeps"] = _past_sweeps(rng, orgs)
    return counts


def _override(actor: Any) -> int:
    """A school district keeps recordings 90 days and chats 30 (its own choice)."""
    org = Organization.objects.filter(slug=OVERRIDE_ORG).first()
    if org is None or RecordingSettings.objects.filter(organization=org).exists():
        return 0
    recording_settings_update(
        actor=actor,
        organization_id=org.pk,
        recording_days=90,
        transcript_days=30,
        confirmed=True,
    )
    return 1


def _media(rng: random.Random) -> bytes:
    # A few KiB standing in for video: an MP4-like header and noise.
    size = rng.randint(2048, 8192)
    return b"\x00\x00\x00\x18ftypmp42" + rng.randbytes(size)


def _meetings(
    rng: random.Random, actor: Any, orgs: list, people: list
) -> tuple[int, int]:
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    items = []
    for i, org in enumerate(orgs):
        # Titles are the identity, so they do not depend on the random state.
        titles = (MEETINGS[i:] + MEETINGS[:i])[:4]
        for n, title in enumerate(titles):
            # Spread over ~16 months, so some are already past their retention.
            started = now - timedelta(days=rng.randint(2, 480), hours=n)
            attendees = rng.sample(people, min(len(people), rng.randint(2, 4)))
            media = _media(rng)
            chat = rng.random() < 0.6
            if _seeded(org, title):
                continue
            items.append(
                IngestItem(
                    organization_id=org.pk,
                    meeting_title=title,
                    started_at=started,
                    duration_seconds=rng.randint(600, 5400),
                    participant_emails=tuple(p.email for p in attendees if p.email),
                    media_bytes=media,
                    transcript=_chat(attendees) if chat else None,
                )
            )
    if not items:
        return 0, 0
    result = recordings_import(actor=actor, items=items, source="seed_demo")
    return result.recordings, result.transcripts


def _seeded(org: Organization, title: str) -> bool:
    # Not by start time: a second run starts from a later clock.
    return Recording.objects.filter(organization=org, meeting_title=title).exists()


def _chat(attendees: list) -> str:
    lines = [
        "can everyone see my screen?",
        "yes, looks good",
        "I'll share the notes after the call",
        "thanks all",
    ]
    names = [a.name or "Guest" for a in attendees] or ["Guest"]
    return "\n".join(f"{names[i % len(names)]}: {line}" for i, line in enumerate(lines))


def _calls(rng: random.Random, actor: Any, orgs: list, people: list) -> int:
    if CallRecord.objects.exists():
        return 0
    now = timezone.now()
    for _ in range(30):
        org = rng.choice(orgs)
        subject = rng.choice(people) if people else None
        call_record_register(
            actor=actor,
            organization_id=org.pk,
            subject_id=subject.pk if subject else None,
            started_at=now - timedelta(days=rng.randint(1, 900)),
            duration_seconds=rng.randint(60, 7200),
            participant_count=rng.randint(2, 25),
        )
    return 30


def _applicants(rng: random.Random, actor: Any) -> int:
    created = 0
    now = timezone.now()
    for n, name in enumerate(APPLICANTS):
        email = f"{name.split()[0].lower()}.applicant{n}@example.net"
        applied = now - timedelta(days=rng.randint(30, 400))
        outcome = rng.choice(OUTCOMES)
        position = rng.choice(POSITIONS)
        if JobApplicant.objects.filter(email=email).exists():
            continue
        applicant_register(
            actor=actor,
            name=name,
            email=email,
            position=position,
            applied_at=applied,
            outcome=outcome,
            decided_at=None if outcome == "pending" else applied + timedelta(days=21),
        )
        created += 1
    return created


def _hold(actor: Any) -> int:
    org = Organization.objects.filter(slug=HOLD_ORG).first()
    if org is None or LegalHold.objects.filter(matter_reference=HOLD_MATTER).exists():
        return 0
    hold_place(
        actor=actor,
        scope=LegalHold.Scope.ORGANIZATION,
        organization_id=org.pk,
        reason="Pending litigation: preserve all recordings and call records",
        matter_reference=HOLD_MATTER,
    )
    return 1


PAST_SWEEPS = "seed_demo (demo history)"
SWEPT = [
    ("retention.recordings", Action.DELETE, 6),
    ("retention.transcripts", Action.DELETE, 9),
    ("retention.call_records", Action.DELETE, 25),
    ("retention.applicants", Action.ANONYMISE, 1),
]


def _past_sweeps(rng: random.Random, orgs: list) -> int:
    """Thirty nightly sweeps with their deletion records, for the dashboard.

    A sweep deletes only what has expired now; it cannot be made to have run
    last month. These runs and records are inserted directly with past dates
    (the ledger's trigger allows inserts) and say who made them: their item
    ids ("demo-...") name no real item.
    """
    if SweepRun.objects.filter(triggered_by=PAST_SWEEPS).exists():
        return 0
    today = timezone.now().replace(hour=2, minute=0, second=0, microsecond=0)
    for age in range(30, 0, -1):
        started = today - timedelta(days=age)
        run = SweepRun.objects.create(
            started_at=started,
            finished_at=started + timedelta(minutes=3),
            status=SweepRun.Status.FINISHED,
            triggered_by=PAST_SWEEPS,
        )
        records = [
            DeletionRecord(
                category=category,
                item_id=f"demo-{age}-{category.rsplit('.', 1)[-1]}-{n}",
                organization_id=rng.choice(orgs).pk,
                action=action,
                reason=DeletionRecord.Reason.RETENTION,
                policy_key=category,
                policy_version=1,
                deleted_at=started + timedelta(minutes=1),
                sweep_run=run,
            )
            for category, action, usual in SWEPT
            for n in range(rng.randint(0, usual * 2))
        ]
        DeletionRecord.objects.bulk_create(records)
        run.counts = dict.fromkeys((c for c, _, _ in SWEPT), 0)
        for record in records:
            run.counts[record.category] += 1
        run.duration_seconds = 180.0
        run.save(update_fields=["counts", "duration_seconds"])
    return 30
