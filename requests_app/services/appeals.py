"""Appeals of refused requests (US state laws: Virginia, Colorado and others).

Invariants:
- an appeal is offered only for a denied or partly completed request whose
  jurisdiction has an ``AppealRule`` in force on the day of the decision, and
  only until the rule's window after that day has passed; a late appeal is
  refused with the date and nothing is stored;
- one appeal per decision: a second one for the same decision is refused;
- an appeal is decided by a Privacy Officer other than the one who made the
  decision appealed; the service refuses anyone else;
- every change writes a timeline entry and an AuditEvent in its transaction,
  and e-mails are queued in the same transaction (sent after commit);
- reminders (7 and 2 days before the appeal is due) and the overdue escalation
  are claimed with a conditional update, so each goes out once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from privacyportal import audit, mail
from privacyportal.audit.services import Actor
from requests_app import deadlines
from requests_app.models import Appeal, AppealRule, PrivacyRequest, RequestEvent
from requests_app.services import common
from requests_app.services.common import RequestError, S, atomic

APPEALABLE = (S.DENIED, S.PARTIALLY_COMPLETED)
TEXT_MAX = 5000
DECIDE_PERMISSION = "requests_app.decide_appeal"
JOB = Actor.system("deadline job")
BATCH = 500


class AppealError(RequestError):
    """An appeal refused or a decision the rules forbid; nothing was changed."""


@dataclass(frozen=True)
class Offer:
    """What the requester is told: they may appeal until ``until``."""

    rule: AppealRule
    decided_on: date
    until: date

    @property
    def until_at(self) -> datetime:
        return deadlines.end_of_day(self.until, common.tz())


# --- reads ------------------------------------------------------------------------


def rule_for(jurisdiction: str, day: date) -> AppealRule | None:
    """The version of the state's appeal rule in force on ``day``, if any."""
    return AppealRule.objects.in_force(jurisdiction, day)


def offer(request: PrivacyRequest) -> Offer | None:
    """The appeal this decision allows, or None (no law, or not a refusal)."""
    if request.status not in APPEALABLE or request.closed_at is None:
        return None
    decided_on = deadlines.local_date(request.closed_at, common.tz())
    rule = rule_for(request.jurisdiction, decided_on)
    if rule is None:
        return None
    return Offer(rule, decided_on, decided_on + timedelta(days=rule.window_days))


def current(request: PrivacyRequest) -> Appeal | None:
    """The appeal of the request's present decision (filed after it was made)."""
    if request.closed_at is None:
        return None
    return (
        request.appeals.filter(filed_at__gte=request.closed_at)
        .order_by("-filed_at")
        .first()
    )


def email_context(request: PrivacyRequest, now: datetime) -> dict[str, Any]:
    """What a decision e-mail needs to offer an appeal (empty if none)."""
    found = offer(request)
    if found is None:
        return {}
    return {
        "appeal_until": found.until.isoformat(),
        "appeal_link": common.status_link(request, now),
    }


# --- filing -----------------------------------------------------------------------


def appeal_file(
    *, request: PrivacyRequest, text: str, actor: Any, now: datetime | None = None
) -> Appeal:
    """File the requester's appeal; AppealError (nothing stored) when refused."""
    now = now or timezone.now()
    text = text.strip()
    if not text or len(text) > TEXT_MAX:
        raise AppealError(
            gettext("Tell us in at most %(n)d characters why you disagree.")
            % {"n": TEXT_MAX}
        )
    with atomic():
        request = PrivacyRequest.objects.select_for_update().get(pk=request.pk)
        found = _guard_filing(request, now)
        appeal = _create(request, found.rule, text, now)
        common.event(
            request, RequestEvent.Kind.APPEAL, actor=actor, message=text, public=True
        )
        _record("filed", appeal, actor, due=_due_date(appeal))
        _email_appellant(appeal, "request_appeal_received", "received")
        common.email_staff(
            _deciders(appeal),
            "staff_appeal_filed",
            _key(appeal, "filed"),
            _staff_context(appeal),
        )
    return appeal


def _guard_filing(request: PrivacyRequest, now: datetime) -> Offer:
    found = offer(request)
    if found is None:
        raise AppealError(
            gettext("%(reference)s: this decision cannot be appealed here.")
            % {"reference": request.reference}
        )
    if now > found.until_at:
        raise AppealError(
            gettext("The time to appeal this decision ended on %(date)s.")
            % {"date": _local(found.until)}
        )
    if current(request) is not None:
        raise AppealError(
            gettext("%(reference)s: you have already appealed this decision.")
            % {"reference": request.reference}
        )
    return found


def _create(
    request: PrivacyRequest, rule: AppealRule, text: str, now: datetime
) -> Appeal:
    day = deadlines.local_date(now, common.tz())
    due_at = deadlines.end_of_day(
        deadlines.add_period(day, deadlines.DAYS, rule.decide_days), common.tz()
    )
    return Appeal.objects.create(
        request=request,
        rule=rule,
        appealed_status=request.status,
        appealed_decided_by_id=request.decided_by_id,
        text=text,
        language=translation.get_language() or request.language,
        filed_at=now,
        due_at=due_at,
        next_alert_at=common.next_alert(due_at, PrivacyRequest.Alert.NONE),
    )


# --- deciding ---------------------------------------------------------------------


def appeal_decide(*, actor: Any, appeal: Appeal, upheld: bool, reasons: str) -> None:
    """Decide an open appeal; upheld reopens the request, denied gives the AG link.

    Refused (AppealError, nothing changed) for someone without the permission
    to decide, for the person who made the decision appealed, without reasons,
    or when the appeal was decided meanwhile.
    """
    reasons = reasons.strip()
    _guard_decider(actor, appeal)
    if not reasons:
        raise AppealError(
            f"{appeal.request.reference}: give the reasons for the decision."
        )
    status = Appeal.Status.UPHELD if upheld else Appeal.Status.DENIED
    now = timezone.now()
    with atomic():
        claimed = Appeal.objects.filter(pk=appeal.pk, status=Appeal.Status.OPEN).update(
            status=status,
            decided_by=actor,
            decided_at=now,
            reasons=reasons,
            next_alert_at=None,
        )
        if claimed != 1:
            raise AppealError(
                f"{appeal.request.reference}: the appeal was already decided."
            )
        appeal.refresh_from_db()
        if upheld:
            _reopen(appeal, actor)
        else:
            common.event(
                appeal.request,
                RequestEvent.Kind.APPEAL,
                actor=actor,
                message=reasons,
                public=True,
            )
        _record(status, appeal, actor)
        _email_appellant(
            appeal,
            "request_appeal_decision",
            "decision",
            upheld=upheld,
            reasons=reasons,
            complaint_url=appeal.rule.complaint_url,
        )


def _guard_decider(actor: Any, appeal: Appeal) -> None:
    reference = appeal.request.reference
    if not getattr(actor, "is_authenticated", False) or not actor.has_perm(
        DECIDE_PERMISSION
    ):
        raise AppealError(f"{reference}: only a Privacy Officer can decide an appeal.")
    if appeal.appealed_decided_by_id == actor.pk:
        raise AppealError(
            f"{reference}: you made the decision being appealed; another "
            "Privacy Officer must decide the appeal."
        )


def _reopen(appeal: Appeal, actor: Any) -> None:
    """Back to work, due when the appeal is: the law's period covers the redo."""
    request = appeal.request
    reopened = PrivacyRequest.objects.filter(
        pk=request.pk, status=appeal.appealed_status
    ).update(
        status=S.IN_PROGRESS,
        closed_at=None,
        completed_at=None,
        decided_by=None,
        due_at=appeal.due_at,
        alert_stage=PrivacyRequest.Alert.NONE,
        next_alert_at=common.next_alert(appeal.due_at, PrivacyRequest.Alert.NONE),
    )
    if reopened != 1:
        raise AppealError(f"{request.reference} was changed by someone else.")
    common.event(
        request,
        RequestEvent.Kind.STATUS,
        actor=actor,
        message=appeal.reasons,
        public=True,
        from_status=appeal.appealed_status,
        to_status=S.IN_PROGRESS,
    )
    common.record(
        "reopened",
        request,
        actor=actor,
        data={"from": appeal.appealed_status, "to": S.IN_PROGRESS},
    )


# --- reminders --------------------------------------------------------------------


def appeal_alerts_send(now: datetime) -> tuple[int, int]:
    """Reminders 7 and 2 days before an appeal is due; one escalation when late."""
    reminders = escalations = 0
    due = Appeal.objects.alerts_due(now).select_related("request", "rule")
    for appeal in due.order_by("next_alert_at")[:BATCH]:
        stage = _claim_stage(appeal, now)
        escalations += stage == PrivacyRequest.Alert.OVERDUE
        reminders += bool(stage) and stage != PrivacyRequest.Alert.OVERDUE
    return reminders, escalations


def _claim_stage(appeal: Appeal, now: datetime) -> int:
    stage = max(common.alert_stage_at(appeal.due_at, now), appeal.alert_stage)
    with atomic():
        claimed = Appeal.objects.filter(
            pk=appeal.pk,
            status=Appeal.Status.OPEN,
            alert_stage=appeal.alert_stage,
            next_alert_at=appeal.next_alert_at,
        ).update(
            alert_stage=stage, next_alert_at=common.next_alert(appeal.due_at, stage)
        )
        if not claimed or stage == appeal.alert_stage:
            return 0
        name = STAGE_NAMES[stage]
        context = {**_staff_context(appeal), "stage": name}
        common.email_staff(
            _deciders(appeal), "staff_appeal_alert", _key(appeal, name), context
        )
        _record("alerted", appeal, JOB, stage=name)
    return stage


STAGE_NAMES = {
    PrivacyRequest.Alert.DAYS_7: "7d",
    PrivacyRequest.Alert.DAYS_2: "2d",
    PrivacyRequest.Alert.OVERDUE: "overdue",
}


# --- helpers ----------------------------------------------------------------------


def _local(day: date) -> str:
    from django.utils.formats import date_format

    return date_format(day, "DATE_FORMAT")


def _due_date(appeal: Appeal) -> str:
    return deadlines.local_date(appeal.due_at, common.tz()).isoformat()


def _key(appeal: Appeal, what: str) -> str:
    return f"appeal:{appeal.pk}:{what}"


def _deciders(appeal: Appeal) -> list[Any]:
    """Privacy Officers who may decide: everyone but the one who decided."""
    return [
        u for u in common.privacy_officers() if u.pk != appeal.appealed_decided_by_id
    ]


def _staff_context(appeal: Appeal) -> dict[str, Any]:
    return {
        **common.request_context(appeal.request),
        "appeal_due_date": _due_date(appeal),
        "law": appeal.rule.name,
        "appeal_admin_url": settings.SITE_URL
        + reverse("admin:requests_app_appeal_change", args=[appeal.pk]),
    }


def _email_appellant(appeal: Appeal, template: str, what: str, **extra: Any) -> None:
    """E-mail the requester in the language they appealed in (once per key)."""
    request = appeal.request
    context = {
        **common.request_context(request),
        "appeal_due_date": _due_date(appeal),
        **extra,
    }
    sent = mail.queue_email(
        key=_key(appeal, what),
        to=request.email,
        template=template,
        context=context,
        language=appeal.language,
    )
    if sent is not None:
        common.event(request, RequestEvent.Kind.EMAIL, actor=None, message=template)


def _record(what: str, appeal: Appeal, actor: Any, **data: Any) -> None:
    audit.record(
        f"requests.appeal.{what}",
        actor=actor,
        target=appeal,
        subject_id=appeal.request.subject_id,
        data={"reference": appeal.request.reference, **data},
    )
