"""Every write to the incident register.

Invariants kept here:
- every incident gets a reference INC-<year>-<4 digits>, sequential per year;
- a status changes only through a conditional UPDATE from the expected state
  (open -> assessed | not notifiable; open | assessed -> notified;
  notified | not notifiable -> closed); a refused change changes nothing;
- a notification made after the notice period in force (72 elapsed hours under
  the GDPR) is recorded only with its reason (Art. 33(1));
- each reminder point (a third and two thirds of the period and 6 hours before
  its end: 24, 48, 66 for 72 hours; clocks.reminder_hours) and the overdue
  escalation is claimed once by a conditional UPDATE and e-mailed under an
  outbox key, so a scan run twice, or delivered twice, sends nothing twice;
- every change writes an AuditEvent in the same transaction.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from incidents_app import clocks
from incidents_app.models import (
    AuthorityNoticeRule,
    CompromiseCounter,
    CompromiseReport,
    Incident,
    IncidentCounter,
    StateNoticeRule,
)
from privacyportal import audit, mail
from privacyportal.audit.services import Actor
from privacyportal.rules import EffectiveDatedRule, covers
from requests_app.services.common import (
    LinkInvalid,
    email_staff,
    hash_token,
    privacy_officers,
)

S = Incident.Status


class IncidentRefused(ValueError):
    """The change is not allowed now; the message says why, in plain words."""


def next_reference(year: int) -> str:
    """INC-<year>-<4 digits>; one UPDATE ... RETURNING increments and reads."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE incidents_app_incidentcounter SET last = last + 1 "
            "WHERE year = %s RETURNING last",
            [year],
        )
        row = cursor.fetchone()
    if row is None:
        with transaction.atomic():
            IncidentCounter.objects.get_or_create(year=year)
        return next_reference(year)
    return f"INC-{year}-{row[0]:04d}"


def incident_save(*, actor: Any, incident: Incident, fields: list[str]) -> Incident:
    """Record a new incident or change its description (not its status)."""
    with transaction.atomic():
        created = incident.pk is None
        if created:
            year = timezone.localdate(incident.became_aware_at).year
            incident.reference = next_reference(year)
        incident.save()
        audit.record(
            f"incidents.incident.{'recorded' if created else 'updated'}",
            actor=actor,
            target=incident,
            data={"reference": incident.reference, "fields": sorted(fields)},
        )
    return incident


def _transition(
    incident: Incident, expected: list[str], new: str, **changes: Any
) -> None:
    """Move ``incident`` from one of ``expected`` to ``new``, or refuse."""
    updated = Incident.objects.filter(pk=incident.pk, status__in=expected).update(
        status=new, updated_at=timezone.now(), **changes
    )
    if updated != 1:
        current = Incident.objects.get(pk=incident.pk).get_status_display()
        raise IncidentRefused(
            f"{incident.reference} is {current.lower()}: this cannot be done now."
        )
    incident.refresh_from_db()


def incident_decide(
    *,
    actor: Any,
    incident: Incident,
    risk: str,
    notify_authority: bool,
    reasons: str,
    notify_people: bool | None = None,
    people_reason: str = "",
) -> Incident:
    """Record the risk assessment and whether the authority must be told.

    Open -> assessed (to notify) or not notifiable. A decision not to notify
    stops the reminders; its reasons are required (Art. 33(5)).
    """
    if risk not in (Incident.Risk.NONE, Incident.Risk.RISK, Incident.Risk.HIGH):
        raise IncidentRefused(f"{incident.reference}: choose the level of risk.")
    if not reasons.strip():
        raise IncidentRefused(
            f"{incident.reference}: give the reasons for the decision."
        )
    if risk == Incident.Risk.HIGH and notify_people is None:
        raise IncidentRefused(
            f"{incident.reference}: a high risk needs a decision on telling the "
            "people affected (Art. 34)."
        )
    new = S.ASSESSED if notify_authority else S.NOT_NOTIFIABLE
    with transaction.atomic():
        _transition(
            incident,
            [S.OPEN],
            new,
            risk=risk,
            notify_authority=notify_authority,
            decision_reasons=reasons.strip(),
            notify_people=notify_people,
            people_reason=people_reason.strip(),
            decided_at=timezone.now(),
            decided_by=getattr(actor, "pk", None),
        )
        audit.record(
            "incidents.incident.decided",
            actor=actor,
            target=incident,
            data={
                "reference": incident.reference,
                "risk": incident.get_risk_display(),
                "notify_authority": notify_authority,
                "notify_people": notify_people,
            },
        )
    return incident


def incident_mark_notified(
    *,
    actor: Any,
    incident: Incident,
    notified_at: datetime,
    authority_reference: str = "",
    late_reason: str = "",
) -> Incident:
    """Record that the supervisory authority was notified.

    A notification after the notice period needs its reason (Art. 33(1)); without
    one nothing changes. The time cannot be in the future or before awareness.
    """
    now = timezone.now()
    if notified_at > now or notified_at < incident.became_aware_at:
        raise IncidentRefused(
            f"{incident.reference}: the time of notification must lie between "
            "becoming aware and now."
        )
    late = clocks.is_late(incident.authority_due_at, notified_at)
    if late and not late_reason.strip():
        due = timezone.localtime(incident.authority_due_at)
        raise IncidentRefused(
            f"{incident.reference} was due to be notified by {due:%d %b %Y %H:%M}: "
            "a late notification needs its reason."
        )
    with transaction.atomic():
        _transition(
            incident,
            [S.OPEN, S.ASSESSED],
            S.NOTIFIED,
            notify_authority=True,
            authority_notified_at=notified_at,
            authority_reference=authority_reference.strip(),
            late_reason=late_reason.strip() if late else "",
        )
        audit.record(
            "incidents.incident.authority_notified",
            actor=actor,
            target=incident,
            data={
                "reference": incident.reference,
                "notified_at": notified_at.isoformat(),
                "late": late,
            },
        )
    return incident


def incident_close(*, actor: Any, incident: Incident) -> Incident:
    """Close a decided incident; its record stays in the register."""
    with transaction.atomic():
        _transition(
            incident, [S.NOTIFIED, S.NOT_NOTIFIABLE], S.CLOSED, closed_at=timezone.now()
        )
        audit.record(
            "incidents.incident.closed",
            actor=actor,
            target=incident,
            data={"reference": incident.reference},
        )
    return incident


def state_rule_save(
    *, actor: Any, rule: StateNoticeRule, fields: list[str]
) -> StateNoticeRule:
    """Add or change a version of a state's notice period (Privacy Officers).

    The form has run the rule's clean() (no overlapping versions). Refused, with
    nothing saved, where state_rule_check refuses; the audit event holds the
    period and its dates.
    """
    rule.state = rule.state.strip().upper()
    data = {"state": rule.state, "days": rule.days}
    with transaction.atomic():
        # One editor of a state's versions at a time: the check reads them all.
        list(StateNoticeRule.objects.select_for_update().filter(state=rule.state))
        state_rule_check(rule)
        _rule_save(actor, rule, "incidents.state_rule", data, fields)
    return rule


def authority_rule_save(
    *, actor: Any, rule: AuthorityNoticeRule, fields: list[str]
) -> AuthorityNoticeRule:
    """Add or change a version of the authority notice period (Privacy Officers).

    Refused, with nothing saved, where authority_rule_check refuses. Incidents'
    deadlines are read from these rows (through a cache dropped here and at
    commit).
    """
    data = {"code": rule.code, "hours": rule.hours, "jurisdictions": rule.jurisdictions}
    with transaction.atomic():
        # One editor of the periods at a time: the check reads all of them.
        list(AuthorityNoticeRule.objects.select_for_update().order_by("pk"))
        authority_rule_check(rule)
        _rule_save(actor, rule, "incidents.authority_rule", data, fields)
    clocks.authority_periods_forget()
    return rule


def _rule_save(
    actor: Any, rule: EffectiveDatedRule, action: str, data: dict, fields: list[str]
) -> None:
    with transaction.atomic():
        created = rule.pk is None
        rule.save()
        audit.record(
            f"{action}.{'created' if created else 'updated'}",
            actor=actor,
            target=rule,
            data={
                **data,
                "in_force": rule.in_force_label,
                "fields": sorted(fields),
            },
        )


# --- notice periods already counted: frozen -------------------------------------
# An incident keeps the period of the version in force on its day of awareness.
# Once one was counted under a version, the version's period and whom it applies
# to are fixed, and no save may move any incident's deadline: a change of law is
# a new version starting after the incidents already counted.

# The fields of a version that decide an incident's dates, in staff's words.
STATE_FROZEN = {"state": "state", "effective_from": "first day", "days": "days"}
AUTHORITY_FROZEN = {
    "jurisdictions": "where the people affected live",
    "effective_from": "first day",
    "hours": "hours",
}


@dataclass(frozen=True)
class Counted:
    """An incident as the notice periods see it."""

    reference: str
    day: date  # the portal-local day of awareness
    jurisdictions: list[str]


def _incidents_aware(first: date, last: date | None) -> list[Counted]:
    """Incidents whose day of awareness lies in [first, last], oldest first."""
    # A day's margin either side: the local day is computed below, not in SQL.
    edge = datetime.combine(first - timedelta(days=1), time(), tzinfo=UTC)
    rows = Incident.objects.filter(became_aware_at__gte=edge)
    if last is not None:
        end = datetime.combine(last + timedelta(days=2), time(), tzinfo=UTC)
        rows = rows.filter(became_aware_at__lt=end)
    found = (
        Counted(ref, timezone.localdate(at), where or [])
        for ref, at, where in rows.order_by("became_aware_at").values_list(
            "reference", "became_aware_at", "jurisdictions"
        )
    )
    return [c for c in found if covers(first, last, c.day)]


def _span(*rules: EffectiveDatedRule | None) -> tuple[date, date | None]:
    """The days any of ``rules`` covers (an open end stays open)."""
    dated = [r for r in rules if r is not None]
    ends = [r.effective_to for r in dated]
    last = None if None in ends else max(ends)
    return min(r.effective_from for r in dated), last


def _stored(rule: EffectiveDatedRule) -> Any:
    return type(rule).objects.filter(pk=rule.pk).first() if rule.pk else None


def state_rule_counted(rule: StateNoticeRule) -> list[Counted]:
    """Incidents counted under the saved version ``rule`` (aware while in force,
    people affected in its state)."""
    code = f"US-{rule.state}"
    rows = _incidents_aware(rule.effective_from, rule.effective_to)
    return [c for c in rows if code in c.jurisdictions]


def _state_days(versions: list[StateNoticeRule], state: str, day: date) -> int | None:
    return next(
        (v.days for v in versions if v.state == state and v.in_force(day)), None
    )


def state_rule_check(rule: StateNoticeRule) -> None:
    """Refuse (IncidentRefused) a version, new or changed, that would change a
    date already counted: a counted version's fields in STATE_FROZEN, its end
    before its last incident, or any incident's number of days."""
    stored = _stored(rule)
    counted = state_rule_counted(stored) if stored else []
    _refuse_frozen(rule, stored, counted, STATE_FROZEN)
    states = {rule.state, stored.state if stored else rule.state}
    others = list(StateNoticeRule.objects.filter(state__in=states).exclude(pk=rule.pk))
    before, after = [*others, *filter(None, [stored])], [*others, rule]
    for incident in _incidents_aware(*_span(rule, stored)):
        for state in states:
            if f"US-{state}" not in incident.jurisdictions:
                continue
            if _state_days(before, state, incident.day) != _state_days(
                after, state, incident.day
            ):
                _refuse_moved(rule, incident)


def _period(rule: AuthorityNoticeRule) -> clocks.AuthorityPeriod:
    return clocks.AuthorityPeriod(
        tuple(rule.jurisdictions), rule.hours, rule.effective_from, rule.effective_to
    )


def authority_rule_counted(rule: AuthorityNoticeRule) -> list[Counted]:
    """Incidents whose hours were chosen from the saved version ``rule``."""
    periods = [_period(r) for r in AuthorityNoticeRule.objects.all()]
    mine = _period(rule)
    rows = _incidents_aware(rule.effective_from, rule.effective_to)
    return [
        c for c in rows if mine in clocks.counted_under(periods, c.day, c.jurisdictions)
    ]


def authority_rule_check(rule: AuthorityNoticeRule) -> None:
    """Refuse (IncidentRefused) a version, new or changed, that would change a
    deadline already counted: a counted version's fields in AUTHORITY_FROZEN,
    its end before its last incident, or any incident's hours."""
    stored = _stored(rule)
    counted = authority_rule_counted(stored) if stored else []
    _refuse_frozen(rule, stored, counted, AUTHORITY_FROZEN)
    others = [_period(r) for r in AuthorityNoticeRule.objects.exclude(pk=rule.pk)]
    before = [*others, *([_period(stored)] if stored else [])]
    after = [*others, _period(rule)]
    for incident in _incidents_aware(*_span(rule, stored)):
        where = incident.jurisdictions
        if clocks.authority_hours(before, incident.day, where) != (
            clocks.authority_hours(after, incident.day, where)
        ):
            _refuse_moved(rule, incident)


def _refuse_frozen(
    rule: Any, stored: Any, counted: list[Counted], frozen: dict[str, str]
) -> None:
    if not counted:
        return
    changed = [
        words
        for name, words in frozen.items()
        if _comparable(getattr(rule, name)) != _comparable(getattr(stored, name))
    ]
    last = counted[-1]
    under = counted_words(counted)
    if changed:
        raise IncidentRefused(
            f"{stored}: {under}, so its {' and '.join(changed)} can no longer "
            "change. For a change of law, end this version and add a new one "
            f"from a day after {last.day:%-d %b %Y}."
        )
    if rule.effective_to is not None and rule.effective_to < last.day:
        raise IncidentRefused(
            f"{stored}: {last.reference} became known on {last.day:%-d %b %Y} and "
            "was counted under this version, so it cannot end before that day."
        )


def _comparable(value: Any) -> Any:
    # A list of codes chosen in another order is the same list.
    return sorted(value) if isinstance(value, list) else value


def counted_words(counted: list[Counted]) -> str:
    """'INC-2026-0001 was counted under this version', '3 incidents (...) were'."""
    if len(counted) == 1:
        return f"{counted[0].reference} was counted under this version"
    shown = ", ".join(c.reference for c in counted[:3])
    more = ", ..." if len(counted) > 3 else ""
    return f"{len(counted)} incidents ({shown}{more}) were counted under this version"


def _refuse_moved(rule: Any, incident: Counted) -> None:
    raise IncidentRefused(
        f"{rule}: this would change the period of {incident.reference}, which "
        f"became known on {incident.day:%-d %b %Y}. An incident keeps the period "
        "it was counted under: start the new version after that day."
    )


# --- the clock scan ---------------------------------------------------------------


def _context(incident: Incident, now: datetime) -> dict:
    due = incident.authority_due_at
    return {
        "period": incident.authority_hours,
        "reference": incident.reference,
        "title": incident.title,
        "aware_at": f"{timezone.localtime(incident.became_aware_at):%d %b %Y %H:%M %Z}",
        "due_at": f"{timezone.localtime(due):%d %b %Y %H:%M %Z}",
        "time_left": clocks.time_left_words(due, now),
        "admin_url": settings.SITE_URL
        + reverse("admin:incidents_app_incident_change", args=[incident.pk]),
    }


def _remind(incident: Incident, now: datetime) -> int:
    period = incident.authority_hours
    stage = clocks.reminder_due(incident.became_aware_at, now, period)
    if stage <= incident.reminded_hours:
        return 0
    with transaction.atomic():
        claimed = Incident.objects.filter(
            pk=incident.pk, reminded_hours__lt=stage, status__in=[S.OPEN, S.ASSESSED]
        ).update(reminded_hours=stage)
        if not claimed:
            return 0
        context = {**_context(incident, now), "hours": stage}
        email_staff(
            privacy_officers(),
            "incidents_reminder",
            f"incident:{incident.pk}:reminder:{stage}h",
            context,
        )
        audit.record(
            "incidents.incident.reminded",
            actor=None,
            target=incident,
            data={"reference": incident.reference, "hours": stage, "period": period},
        )
    return 1


def _escalate(incident: Incident, now: datetime) -> int:
    if incident.escalated_at is not None or now < incident.authority_due_at:
        return 0
    with transaction.atomic():
        claimed = Incident.objects.filter(
            pk=incident.pk, escalated_at__isnull=True, status__in=[S.OPEN, S.ASSESSED]
        ).update(escalated_at=now)
        if not claimed:
            return 0
        email_staff(
            privacy_officers(),
            "incidents_overdue",
            f"incident:{incident.pk}:overdue",
            _context(incident, now),
        )
        audit.record(
            "incidents.incident.overdue",
            actor=None,
            target=incident,
            data={"reference": incident.reference, "period": incident.authority_hours},
        )
    return 1


def incidents_scan(*, now: datetime | None = None) -> dict[str, int]:
    """Send due reminders and overdue escalations for incidents not yet notified.

    Only the latest point reached is sent (a scan that resumes after 50 hours of
    a 72-hour period sends the 48-hour reminder, not the 24-hour one as well).
    Each incident's points follow the period it is counted under.
    """
    now = now or timezone.now()
    counts = {"reminded": 0, "escalated": 0}
    first = clocks.first_alert_hours(clocks.authority_periods())
    earliest = now - timedelta(hours=first)
    for incident in Incident.objects.awaiting_authority().filter(
        became_aware_at__lte=earliest
    ):
        counts["reminded"] += _remind(incident, now)
        counts["escalated"] += _escalate(incident, now)
    return counts


# --- reads for the admin and the regulator ---------------------------------------


def state_notice_dates(incident: Incident) -> list[clocks.StateDue]:
    """Each affected state's period in force on the day of awareness."""
    states = [c[3:] for c in incident.jurisdictions if c.startswith("US-")]
    aware_on = timezone.localdate(incident.became_aware_at)
    in_force = StateNoticeRule.objects.on(aware_on).filter(state__in=states)
    rules = dict(in_force.values_list("state", "days"))
    return clocks.state_due_dates(incident.became_aware_at, states, rules)


# --- compromised-account reports ------------------------------------------------
# Invariants:
# - a report is filed the same way for every address: one INSERT and one
#   queued e-mail, never a look-up of who the address belongs to;
# - the confirmation link is single-use (the UNCONFIRMED -> RECEIVED update
#   must touch one row) and expires; only its token's hash is stored;
# - confirming gives the reference, tells the Privacy Officers and acknowledges
#   to the reporter once (outbox keys), in one transaction with its audit event;
# - an incident is opened from a report at most once.

CR = CompromiseReport.Status
COMPROMISE_MINTER = "incidents.compromise"
# Long enough for a mailbox that is slow or being recovered.
COMPROMISE_LINK_HOURS = 48
# Unconfirmed reports are deleted after this many days (the purge job).
COMPROMISE_UNCONFIRMED_DAYS = 7


class CompromiseLinkExpired(LinkInvalid):
    """The link was right but its time is over."""


def _next_report_reference(year: int) -> str:
    """CR-<year>-<4 digits>; one UPDATE ... RETURNING increments and reads."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE incidents_app_compromisecounter SET last = last + 1 "
            "WHERE year = %s RETURNING last",
            [year],
        )
        row = cursor.fetchone()
    if row is None:
        with transaction.atomic():
            CompromiseCounter.objects.get_or_create(year=year)
        return _next_report_reference(year)
    return f"CR-{year}-{row[0]:04d}"


def compromise_report_submit(
    *,
    what_happened: str,
    email: str,
    happened_on: date | None = None,
    phone: str = "",
    account_name: str = "",
    language: str = "",
    now: datetime | None = None,
) -> CompromiseReport:
    """File an unconfirmed report and queue its confirmation e-mail.

    Nothing is audited yet: an unconfirmed report is nobody's decision and is
    deleted unread after COMPROMISE_UNCONFIRMED_DAYS.
    """
    now = now or timezone.now()
    with transaction.atomic():
        report = CompromiseReport.objects.create(
            what_happened=what_happened,
            email=email,
            happened_on=happened_on,
            phone=phone,
            account_name=account_name,
            language=language,
            # A token nobody holds until the e-mail is sent (compromise_link_mint).
            token_hash=hash_token(secrets.token_urlsafe(32)),
            link_expires_at=now + timedelta(hours=COMPROMISE_LINK_HOURS),
            created_at=now,
        )
        mail.queue_email(
            key=f"compromise:{report.pk}:verify",
            to=email,
            template="compromise_verify",
            context={
                "link": mail.secret_link(COMPROMISE_MINTER, report.pk),
                "hours": COMPROMISE_LINK_HOURS,
            },
            language=language,
        )
    return report


def compromise_confirm_url(token: str) -> str:
    return settings.SITE_URL + reverse("incidents:compromise_confirm", args=[token])


def compromise_link_mint(report_id: int) -> str:
    """Link minter (privacyportal.mail): a fresh token for an unconfirmed report."""
    token = secrets.token_urlsafe(32)
    if not CompromiseReport.objects.filter(
        pk=report_id, status=CR.UNCONFIRMED, link_expires_at__gt=timezone.now()
    ).update(token_hash=hash_token(token)):
        raise mail.LinkGone(f"compromise report {report_id} is confirmed or expired")
    return compromise_confirm_url(token)


def compromise_report_find(token: str, *, now: datetime) -> CompromiseReport:
    """The unconfirmed report a live link belongs to, or LinkInvalid."""
    if not token or len(token) > 100:
        raise LinkInvalid("malformed")
    report = CompromiseReport.objects.filter(token_hash=hash_token(token)).first()
    if report is None or report.status != CR.UNCONFIRMED:
        raise LinkInvalid("unknown or used")
    if report.link_expires_at <= now:
        raise CompromiseLinkExpired("expired")
    return report


def compromise_link_confirmed(token: str) -> bool:
    """Whether a link belongs to a report already confirmed (for its holder only)."""
    if not token or len(token) > 100:
        return False
    return (
        CompromiseReport.objects.filter(token_hash=hash_token(token))
        .exclude(status=CR.UNCONFIRMED)
        .exists()
    )


def compromise_report_verify(*, token: str) -> CompromiseReport:
    """Confirm a report: its reference, the staff intake and the acknowledgement.

    Runs once per report: a second POST, or the same link opened twice, finds
    the report no longer unconfirmed and raises LinkInvalid.
    """
    now = timezone.now()
    with transaction.atomic():
        report = compromise_report_find(token, now=now)
        reference = _next_report_reference(timezone.localdate(now).year)
        if not CompromiseReport.objects.filter(
            pk=report.pk, status=CR.UNCONFIRMED
        ).update(status=CR.RECEIVED, verified_at=now, reference=reference):
            raise LinkInvalid("confirmed concurrently")
        report.refresh_from_db()
        audit.record(
            "incidents.compromise.confirmed",
            actor=Actor.subject(None),
            target=report,
            data={"reference": reference},
        )
        _compromise_intake_emails(report)
    return report


def _compromise_intake_emails(report: CompromiseReport) -> None:
    admin_url = settings.SITE_URL + reverse(
        "admin:incidents_app_compromisereport_change", args=[report.pk]
    )
    email_staff(
        privacy_officers(),
        "staff_compromise_report",
        f"compromise:{report.pk}:staff",
        # No text of the report: staff read it in the admin, behind the login.
        {"reference": report.reference, "admin_url": admin_url},
    )
    mail.queue_email(
        key=f"compromise:{report.pk}:ack",
        to=report.email,
        template="compromise_received",
        context={"reference": report.reference},
        language=report.language,
    )


def incident_description_from(report: CompromiseReport) -> str:
    """The description an incident opened from ``report`` starts with (also
    found and removed when the report is anonymised: sources.anonymise_reports)."""
    parts = [f"Reported by the public ({report.reference}):", report.what_happened]
    if report.happened_on:
        parts.append(f"When, as reported: {report.happened_on:%d %b %Y}.")
    if report.account_name:
        parts.append(f"Account named: {report.account_name}.")
    return "\n\n".join(parts)


def compromise_incident_open(*, actor: Any, report: CompromiseReport) -> Incident:
    """Open an Incident from a confirmed report (once), aware since confirmation.

    The notice period runs from when the company could first read the report, its
    confirmation, not from when staff get round to it.
    """
    with transaction.atomic():
        locked = CompromiseReport.objects.select_for_update().get(pk=report.pk)
        if locked.status != CR.RECEIVED:
            raise IncidentRefused(
                f"{locked} is {locked.get_status_display().lower()}: "
                "no incident can be opened from it now."
            )
        occurred = None
        if locked.happened_on:
            occurred = timezone.make_aware(datetime.combine(locked.happened_on, time()))
        incident = incident_save(
            actor=actor,
            incident=Incident(
                title=f"Compromised account reported ({locked.reference})",
                description=incident_description_from(locked),
                became_aware_at=locked.verified_at,
                occurred_from=occurred,
            ),
            fields=["title", "description", "became_aware_at"],
        )
        now = timezone.now()
        CompromiseReport.objects.filter(pk=locked.pk, status=CR.RECEIVED).update(
            status=CR.INCIDENT_OPENED,
            incident=incident,
            incident_opened_at=now,
            incident_opened_by=getattr(actor, "pk", None),
        )
        audit.record(
            "incidents.compromise.incident_opened",
            actor=actor,
            target=locked,
            data={"reference": locked.reference, "incident": incident.reference},
        )
    report.refresh_from_db()
    return incident


def compromise_reports_purge(
    *, now: datetime | None = None, dry_run: bool = False
) -> int:
    """Delete reports never confirmed within COMPROMISE_UNCONFIRMED_DAYS.

    Confirmed reports are kept: they are evidence of what the company knew.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=COMPROMISE_UNCONFIRMED_DAYS)
    stale = CompromiseReport.objects.filter(
        status=CR.UNCONFIRMED, created_at__lt=cutoff
    )
    if dry_run:
        return stale.count()
    with transaction.atomic():
        deleted = stale.delete()[0]
        if deleted:
            audit.record(
                "incidents.compromise.purged",
                actor=Actor.system("purge"),
                data={"deleted": deleted, "days": COMPROMISE_UNCONFIRMED_DAYS},
            )
    return deleted
