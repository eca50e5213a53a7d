"""Every write to a complaint: filing, the workflow, notes, reminders.

Invariants:
- a status changes only through ``_transition``: a guard against TRANSITIONS,
  then ``filter(pk=, status=expected).update()`` that must touch one row;
- every change writes its AuditEvent in the same transaction;
- e-mails go through the outbox (privacyportal.mail), keyed so that each is
  queued once: the complainant's in their language, staff's in LANGUAGE_CODE;
- investigation notes are only ever added.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from complaints_app import authorities, clock
from complaints_app.models import (
    Complaint,
    ComplaintCounter,
    ComplaintNote,
    IncidentLink,
)
from privacyportal import audit, mail
from privacyportal.audit.services import Actor
from requests_app.models import PrivacyRequest
from requests_app.services import common

C = Complaint.Status
JOB = Actor.system("complaint reminders")

TRANSITIONS: dict[str, set[str]] = {
    C.ACKNOWLEDGED: {C.RECEIVED},
    C.INVESTIGATING: {C.ACKNOWLEDGED},
    C.RESOLVED: {C.ACKNOWLEDGED, C.INVESTIGATING},
    C.NOT_UPHELD: {C.ACKNOWLEDGED, C.INVESTIGATING},
    C.ESCALATED: {C.RESOLVED, C.NOT_UPHELD},
}
DECIDED = (C.RESOLVED, C.NOT_UPHELD)


class ComplaintError(ValueError):
    """A change the workflow refuses; nothing was changed."""


# --- references, audit, e-mail -----------------------------------------------------


def next_reference(year: int) -> str:
    """CP-<year>-<4 digits or more>, sequential per year (as request references)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE complaints_app_complaintcounter SET last = last + 1 "
            "WHERE year = %s RETURNING last",
            [year],
        )
        row = cursor.fetchone()
    if row is None:
        with transaction.atomic():
            ComplaintCounter.objects.get_or_create(year=year)
        return next_reference(year)
    return f"CP-{year}-{row[0]:04d}"


def _record(
    action: str, complaint: Complaint, *, actor: Any, data: dict | None = None
) -> None:
    audit.record(
        f"complaints.complaint.{action}",
        actor=actor,
        target=complaint,
        subject_id=complaint.subject_id,
        data={"reference": complaint.reference, **(data or {})},
    )


def _iso(moment: datetime | None) -> str:
    return moment.astimezone(common.tz()).date().isoformat() if moment else ""


def complaint_context(complaint: Complaint) -> dict:
    """What every e-mail about a complaint may mention (codes and ISO dates)."""
    return {
        "reference": complaint.reference,
        "name": complaint.name,
        "status": complaint.status,
        "ack_due_date": _iso(complaint.ack_due_at),
        "due_date": _iso(complaint.due_at),
        "admin_url": settings.SITE_URL
        + reverse("admin:complaints_app_complaint_change", args=[complaint.pk]),
    }


def _email_complainant(complaint: Complaint, template: str, **context: Any) -> bool:
    sent = mail.queue_email(
        key=f"complaint:{complaint.pk}:{template}",
        to=complaint.email,
        template=template,
        context={**complaint_context(complaint), **context},
        language=complaint.language,
    )
    return sent is not None


def _transition(
    complaint: Complaint, to: str, *, actor: Any, action: str, **fields: Any
) -> None:
    expected = complaint.status
    if expected not in TRANSITIONS[to]:
        raise ComplaintError(
            f"{complaint.reference} is {C(expected).label.lower()}: it cannot be "
            f"marked {C(to).label.lower()}."
        )
    updated = Complaint.objects.filter(pk=complaint.pk, status=expected).update(
        status=to, **fields
    )
    if updated != 1:
        raise ComplaintError(f"{complaint.reference} was changed by someone else.")
    for name, value in {"status": to, **fields}.items():
        setattr(complaint, name, value)
    _record(action, complaint, actor=actor, data={"from": expected, "to": to})


def _locked(complaint: Complaint) -> Complaint:
    return Complaint.objects.select_for_update().get(pk=complaint.pk)


# --- filing ---------------------------------------------------------------------


def complaint_from_request(*, request: PrivacyRequest, actor: Any) -> bool:
    """Verification hook: a confirmed "Make a complaint" becomes a Complaint.

    Runs inside request_verify's transaction. The request record (which holds
    the proof that the address's owner confirmed it) is completed and linked
    to the complaint, so it never waits in the request queue. Returns whether
    it took the request (then request_verify sends no request confirmation).
    """
    if request.type != PrivacyRequest.Type.COMPLAINT:
        return False
    complaint = complaint_file(
        actor=actor,
        name=request.name,
        email=request.email,
        language=request.language,
        country=request.country,
        region=request.region,
        jurisdiction=request.jurisdiction,
        text=request.details,
        received_at=request.received_at,
        subject=request.subject,
    )
    complaint.requests.add(request)
    common.transition(
        request,
        PrivacyRequest.Status.COMPLETED,
        actor=actor,
        action="handed_to_complaints",
        message=f"Filed as complaint {complaint.reference}.",
        data={"complaint": complaint.reference},
        completed_at=timezone.now(),
        outcome_summary=f"Filed as complaint {complaint.reference}.",
    )
    return True


def complaint_file(
    *,
    actor: Any,
    name: str,
    email: str,
    language: str,
    country: str,
    region: str,
    jurisdiction: str,
    text: str,
    received_at: datetime,
    subject: Any = None,
) -> Complaint:
    """Record a complaint with its clocks and tell the complainant its dates."""
    due = clock.compute(jurisdiction, received_at)
    with transaction.atomic():
        complaint = Complaint.objects.create(
            reference=next_reference(received_at.astimezone(common.tz()).year),
            name=name,
            email=email,
            language=language,
            country=country,
            region=region,
            jurisdiction=jurisdiction,
            text=text,
            received_at=received_at,
            subject=subject,
            ack_due_at=due.ack_due_at,
            due_at=due.due_at,
            rule=due.rule,
            next_alert_at=common.next_alert(due.ack_due_at, Complaint.Alert.NONE),
        )
        _record(
            "received",
            complaint,
            actor=actor,
            data={"jurisdiction": jurisdiction, "rule": due.rule and due.rule.code},
        )
        _email_complainant(complaint, "complaint_received")
    return complaint


# --- the workflow ---------------------------------------------------------------


def complaint_acknowledge(*, actor: Any, complaint: Complaint) -> Complaint:
    """Received → acknowledged; the complainant is told the decision date.

    The reminders switch from the acknowledgement date to the decision date.
    """
    now = timezone.now()
    with transaction.atomic():
        complaint = _locked(complaint)
        _transition(
            complaint,
            C.ACKNOWLEDGED,
            actor=actor,
            action="acknowledged",
            acknowledged_at=now,
            acknowledged_by=common.user_or_none(actor),
            alert_stage=Complaint.Alert.NONE,
            next_alert_at=common.next_alert(complaint.due_at, Complaint.Alert.NONE),
        )
        _email_complainant(complaint, "complaint_acknowledged")
    return complaint


def complaint_investigate(*, actor: Any, complaint: Complaint) -> Complaint:
    """Acknowledged → under investigation (the first step of the work)."""
    with transaction.atomic():
        complaint = _locked(complaint)
        _transition(
            complaint,
            C.INVESTIGATING,
            actor=actor,
            action="investigating",
            investigation_started_at=timezone.now(),
        )
    return complaint


def complaint_assign(*, actor: Any, complaint: Complaint, assignee: Any) -> Complaint:
    with transaction.atomic():
        complaint = _locked(complaint)
        if not complaint.is_open:
            raise ComplaintError(f"{complaint.reference} is decided already.")
        Complaint.objects.filter(pk=complaint.pk).update(assignee=assignee)
        complaint.assignee = assignee
        _record("assigned", complaint, actor=actor, data={"assignee": assignee.pk})
    return complaint


def complaint_note_add(*, actor: Any, complaint: Complaint, text: str) -> ComplaintNote:
    """Append a staff-only note (never e-mailed; never changed afterwards)."""
    text = text.strip()
    if not text:
        raise ComplaintError("A note needs some text.")
    with transaction.atomic():
        note = ComplaintNote.objects.create(
            complaint=complaint, author=actor, created_at=timezone.now(), text=text
        )
        _record("noted", complaint, actor=actor, data={"note": note.pk})
    return note


def complaint_decide(
    *, actor: Any, complaint: Complaint, upheld: bool, outcome: str
) -> Complaint:
    """Resolved or not upheld, with the written outcome e-mailed.

    The e-mail says what happens next: the dispute-resolution body (name, link,
    conditions) and the supervisory authority for the complainant's place.
    """
    outcome = outcome.strip()
    if not outcome:
        raise ComplaintError("Write the outcome: it is e-mailed to the complainant.")
    with transaction.atomic():
        complaint = _locked(complaint)
        _transition(
            complaint,
            C.RESOLVED if upheld else C.NOT_UPHELD,
            actor=actor,
            action="resolved" if upheld else "not_upheld",
            outcome=outcome,
            decided_at=timezone.now(),
            decided_by=common.user_or_none(actor),
            next_alert_at=None,
        )
        _email_complainant(
            complaint,
            "complaint_outcome",
            outcome=outcome,
            **authorities.next_steps(complaint),
        )
    return complaint


def complaint_escalate(*, actor: Any, complaint: Complaint, to: str) -> Complaint:
    """Record that the complainant took a decided complaint further."""
    to = to.strip()
    if not to:
        raise ComplaintError("Say where the complaint was taken.")
    with transaction.atomic():
        complaint = _locked(complaint)
        _transition(
            complaint,
            C.ESCALATED,
            actor=actor,
            action="escalated",
            escalated_at=timezone.now(),
            escalated_to=to[:200],
        )
    return complaint


# --- links to incidents --------------------------------------------------------


def _record_link(verb: str, complaint: Complaint, incident: Any, *, actor: Any) -> None:
    """One event on each side, so both the complaint's and the incident's
    history say it (the incident's code is described in apps.SENTENCES)."""
    _record(
        f"incident_{verb}",
        complaint,
        actor=actor,
        data={"incident": incident.reference},
    )
    audit.record(
        f"incidents.incident.complaint_{verb}",
        actor=actor,
        target=incident,
        data={"reference": incident.reference, "complaint": complaint.reference},
    )


def complaint_link_incident(*, actor: Any, complaint: Complaint, incident: Any) -> bool:
    """Link a complaint to an incident in the breach register, in any status.

    Idempotent: a link that exists already changes nothing and is not audited
    again (the unique constraint holds it under concurrent clicks). Returns
    whether a link was made.
    """
    with transaction.atomic():
        _link, created = IncidentLink.objects.get_or_create(
            complaint=complaint,
            incident=incident,
            defaults={
                "linked_at": timezone.now(),
                "linked_by": common.user_or_none(actor),
            },
        )
        if created:
            _record_link("linked", complaint, incident, actor=actor)
    return created


def complaint_unlink_incident(
    *, actor: Any, complaint: Complaint, incident: Any
) -> bool:
    """Remove a link; removing one that is not there changes nothing."""
    with transaction.atomic():
        removed, _ = IncidentLink.objects.filter(
            complaint=complaint, incident=incident
        ).delete()
        if removed:
            _record_link("unlinked", complaint, incident, actor=actor)
    return bool(removed)


# --- reminders ------------------------------------------------------------------


def complaints_alert(*, now: datetime | None = None) -> tuple[int, int]:
    """Remind (7 and 2 days left) and escalate (overdue), each once per clock.

    The stage is claimed with a conditional update, so a job run twice (or
    two workers) alerts once; the e-mail keys say the same in the outbox.
    Returns (reminders, escalations).
    """
    now = now or timezone.now()
    reminders = escalations = 0
    due = Complaint.objects.open().alerts_due(now).select_related("assignee")
    for complaint in due.order_by("next_alert_at")[:500]:
        stage = _claim_stage(complaint, now)
        if stage == Complaint.Alert.OVERDUE:
            escalations += 1
        elif stage:
            reminders += 1
    return reminders, escalations


def _claim_stage(complaint: Complaint, now: datetime) -> int:
    running = complaint.running_due_at
    stage = max(common.alert_stage_at(running, now), complaint.alert_stage)
    with transaction.atomic():
        claimed = Complaint.objects.filter(
            pk=complaint.pk,
            alert_stage=complaint.alert_stage,
            next_alert_at=complaint.next_alert_at,
        ).update(alert_stage=stage, next_alert_at=common.next_alert(running, stage))
        if not claimed or stage == complaint.alert_stage:
            return 0
        _alert_staff(complaint, stage)
        _record(
            "alerted",
            complaint,
            actor=JOB,
            data={"stage": Complaint.Alert(stage).label, "clock": _clock(complaint)},
        )
    return stage


def _clock(complaint: Complaint) -> str:
    return "acknowledgement" if complaint.acknowledged_at is None else "decision"


def _alert_staff(complaint: Complaint, stage: int) -> None:
    running = complaint.running_due_at
    context = {
        **complaint_context(complaint),
        "clock": _clock(complaint),
        "stage": Complaint.Alert(stage).label,
        "running_due_date": _iso(running),
        "days_left": max((running - timezone.now()).days, 0),
    }
    key = f"complaint:{complaint.pk}:alert:{_clock(complaint)}:{stage}"
    assignee = complaint.assignee
    people = common.privacy_officers()
    if stage != Complaint.Alert.OVERDUE and assignee and assignee.email:
        people = [assignee]
    template = (
        "complaint_staff_escalation"
        if stage == Complaint.Alert.OVERDUE
        else "complaint_staff_reminder"
    )
    common.email_staff(people, template, key, context)
