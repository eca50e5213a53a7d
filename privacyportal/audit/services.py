"""Writing and checking the audit chain.

Invariants kept here:
- events are appended in one total order (``seq``); two writers never fork the
  chain because appends take a transaction-scoped lock (an advisory lock on
  PostgreSQL; SQLite's IMMEDIATE transactions already serialise writers);
- an event is written in the caller's transaction, so it exists iff the change
  it describes was committed;
- the only change ever made to an event is redaction of ``personal``, and each
  redaction is itself an event naming every event it cleared.

Checkpoints of the head, kept outside the database, are in ``checkpoints.py``;
what ``audit_verify`` proves with them, and what it cannot, in ``verify.py``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from privacyportal.audit.models import AuditEvent

GENESIS = "0" * 64
# Called as subscriber(event) right after an event is written, inside the
# transaction that wrote it (so what a subscriber records exists iff the event
# committed); a subscriber sends nothing itself but uses transaction.on_commit.
# Layers above register theirs in AppConfig.ready() (outgoing webhooks), so the
# services below never import them.
SUBSCRIBERS: list[Callable[[AuditEvent], None]] = []
# Arbitrary constant naming the audit append lock in pg_advisory_xact_lock.
_LOCK_KEY = 0x5052_4956_4155


@dataclass(frozen=True)
class Actor:
    """Who did something: a staff user, a data subject, the system, or an
    integration calling the API with a key."""

    type: str
    id: str = ""
    label: str = ""

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(AuditEvent.ActorType.SYSTEM, "", label)

    @classmethod
    def subject(cls, subject_id: int | None) -> Actor:
        return cls(AuditEvent.ActorType.SUBJECT, str(subject_id or ""), "data subject")

    @classmethod
    def api_key(cls, key_id: int, name: str) -> Actor:
        return cls(AuditEvent.ActorType.API_KEY, str(key_id), f"API key {name}")

    @classmethod
    def user(cls, user: Any) -> Actor:
        return cls(AuditEvent.ActorType.USER, str(user.pk), user.get_username())


def as_actor(actor: Any) -> Actor:
    """Accept an Actor, a Django user, or None (the system)."""
    if actor is None:
        return Actor.system()
    if isinstance(actor, Actor):
        return actor
    if getattr(actor, "is_authenticated", False):
        return Actor.user(actor)
    raise TypeError(f"not an actor: {actor!r}")


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def mac(message: str) -> str:
    key = settings.AUDIT_HMAC_KEY.encode()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def personal_digest(salt: str, personal: dict) -> str:
    return mac(f"{salt}|{_canonical(personal)}")


def event_hash(event: AuditEvent) -> str:
    """HMAC over the canonical form of an event, including ``prev_hash``."""
    body = {
        "seq": event.seq,
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat(),
        "actor": [event.actor_type, event.actor_id, event.actor_label],
        "action": event.action,
        "target": [event.target_type, event.target_id],
        "subject_id": event.subject_id,
        "data": event.data,
        "personal_digest": event.personal_digest,
        "prev_hash": event.prev_hash,
    }
    return mac(_canonical(body))


def lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def _target_ref(target: models.Model | tuple[str, Any] | None) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, tuple):
        return target[0], str(target[1])
    return target._meta.label_lower, str(target.pk)


def record(
    action: str,
    *,
    actor: Any,
    target: models.Model | tuple[str, Any] | None = None,
    subject_id: int | None = None,
    data: dict | None = None,
    personal: dict | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction.

    ``data`` names things by id; personal data goes in the redactable ``personal``.
    """
    who = as_actor(actor)
    target_type, target_id = _target_ref(target)
    # Round-trip through JSON so what is hashed is exactly what the database returns.
    data = json.loads(_canonical(data or {}))
    personal = json.loads(_canonical(personal or {}))
    salt = secrets.token_hex(16) if personal else ""
    with transaction.atomic():
        lock_chain()
        last = AuditEvent.objects.order_by("-seq").values("seq", "hash").first()
        event = AuditEvent(
            seq=(last["seq"] + 1) if last else 1,
            occurred_at=timezone.now(),
            actor_type=who.type,
            actor_id=who.id,
            actor_label=who.label,
            action=action,
            target_type=target_type,
            target_id=target_id,
            subject_id=subject_id,
            data=data,
            personal=personal,
            personal_salt=salt,
            personal_digest=personal_digest(salt, personal) if personal else "",
            prev_hash=last["hash"] if last else GENESIS,
        )
        event.hash = event_hash(event)
        event.save(force_insert=True)
        for subscriber in SUBSCRIBERS:
            subscriber(event)
    return event


REDACTED = "audit.subject.redacted"
DEFAULT_REDACTION_REASON = "erasure of the data subject's personal data"


def redact_subject(
    *, subject_id: int, actor: Any, reason: str = DEFAULT_REDACTION_REASON
) -> int:
    """Clear the personal field of every event about a subject; returns the count.

    Events stay in the chain: only ``personal`` is emptied and ``redacted`` set,
    neither of which the hash covers directly. The redaction is itself an event
    (who, when, why) naming every ``seq`` it cleared, so ``audit_verify`` can
    tell it from a row cleared behind the application's back. The chain lock is
    held from choosing the rows to clearing them: two redactions never race.
    """
    with transaction.atomic():
        lock_chain()
        seqs = list(
            AuditEvent.objects.filter(subject_id=subject_id, redacted=False)
            .exclude(personal={})
            .order_by("seq")
            .values_list("seq", flat=True)
        )
        event = record(
            REDACTED,
            actor=actor,
            subject_id=subject_id,
            data={"events": len(seqs), "seqs": seqs, "reason": reason},
        )
        count = AuditEvent.objects.filter(seq__in=seqs, redacted=False).update(
            personal={}, redacted=True, redacted_at=event.occurred_at
        )
        if count != len(seqs):  # the lock makes this impossible; never half-record
            raise RuntimeError(f"redacted {count} audit events, expected {len(seqs)}")
    return count


@dataclass(frozen=True)
class Checkpoint:
    """The head of the chain at a moment: the newest event's seq and hash.

    ``seq`` 0 with the genesis hash is the empty chain.
    """

    seq: int
    hash: str
    at: datetime


def chain_head() -> Checkpoint:
    """The newest committed event, read under the append lock (no write in flight)."""
    with transaction.atomic():
        lock_chain()
        last = AuditEvent.objects.order_by("-seq").values("seq", "hash").first()
    head = last or {"seq": 0, "hash": GENESIS}
    return Checkpoint(head["seq"], head["hash"], timezone.now())


@dataclass(frozen=True)
class Break:
    seq: int
    event_id: int | None  # None when the event is missing altogether
    problem: str
    # Found after the walk: every link of the chain verified, yet this is wrong.
    after_walk: bool = False


def _check(event: AuditEvent, expected_prev: str, expected_seq: int) -> str | None:
    if event.seq != expected_seq:
        return f"sequence gap: expected #{expected_seq}"
    if event.prev_hash != expected_prev:
        return "prev_hash does not match the previous event's hash"
    if event.hash != event_hash(event):
        return "hash does not match the event's contents"
    digest = event.personal_digest
    recomputed = personal_digest(event.personal_salt, event.personal) if digest else ""
    if not event.redacted and digest != recomputed:
        return "personal data does not match its digest"
    if event.redacted and event.personal:
        return "event marked redacted still holds personal data"
    return None


def _check_anchor(event: AuditEvent, anchors: Mapping[int, Checkpoint]) -> str | None:
    anchor = anchors.get(event.seq)
    if anchor is None or anchor.hash == event.hash:
        return None
    return (
        f"differs from the checkpoint taken {anchor.at:%Y-%m-%d %H:%M} UTC: the "
        "chain was rewritten at or before this event"
    )


class _Redactions:
    """Redacted events that no redaction event (later in the chain) names yet."""

    def __init__(self) -> None:
        self.pending: dict[int, tuple[int, int | None]] = {}  # seq: (id, subject)

    def see(self, event: AuditEvent) -> None:
        if event.redacted:
            self.pending[event.seq] = (event.pk, event.subject_id)
        if event.action != REDACTED:
            return
        if "seqs" in event.data:
            for seq in event.data["seqs"]:
                self.pending.pop(seq, None)
        else:  # written before redactions named their events: the whole subject
            for seq, (_, subject_id) in list(self.pending.items()):
                if subject_id == event.subject_id:
                    del self.pending[seq]

    def first_unexplained(self) -> Break | None:
        if not self.pending:
            return None
        seq = min(self.pending)
        others = len(self.pending) - 1
        more = f" ({others} more like it)" if others else ""
        return Break(
            seq,
            self.pending[seq][0],
            "personal data cleared without a redaction event naming it: changed "
            f"behind the application's back{more}",
            after_walk=True,
        )


def _truncation(checked: int, anchors: Mapping[int, Checkpoint]) -> Break | None:
    beyond = [a for a in anchors.values() if a.seq > checked]
    if not beyond:
        return None
    newest = max(beyond, key=lambda a: a.seq)
    lost = (
        f"event #{newest.seq} was"
        if newest.seq == checked + 1
        else f"events #{checked + 1} to #{newest.seq} were"
    )
    return Break(
        newest.seq,
        None,
        f"missing: the checkpoint taken {newest.at:%Y-%m-%d %H:%M} UTC recorded "
        f"event #{newest.seq} as the newest, but the chain ends at #{checked}: "
        f"{lost} deleted",
        after_walk=True,
    )


def verify_chain(
    *, chunk_size: int = 2000, anchors: Mapping[int, Checkpoint] | None = None
) -> Iterator[tuple[int, Break | None]]:
    """Walk the chain in order; yields (events checked, first break or None).

    Besides every link, checks that each ``anchors`` checkpoint (seq: head)
    names an event with that hash, that none lies beyond the end of the chain,
    and that every redacted event is named by a redaction event.
    """
    anchors = anchors or {}
    prev, expected, checked = GENESIS, 1, 0
    redactions = _Redactions()
    events = AuditEvent.objects.order_by("seq").iterator(chunk_size=chunk_size)
    for event in events:
        problem = _check(event, prev, expected) or _check_anchor(event, anchors)
        checked += 1
        if problem:
            yield checked, Break(event.seq, event.pk, problem)
            return
        redactions.see(event)
        prev, expected = event.hash, event.seq + 1
        if checked % chunk_size == 0:
            yield checked, None
    yield checked, _truncation(checked, anchors) or redactions.first_unexplained()
