"""Every write to consent, and the one read other systems rely on.

Invariants kept here:
- a ``ConsentEvent`` and the ``ConsentState`` it produces are written in one
  transaction, with the state row locked, so concurrent changes serialise and
  the state always equals the latest event;
- events are only ever appended; erasure redacts their personal fields;
- a withdrawal of what is already withdrawn by an earlier event adds nothing
  (a mail client repeating a one-click unsubscribe POST, a second click);
- nothing can be granted for a child under 13;
- every change writes an AuditEvent in the same transaction.
"""

from __future__ import annotations

import ipaddress
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from consent_app.models import (
    ConsentEvent,
    ConsentState,
    PolicyVersion,
    Purpose,
    Source,
)
from privacyportal import audit
from privacyportal.audit.services import Actor, as_actor
from privacyportal.subjects.models import normalize_email

CHILD_REASON = "child under 13"


class ConsentError(ValueError):
    """A consent change the rules refuse; the message is safe to show."""


class UnknownPurpose(ConsentError):
    pass


def truncate_ip(ip: str | None) -> str | None:
    """Keep the network, drop the host: /24 for IPv4, /48 for IPv6."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    prefix = 24 if address.version == 4 else 48
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    return str(network.network_address)


def purpose_get(code: str) -> Purpose:
    purpose = Purpose.objects.filter(code=code, active=True).first()
    if purpose is None:
        raise UnknownPurpose(f"unknown purpose {code!r}")
    return purpose


def purpose_save(*, actor: Any, purpose: Purpose, fields: list[str]) -> Purpose:
    """Create or edit a purpose (Privacy Officers, in the admin)."""
    with transaction.atomic():
        created = purpose.pk is None
        purpose.save()
        audit.record(
            f"consent.purpose.{'created' if created else 'updated'}",
            actor=actor,
            target=purpose,
            data={"code": purpose.code, "fields": fields},
        )
    return purpose


# --- the read -------------------------------------------------------------------

# One query: the purpose by its unique code, LEFT JOINed to the state by the
# (subject, purpose) unique index. Raw SQL because it runs on every decision;
# on PostgreSQL a server-side prepared statement (one per connection) skips the
# planning of the join, which costs more than executing it.
_ALLOWS_SQL = """
SELECT p.default_granted, p.children_allowed, p.reconsent_since, s.granted, s.since
FROM consent_app_purpose p
LEFT JOIN consent_app_consentstate s ON s.purpose_id = p.id AND s.subject_id = %s
WHERE p.code = %s AND p.active
"""
_PREPARED = "consent_allows_v1"
_prepared_on: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _allows_row(subject_id: int | None, code: str) -> tuple | None:
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(_ALLOWS_SQL, [subject_id, code])
            return cursor.fetchone()
        raw = connection.connection
        if raw not in _prepared_on:
            _prepare(cursor)
            _prepared_on[raw] = True
        cursor.execute(f"EXECUTE {_PREPARED}(%s, %s)", [subject_id, code])
        return cursor.fetchone()


def _prepare(cursor: Any) -> None:
    # PREPARE is not transactional and lives as long as the session: check
    # first, since an error here would abort the caller's transaction.
    cursor.execute("SELECT 1 FROM pg_prepared_statements WHERE name = %s", [_PREPARED])
    if cursor.fetchone() is None:
        sql = _ALLOWS_SQL.replace("%s", "$1::bigint", 1).replace("%s", "$2::text", 1)
        cursor.execute(f"PREPARE {_PREPARED} AS {sql}")


def consent_allows(
    subject: Any, purpose_code: str, *, at: datetime | None = None
) -> bool:
    """May this subject's data be used for this purpose?

    ``at`` is when the data in question was collected; None means "any data we
    hold", which includes data collected before a less-protective policy change,
    so a consent that needs renewing answers no until it is given again.
    Unknown purposes raise ``UnknownPurpose``.
    """
    if getattr(subject, "processing_restricted", False):
        return False
    row = _allows_row(getattr(subject, "pk", subject), purpose_code)
    if row is None:
        raise UnknownPurpose(f"unknown purpose {purpose_code!r}")
    return _decide(subject, row, at)


def _decide(subject: Any, row: tuple, at: datetime | None) -> bool:
    """The answer from (default, children allowed, re-consent since, granted,
    since): the rule ``consent_allows`` and ``consent_answers`` share."""
    if getattr(subject, "processing_restricted", False):
        return False
    default, children_allowed, reconsent_since, granted, since = row
    if getattr(subject, "is_under_13", False) and not children_allowed:
        return False
    if not (default if granted is None else granted):
        return False
    return _renewed(reconsent_since, since, at)


@dataclass(frozen=True)
class ConsentAnswer:
    """What ``consent_allows`` says, with the state behind it (None: no choice)."""

    allowed: bool
    since: datetime | None
    policy_version: str | None


_STATES_SQL = """
SELECT lower(trim(d.email)), d.is_under_13, d.processing_restricted,
    s.purpose_id, s.granted, s.since, v.label
FROM subjects_datasubject d
LEFT JOIN consent_app_consentstate s
    ON s.subject_id = d.id AND s.purpose_id IN ({purposes})
LEFT JOIN consent_app_policyversion v ON v.id = s.policy_version_id
WHERE d.email IS NOT NULL AND lower(trim(d.email)) IN ({emails})
"""


def consent_answers(
    emails: Sequence[str], purposes: Sequence[Purpose]
) -> dict[tuple[str, int], ConsentAnswer]:
    """``consent_allows`` for every (address, purpose) pair, in one query.

    Keyed by (normalised address, purpose id). An address the portal does not
    know gets each purpose's default answer. Each answer carries its state's
    time and policy version (None where the person never chose).
    """
    wanted = sorted({normalize_email(e) for e in emails} - {None})
    people: dict[str, SimpleNamespace] = {}
    states: dict[tuple[str, int], tuple] = {}
    if wanted and purposes:
        sql = _STATES_SQL.format(
            purposes=", ".join(["%s"] * len(purposes)),
            emails=", ".join(["%s"] * len(wanted)),
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [p.pk for p in purposes] + wanted)
            for email, under_13, restricted, purpose_id, *state in cursor.fetchall():
                people[email] = SimpleNamespace(
                    is_under_13=under_13, processing_restricted=restricted
                )
                states[email, purpose_id] = state
    return {
        (email, p.pk): _answer_from(
            people.get(email),
            (p.default_granted, p.children_allowed, p.reconsent_since),
            states.get((email, p.pk)),
        )
        for email in (normalize_email(e) for e in emails)
        for p in purposes
    }


def _answer_from(person: Any, purpose: tuple, state: tuple | None) -> ConsentAnswer:
    """From (default, children allowed, re-consent since) and (granted, since,
    policy version label) or None; ``person`` None for an unknown address."""
    granted, since, label = state or (None, None, None)
    allowed = _decide(person, (*purpose, granted, since), None)
    return ConsentAnswer(allowed, _aware(since) if since else None, label)


_ANSWER_SQL = """
SELECT p.default_granted, p.children_allowed, p.reconsent_since, s.granted, s.since,
    d.is_under_13, d.processing_restricted, v.label
FROM consent_app_purpose p
LEFT JOIN subjects_datasubject d
    ON d.email IS NOT NULL AND lower(trim(d.email)) = %s
LEFT JOIN consent_app_consentstate s ON s.purpose_id = p.id AND s.subject_id = d.id
LEFT JOIN consent_app_policyversion v ON v.id = s.policy_version_id
WHERE p.code = %s AND p.active
"""


def consent_answer(email: str, purpose_code: str) -> ConsentAnswer | None:
    """``consent_allows`` for an address, with its state's time and policy version.

    One query (the API's single read: purpose, person and state at once, by
    the same index as ``by_email``); an address the portal does not know gets
    the purpose's default. None for an unknown or inactive purpose.
    """
    with connection.cursor() as cursor:
        cursor.execute(_ANSWER_SQL, [normalize_email(email), purpose_code])
        row = cursor.fetchone()
    if row is None:
        return None
    *purpose, granted, since, under_13, restricted, label = row
    person = SimpleNamespace(is_under_13=under_13, processing_restricted=restricted)
    return _answer_from(person, tuple(purpose), (granted, since, label))


def _renewed(reconsent_since: Any, since: Any, at: datetime | None) -> bool:
    """The re-consent gate after a less-protective policy version."""
    if reconsent_since is None:
        return True
    reconsent_since = _aware(reconsent_since)
    since = _aware(since) if since else None
    if since is not None and since >= reconsent_since:
        return True  # consented again under the new version
    return at is not None and at >= reconsent_since


def _aware(value: Any) -> datetime:
    """Raw SQL on SQLite returns naive UTC datetimes (or strings); make them aware."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --- the writes -----------------------------------------------------------------


def consent_grant(
    *,
    actor: Any,
    subject: Any,
    purpose: str,
    source: str,
    evidence: str = "",
    ip: str | None = None,
    user_agent: str = "",
    reason: str = "",
) -> ConsentEvent:
    """Record a grant; refused for a child under 13 and for unknown purposes."""
    if subject.is_under_13:
        raise ConsentError(
            gettext(
                "No purpose can be granted for a person under 13: their data is "
                "deleted, not used."
            )
        )
    return _record(
        action=ConsentEvent.Action.GRANTED,
        actor=actor,
        subject=subject,
        purpose=purpose_get(purpose),
        source=source,
        evidence=evidence,
        ip=ip,
        user_agent=user_agent,
        reason=reason,
    )


def consent_withdraw(
    *,
    actor: Any,
    subject: Any,
    purpose: str,
    source: str,
    evidence: str = "",
    ip: str | None = None,
    user_agent: str = "",
    reason: str = "",
) -> ConsentEvent | None:
    """Record a withdrawal; always allowed (withdrawing is never harder).

    Returns None, recording nothing, when an earlier event withdrew it already.
    """
    return _record(
        action=ConsentEvent.Action.WITHDRAWN,
        actor=actor,
        subject=subject,
        purpose=purpose_get(purpose),
        source=source,
        evidence=evidence,
        ip=ip,
        user_agent=user_agent,
        reason=reason,
    )


def consent_withdraw_all(
    *,
    actor: Any,
    subject: Any,
    source: str,
    evidence: str = "",
    ip: str | None = None,
    user_agent: str = "",
) -> list[ConsentEvent]:
    """Turn off, at once, every active purpose that is on for this person.

    "On" is the stored answer: granted, or granted by default where the person
    never chose. Each such purpose gets the same withdrawal event and AuditEvent
    a single ``consent_withdraw`` writes (current policy version, source,
    evidence); purposes already off get nothing, so a repeat writes nothing.
    All of it is one transaction: either every purpose is off, or none changed.
    The subject's state rows are locked first, in id order, so a concurrent
    single change or a second "everything off" waits rather than interleaves.
    """
    _check_source(source, "", evidence)
    events: list[ConsentEvent] = []
    with transaction.atomic():
        stored = dict(
            ConsentState.objects.select_for_update()
            .filter(subject_id=subject.pk)
            .order_by("pk")
            .values_list("purpose_id", "granted")
        )
        for purpose in Purpose.objects.filter(active=True):
            if not stored.get(purpose.pk, purpose.default_granted):
                continue
            event = _record(
                action=ConsentEvent.Action.WITHDRAWN,
                actor=actor,
                subject=subject,
                purpose=purpose,
                source=source,
                evidence=evidence,
                ip=ip,
                user_agent=user_agent,
                reason="",
            )
            if event is not None:
                events.append(event)
    return events


def _check_source(source: str, reason: str, evidence: str) -> None:
    if source not in Source.values:
        raise ConsentError(f"unknown source {source!r}")
    if source == Source.STAFF and not (reason.strip() or evidence.strip()):
        raise ConsentError(
            gettext("Staff acting on someone's behalf must give a reason.")
        )


def _lock_state(subject: Any, purpose: Purpose, now: datetime) -> ConsentState:
    """Make sure the state row exists, then lock it for this transaction."""
    ConsentState.objects.bulk_create(
        [
            ConsentState(
                subject_id=subject.pk,
                purpose=purpose,
                granted=purpose.default_granted,
                since=now,
                source=Source.SYSTEM,
            )
        ],
        ignore_conflicts=True,
    )
    return ConsentState.objects.select_for_update().get(
        subject_id=subject.pk, purpose=purpose
    )


def _record(
    *,
    action: str,
    actor: Any,
    subject: Any,
    purpose: Purpose,
    source: str,
    evidence: str,
    ip: str | None,
    user_agent: str,
    reason: str,
) -> ConsentEvent | None:
    _check_source(source, reason, evidence)
    who = as_actor(actor)
    with transaction.atomic():
        state = _lock_state(subject, purpose, timezone.now())
        if _already_withdrawn(action, state):
            return None
        # Read the clock only once the lock is held, so event times follow the
        # order in which changes took effect.
        now = timezone.now()
        version = PolicyVersion.objects.current()
        event = ConsentEvent.objects.create(
            subject_id=subject.pk,
            purpose=purpose,
            action=action,
            policy_version=version,
            source=source,
            reason=reason[:300],
            actor_label=who.label[:150],
            ip=truncate_ip(ip),
            user_agent=(user_agent or "")[:400],
            evidence=evidence,
            occurred_at=now,
        )
        ConsentState.objects.filter(pk=state.pk).update(
            granted=action == ConsentEvent.Action.GRANTED,
            since=now,
            policy_version=version,
            source=source,
            last_event=event,
        )
        audit.record(
            f"consent.consent.{action}",
            actor=actor,
            target=event,
            subject_id=subject.pk,
            data={
                "purpose": purpose.code,
                "source": source,
                "policy_version": version.label if version else None,
                "reason": reason,
                "previously": "granted" if state.granted else "withdrawn",
            },
        )
    return event


def _already_withdrawn(action: str, state: ConsentState) -> bool:
    # Decided under the row lock, so two concurrent repeats record one event.
    # A default-off state with no event is not a choice: its first explicit
    # withdrawal is recorded, so a later change of default cannot switch it on.
    return (
        action == ConsentEvent.Action.WITHDRAWN
        and not state.granted
        and state.last_event_id is not None
    )


def current_choice(subject: Any, purpose: Purpose) -> bool | None:
    """The stored answer, or None where the person never chose."""
    return (
        ConsentState.objects.filter(subject_id=subject.pk, purpose=purpose)
        .values_list("granted", flat=True)
        .first()
    )


def _withdraw_all(
    *, actor: Any, subject: Any, purposes: Any, source: str, evidence: str, reason: str
) -> int:
    """Withdraw each purpose that is granted, or that has no state yet (so a
    default can never re-enable it); already-withdrawn ones are left alone."""
    withdrawn = set(
        ConsentState.objects.filter(subject_id=subject.pk, granted=False).values_list(
            "purpose_id", flat=True
        )
    )
    count = 0
    with transaction.atomic():
        for purpose in purposes:
            if purpose.pk in withdrawn:
                continue
            _record(
                action=ConsentEvent.Action.WITHDRAWN,
                actor=actor,
                subject=subject,
                purpose=purpose,
                source=source,
                evidence=evidence,
                ip=None,
                user_agent="",
                reason=reason,
            )
            count += 1
    return count


def marketing_opt_out(
    *, actor: Any, subject: Any, source: str, evidence: str = ""
) -> int:
    """Withdraw every marketing purpose not already withdrawn; returns the count."""
    purposes = Purpose.objects.filter(active=True, is_marketing=True)
    return _withdraw_all(
        actor=actor,
        subject=subject,
        purposes=purposes,
        source=source,
        evidence=evidence,
        reason="marketing opt-out",
    )


def withdraw_for_child(*, subject: Any, actor: Any) -> int:
    """UNDER_13_HOOKS entry: a child's consents all end, with the reason recorded."""
    return _withdraw_all(
        actor=actor,
        subject=subject,
        purposes=Purpose.objects.filter(active=True),
        source=Source.SYSTEM,
        evidence="",
        reason=CHILD_REASON,
    )


def gpc_honour(*, subject: Any, ip: str | None = None, user_agent: str = "") -> bool:
    """Record a GPC withdrawal of targeted advertising, once per subject.

    Once: nothing is recorded when the answer is already "withdrawn", nor when a
    GPC withdrawal exists already (a later explicit grant by the person stands).
    Returns True when the signal is (or was earlier) honoured for this subject.
    """
    purpose = Purpose.objects.filter(code=GPC_PURPOSE, active=True).first()
    if purpose is None:
        return False
    earlier = ConsentEvent.objects.filter(
        subject_id=subject.pk, purpose=purpose, source=Source.GPC
    ).exists()
    if earlier or current_choice(subject, purpose) is False:
        return True
    _record(
        action=ConsentEvent.Action.WITHDRAWN,
        actor=Actor.subject(subject.pk),
        subject=subject,
        purpose=purpose,
        source=Source.GPC,
        evidence="Sec-GPC: 1 header on a portal page",
        ip=ip,
        user_agent=user_agent,
        reason="Global Privacy Control signal",
    )
    return True


GPC_PURPOSE = "targeted-advertising"


# --- redaction (erasure) --------------------------------------------------------


def ledger_redact(*, actor: Any, subject: Any) -> int:
    """Clear IP, user agent and evidence text of a subject's events; keep the rows."""
    with transaction.atomic():
        count = ConsentEvent.objects.filter(
            subject_id=subject.pk, redacted=False
        ).update(
            ip=None,
            user_agent="",
            evidence="",
            redacted=True,
            redacted_at=timezone.now(),
        )
        audit.record(
            "consent.ledger.redacted",
            actor=actor,
            target=("subjects.datasubject", subject.pk),
            subject_id=subject.pk,
            data={"events": count},
        )
    return count


def unsubscribe_headers(subject: Any, purpose_code: str) -> dict[str, Any]:
    """List-Unsubscribe headers (RFC 8058) for one marketing e-mail to a subject.

    Use inside the transaction that calls ``queue_email(headers=...)``.
    """
    from consent_app.links import unsubscribe_headers as make

    return make(subject, purpose_code)
