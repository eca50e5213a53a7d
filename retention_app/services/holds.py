"""Legal holds: placed and released by officers; they beat every deletion.

Invariants:
- every row in an active hold's scope has ``held = true`` (new rows are born
  held), so the sweep's DELETE and the PostgreSQL trigger can check one column;
- placing or releasing a hold takes an exclusive advisory lock that each sweep
  batch and each ingest takes shared: a hold never lands half-way through a
  batch, and a row created meanwhile cannot miss it.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from privacyportal import audit
from privacyportal.retention import Holds
from retention_app.models import (
    CallRecord,
    ChatTranscript,
    JobApplicant,
    LegalHold,
    Recording,
)

# Arbitrary constant naming the hold lock in pg_advisory_xact_lock.
_HOLD_LOCK = 0x5245_5445_4E54


class HoldError(ValueError):
    """A hold that cannot be placed or released as asked."""


class HeldError(Exception):
    """A deletion refused because legal holds cover the item; names them."""

    def __init__(self, holds: list[LegalHold]) -> None:
        self.holds = holds
        super().__init__("refused: under " + ", ".join(str(h) for h in holds))


def lock_holds(*, shared: bool) -> None:
    """Serialise hold changes against sweep batches and ingest (PostgreSQL only;
    SQLite's IMMEDIATE transactions already serialise every writer)."""
    if connection.vendor != "postgresql":
        return
    fn = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {fn}(%s)", [_HOLD_LOCK])


def _scope(hold: LegalHold) -> list[models.QuerySet]:
    """Every row a hold protects, per model."""
    if hold.scope == LegalHold.Scope.ORGANIZATION:
        org = hold.organization_id
        return [
            Recording.objects.filter(organization_id=org),
            ChatTranscript.objects.filter(organization_id=org),
            CallRecord.objects.filter(organization_id=org),
        ]
    if hold.scope == LegalHold.Scope.SUBJECT:
        subject = hold.subject_id
        recordings = Recording.objects.filter(participants=subject)
        return [
            Recording.objects.filter(pk__in=recordings.values("pk")),
            ChatTranscript.objects.filter(
                models.Q(participants=subject)
                | models.Q(recording__in=recordings.values("pk"))
            ).distinct(),
            CallRecord.objects.filter(subject_id=subject),
            JobApplicant.objects.filter(subject_id=subject),
        ]
    ids = hold.recording_ids
    return [
        Recording.objects.filter(pk__in=ids),
        ChatTranscript.objects.filter(recording_id__in=ids),
    ]


def _mark(hold: LegalHold) -> int:
    total = 0
    for queryset in _scope(hold):
        pks = queryset.filter(held=False).values("pk")
        total += queryset.model.objects.filter(pk__in=pks).update(held=True)
    return total


def hold_place(
    *,
    actor: Any,
    scope: str,
    reason: str,
    matter_reference: str = "",
    organization_id: int | None = None,
    subject_id: int | None = None,
    recording_ids: list[int] | None = None,
) -> LegalHold:
    """Place a hold and mark every row in scope held, in one transaction."""
    reason = (reason or "").strip()
    if not reason:
        raise HoldError("a legal hold needs a reason")
    _check_scope(scope, organization_id, subject_id, recording_ids)
    user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        lock_holds(shared=False)
        hold = LegalHold.objects.create(
            scope=scope,
            reason=reason,
            matter_reference=matter_reference.strip(),
            organization_id=organization_id,
            subject_id=subject_id,
            recording_ids=sorted(set(recording_ids or [])),
            placed_by=user,
        )
        marked = _mark(hold)
        audit.record(
            "retention.hold.placed",
            actor=actor,
            target=hold,
            subject_id=subject_id,
            data={"scope": scope, "organization_id": organization_id, "rows": marked},
        )
    return hold


def _check_scope(
    scope: str,
    organization_id: int | None,
    subject_id: int | None,
    recording_ids: list[int] | None,
) -> None:
    wanted = {
        LegalHold.Scope.ORGANIZATION: organization_id,
        LegalHold.Scope.SUBJECT: subject_id,
        LegalHold.Scope.RECORDINGS: recording_ids,
    }
    if scope not in wanted:
        raise HoldError(f"unknown hold scope {scope!r}")
    if not wanted[scope]:
        raise HoldError(f"a hold on {scope} must name what it covers")


def hold_release(*, actor: Any, hold: LegalHold, reason: str = "") -> bool:
    """Release a hold; rows stay held if another active hold covers them."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        lock_holds(shared=False)
        released = LegalHold.objects.filter(pk=hold.pk, released_at=None).update(
            released_at=timezone.now(), released_by=user, release_reason=reason
        )
        if released != 1:
            return False
        for queryset in _scope(hold):
            pks = queryset.filter(held=True).values("pk")
            queryset.model.objects.filter(pk__in=pks).update(held=False)
        for other in LegalHold.objects.filter(released_at=None):
            _mark(other)
        audit.record(
            "retention.hold.released",
            actor=actor,
            target=hold,
            subject_id=hold.subject_id,
            data={"reason": reason},
        )
    hold.refresh_from_db()
    return True


def active_holds() -> Holds:
    """Active holds by scope (the provider behind privacyportal.retention)."""
    holds = Holds()
    for hold in LegalHold.objects.filter(released_at=None).order_by("pk"):
        if hold.organization_id and hold.scope == LegalHold.Scope.ORGANIZATION:
            holds.organizations.setdefault(hold.organization_id, str(hold))
        if hold.subject_id and hold.scope == LegalHold.Scope.SUBJECT:
            holds.subjects.setdefault(hold.subject_id, str(hold))
    return holds


def holds_covering(
    *,
    organization_id: int | None = None,
    subject_ids: set[int] | frozenset[int] = frozenset(),
    recording_id: int | None = None,
) -> list[LegalHold]:
    """Active holds covering an item with these attributes, oldest first."""
    return covering(
        unreleased_holds(),
        organization_id=organization_id,
        subject_ids=subject_ids,
        recording_id=recording_id,
    )


def unreleased_holds() -> list[LegalHold]:
    """Every hold not released, oldest first (a handful: read once per batch)."""
    return list(LegalHold.objects.filter(released_at=None).order_by("pk"))


def covering(
    holds: list[LegalHold],
    *,
    organization_id: int | None = None,
    subject_ids: set[int] | frozenset[int] = frozenset(),
    recording_id: int | None = None,
) -> list[LegalHold]:
    """Those of ``holds`` that cover an item with these attributes."""
    return [
        hold
        for hold in holds
        if (hold.scope == "organization" and hold.organization_id == organization_id)
        or (hold.scope == "subject" and hold.subject_id in subject_ids)
        or (hold.scope == "recordings" and recording_id in hold.recording_ids)
    ]
