"""A year of demo consent choices, so the opt-in chart has a shape.

The services record a choice at "now"; a year of history cannot be replayed
through them. These events are inserted straight into the ledger (inserting
is all its trigger allows) with past dates, source "Import" and the reason
below, and each person's current state is set to their latest demo choice —
what ``consent_grant``/``consent_withdraw`` keep in step in normal operation.
No AuditEvent is written for them: they are history, not decisions taken now.

Idempotent: nothing is added once events with this reason exist.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.utils import timezone

from consent_app.models import ConsentEvent, ConsentState, Purpose, Source
from privacyportal.subjects.models import DataSubject

REASON = "demo history (seed_demo)"
# Chance of opting in, early in the year and late: one purpose gains, one loses.
TRENDS = [(0.35, 0.75), (0.8, 0.45), (0.55, 0.6), (0.3, 0.3), (0.65, 0.85)]


def seed(*, rng: random.Random, actor: Any) -> dict[str, int]:
    if ConsentEvent.objects.filter(reason=REASON).exists():
        return {"consent events": 0}
    purposes = list(
        Purpose.objects.filter(active=True, legal_basis="consent").order_by("position")
    )
    people = list(
        DataSubject.objects.filter(requester_only=False, is_under_13=False).order_by(
            "pk"
        )[:40]
    )
    events = [
        event
        for person in people
        for number, purpose in enumerate(purposes)
        for event in _history(rng, person, purpose, TRENDS[number % len(TRENDS)])
    ]
    ConsentEvent.objects.bulk_create(events)
    _states(events)
    return {"consent events": len(events)}


def _history(
    rng: random.Random, person: DataSubject, purpose: Purpose, trend: tuple
) -> list[ConsentEvent]:
    now, (early, late) = timezone.now(), trend
    ages = sorted((rng.randint(2, 360) for _ in range(rng.randint(1, 4))), reverse=True)
    events = []
    for age in ages:
        chance = late + (early - late) * age / 360
        granted = rng.random() < chance
        events.append(
            ConsentEvent(
                subject=person,
                purpose=purpose,
                action="granted" if granted else "withdrawn",
                source=Source.IMPORT,
                reason=REASON,
                actor_label="seed_demo",
                occurred_at=now - timedelta(days=age, minutes=rng.randint(0, 900)),
            )
        )
    return events


def _states(events: list[ConsentEvent]) -> None:
    latest: dict[tuple[int, int], ConsentEvent] = {}
    for event in sorted(events, key=lambda e: e.occurred_at):
        latest[event.subject_id, event.purpose_id] = event
    for (subject, purpose), event in latest.items():
        ConsentState.objects.update_or_create(
            subject_id=subject,
            purpose_id=purpose,
            defaults={
                "granted": event.action == "granted",
                "since": event.occurred_at,
                "source": event.source,
                "last_event": event,
            },
        )
