"""Every write to the incident register.

Invariants kept here:
- every incident gets a reference INC-<year>-<4 digits>, sequential per year;
- a status changes only through a conditional UPDATE from the expected state
  (open -> assessed | not notifiable; open | assessed -> notified;
  notified | not notifiable -> closed); a refused change changes nothing;
- a notification made more than 72 elapsed hours after awareness is recorded only
  with its reason (Art. 33(1));
- each reminder stage (24, 48, 66 hours) and the overdue escalation is claimed
  once by a conditional UPDATE and e-mailed under an outbox key, so a scan run
  twice, or delivered twice, sends nothing twice;
- every change writes an AuditEvent in the same transaction.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta
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
from privacyportal.rules import EffectiveDatedRule
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

    A notification after the 72 hours needs its reason (Art. 33(1)); without
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

    The form has run the rule's clean() (no overlapping versions); the audit
    event holds the period and its dates.
    """
    rule.state = rule.state.strip().upper()
    data = {"state": rule.state, "days": rule.days}
    _rule_save(actor, rule, "incidents.state_rule", data, fields)
    return rule


def authority_rule_save(
    *, actor: Any, rule: AuthorityNoticeRule, fields: list[str]
) -> AuthorityNoticeRule:
    """Add or change a version of the authority notice period (Privacy Officers).

    Incidents' deadlines are read from these rows (through a cache dropped here
    and at commit), so a change applies to every incident whose day of
    awareness the version covers.
    """
    data = {"code": rule.code, "hours": rule.hours, "jurisdictions": rule.jurisdictions}
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


# --- the clock scan ---------------------------------------------------------------


def _context(incident: Incident, now: datetime) -> dict:
    due = incident.authority_due_at
    return {
        "reference": incident.reference,
        "title": incident.title,
        "aware_at": f"{timezone.localtime(incident.became_aware_at):%d %b %Y %H:%M %Z}",
        "due_at": f"{timezone.localtime(due):%d %b %Y %H:%M %Z}",
        "time_left": clocks.time_left_words(due, now),
        "admin_url": settings.SITE_URL
        + reverse("admin:incidents_app_incident_change", args=[incident.pk]),
    }


def _remind(incident: Incident, now: datetime) -> int:
    stage = clocks.reminder_due(incident.became_aware_at, now)
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
            data={"reference": incident.reference, "hours": stage},
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
            data={"reference": incident.reference},
        )
    return 1


def incidents_scan(*, now: datetime | None = None) -> dict[str, int]:
    """Send due reminders and overdue escalations for incidents not yet notified.

    Only the latest stage reached is sent (a scan that resumes after 50 hours
    sends the 48-hour reminder, not the 24-hour one as well).
    """
    now = now or timezone.now()
    counts = {"reminded": 0, "escalated": 0}
    earliest = now - timedelta(hours=clocks.REMINDER_HOURS[0])
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


def _incident_description(report: CompromiseReport) -> str:
    parts = [f"Reported by the public ({report.reference}):", report.what_happened]
    if report.happened_on:
        parts.append(f"When, as reported: {report.happened_on:%d %b %Y}.")
    if report.account_name:
        parts.append(f"Account named: {report.account_name}.")
    return "\n\n".join(parts)


def compromise_incident_open(*, actor: Any, report: CompromiseReport) -> Incident:
    """Open an Incident from a confirmed report (once), aware since confirmation.

    The 72 hours run from when the company could first read the report, its
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
                description=_incident_description(locked),
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
