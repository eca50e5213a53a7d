"""The hourly deadline job: close, acknowledge, remind, escalate, digest.

Invariants:
- every step reads through a partial index, so its cost follows the work due,
  not the size of the table;
- each request's alert stage is claimed with a conditional update before its
  e-mail is queued, and each e-mail has an idempotency key naming the request,
  the stage and the due date: however often the job runs (or a task is
  delivered twice), a reminder or escalation is sent once;
- the digest key names the day, so it goes out once a day.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from privacyportal.audit.services import Actor
from privacyportal.models import OutboundEmail
from requests_app.models import OPEN_STATUSES, PrivacyRequest
from requests_app.services import appeals, common
from requests_app.services.common import atomic
from requests_app.services.workflow import request_close_unverified

BATCH = 500
DIGEST_ROWS = 50
STAGE_NAMES = {
    PrivacyRequest.Alert.DAYS_7: "7d",
    PrivacyRequest.Alert.DAYS_2: "2d",
    PrivacyRequest.Alert.OVERDUE: "overdue",
}
JOB = Actor.system("deadline job")


@dataclass
class RunSummary:
    closed: int = 0
    acknowledged: int = 0
    reminders: int = 0
    escalations: int = 0
    digests: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def deadlines_run(*, now: datetime | None = None, dry_run: bool = False) -> RunSummary:
    """One pass of every deadline duty; safe to run as often as wanted."""
    now = now or timezone.now()
    summary = RunSummary()
    if dry_run:
        return _dry_run(now)
    summary.closed = close_unverified(now)
    summary.acknowledged = send_acknowledgements(now)
    summary.reminders, summary.escalations = send_alerts(now)
    appeal_reminders, appeal_escalations = appeals.appeal_alerts_send(now)
    summary.reminders += appeal_reminders
    summary.escalations += appeal_escalations
    summary.digests = send_digest(now)
    return summary


def _unverified(now: datetime):
    cutoff = now - timedelta(days=settings.REQUEST_UNVERIFIED_CLOSE_DAYS)
    return PrivacyRequest.objects.filter(
        status=PrivacyRequest.Status.RECEIVED, received_at__lt=cutoff
    ).order_by("received_at")


def _unacknowledged():
    return PrivacyRequest.objects.filter(
        acknowledged_at__isnull=True,
        ack_due_at__isnull=False,
        status__in=OPEN_STATUSES,
    ).order_by("ack_due_at")


def _dry_run(now: datetime) -> RunSummary:
    alerts = list(
        PrivacyRequest.objects.alerts_due(now).values_list("due_at", flat=True)
    )
    overdue = sum(1 for due in alerts if due <= now)
    digest_due = (
        _overdue(now).exists()
        and not OutboundEmail.objects.filter(key__startswith=_digest_key(now)).exists()
    )
    return RunSummary(
        closed=_unverified(now).count(),
        acknowledged=_unacknowledged().count(),
        reminders=len(alerts) - overdue,
        escalations=overdue,
        digests=int(digest_due),
    )


def close_unverified(now: datetime) -> int:
    closed = 0
    while batch := list(_unverified(now)[:BATCH]):
        closed += sum(request_close_unverified(request=r) for r in batch)
        if len(batch) < BATCH:
            break
    return closed


def send_acknowledgements(now: datetime) -> int:
    """Acknowledge receipt where a law demands it (e.g. 10 business days, US)."""
    sent = 0
    for request in _unacknowledged()[:BATCH]:
        with atomic():
            claimed = PrivacyRequest.objects.filter(
                pk=request.pk, acknowledged_at__isnull=True
            ).update(acknowledged_at=now)
            if not claimed:
                continue
            common.email_requester(request, "request_acknowledgement", "ack")
            common.record("acknowledged", request, actor=JOB)
            sent += 1
    return sent


def send_alerts(now: datetime) -> tuple[int, int]:
    """Reminders at 7 and 2 days before due_at, one escalation once overdue."""
    reminders = escalations = 0
    due = (
        PrivacyRequest.objects.alerts_due(now)
        .select_related("assignee")
        .order_by("next_alert_at")
    )
    for request in due[:BATCH]:
        stage = _claim_stage(request, now)
        if stage == PrivacyRequest.Alert.OVERDUE:
            escalations += 1
        elif stage:
            reminders += 1
    return reminders, escalations


def _claim_stage(request: PrivacyRequest, now: datetime) -> int:
    """Advance the request to the stage reached now and send its e-mail once."""
    stage = max(common.alert_stage_at(request.due_at, now), request.alert_stage)
    with atomic():
        claimed = PrivacyRequest.objects.filter(
            pk=request.pk,
            alert_stage=request.alert_stage,
            next_alert_at=request.next_alert_at,
            status__in=OPEN_STATUSES,
        ).update(
            alert_stage=stage, next_alert_at=common.next_alert(request.due_at, stage)
        )
        if not claimed or stage == request.alert_stage:
            return 0
        request.alert_stage = stage
        _alert_email(request, stage)
        common.record("alerted", request, actor=JOB, data={"stage": STAGE_NAMES[stage]})
    return stage


def _alert_email(request: PrivacyRequest, stage: int) -> None:
    name = STAGE_NAMES[stage]
    context = {
        **common.request_context(request),
        "stage": name,
        "days_left": max(request.days_left, 0),
    }
    due = context["due_date"]
    key = f"request:{request.pk}:{'escalation' if name == 'overdue' else 'reminder'}"
    if stage == PrivacyRequest.Alert.OVERDUE:
        common.email_staff(
            common.privacy_officers(), "staff_escalation", f"{key}:{due}", context
        )
        return
    to = [request.assignee] if request.assignee and request.assignee.email else None
    common.email_staff(
        to or common.privacy_officers(),
        "staff_reminder",
        f"{key}:{name}:{due}",
        {**context, "unassigned": to is None},
    )


def _overdue(now: datetime):
    return PrivacyRequest.objects.overdue(now)


def _digest_key(now: datetime) -> str:
    return f"requests:digest:{now.astimezone(common.tz()).date().isoformat()}"


def send_digest(now: datetime) -> int:
    """Once a day, the list of overdue requests to every Privacy Officer."""
    overdue = _overdue(now).select_related("assignee").order_by("due_at")
    rows = list(overdue[:DIGEST_ROWS])
    if not rows:
        return 0
    context: dict[str, Any] = {
        "count": overdue.count() if len(rows) == DIGEST_ROWS else len(rows),
        "rows": [_digest_row(r, now) for r in rows],
        "date": now.astimezone(common.tz()).date().isoformat(),
    }
    return common.email_staff(
        common.privacy_officers(), "staff_digest", _digest_key(now), context
    )


def _digest_row(request: PrivacyRequest, now: datetime) -> dict[str, Any]:
    return {
        "reference": request.reference,
        "type": request.get_type_display(),
        "due_date": request.due_at.astimezone(common.tz()).date().isoformat(),
        "days_overdue": (now - request.due_at).days,
        "assignee": request.assignee.get_username() if request.assignee else "",
    }
