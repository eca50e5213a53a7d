"""The nightly check of the audit chain, kept as a result and alerted once.

Calls the public ``verify_chain`` (the same walk as ``manage.py audit_verify``)
and stores what it found; the dashboard shows the latest result. A break is
e-mailed to the Privacy Officers once: the outbox key names the broken event,
so the same break found again the next night sends nothing new.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from privacyportal import mail, roles
from privacyportal.audit.services import Actor, record, verify_chain
from privacyportal.models import AuditVerification

ACTOR = Actor.system("nightly audit check")
TEMPLATE = "audit_chain_broken"


def _walk() -> tuple[int, int | None, str]:
    """(events checked, first broken seq or None, the verifier's own words)."""
    checked, broken = 0, None
    for checked, broken in verify_chain():  # noqa: B007 (the last one counts)
        if broken:
            break
    if broken is None:
        return checked, None, ""
    return checked, broken.seq, broken.problem


def plain_message(checked: int, broken_seq: int | None) -> str:
    if broken_seq is None:
        return f"The audit trail is intact: all {checked:,} entries check out."
    return (
        f"The audit trail does not check out from entry number {broken_seq:,}: "
        "it was changed, removed or reordered after it was written."
    )


def _officers() -> list:
    return list(
        get_user_model()
        .objects.filter(groups__name=roles.PRIVACY_OFFICER, is_active=True)
        .exclude(email="")
        .order_by("pk")
    )


def _alert(check: AuditVerification, detail: str) -> int:
    context = {
        "entry": check.broken_seq,
        "message": check.message,
        "detail": detail,
        "run_at": f"{timezone.localtime(check.run_at):%Y-%m-%d %H:%M}",
    }
    queued = [
        mail.queue_email(
            key=f"audit-break:{check.broken_seq}:to:{user.pk}",
            to=user.email,
            template=TEMPLATE,
            context=context,
            language=settings.LANGUAGE_CODE,  # staff read English
        )
        for user in _officers()
    ]
    return sum(email is not None for email in queued)


def audit_chain_check() -> AuditVerification:
    """Walk the chain, store the result with its AuditEvent, alert a new break.

    The walk reads only; the result, its event and any e-mails are written in
    one transaction afterwards (the e-mails leave after commit, via the outbox).
    """
    started = timezone.now()
    checked, broken_seq, detail = _walk()
    with transaction.atomic():
        check = AuditVerification.objects.create(
            run_at=started,
            finished_at=timezone.now(),
            ok=broken_seq is None,
            events_checked=checked,
            message=plain_message(checked, broken_seq),
            broken_seq=broken_seq,
        )
        if broken_seq is not None and _alert(check, detail):
            check.alerted = True
            check.save(update_fields=["alerted"])
        record(
            "audit.chain.checked",
            actor=ACTOR,
            target=check,
            data={"ok": check.ok, "events": checked, "broken_seq": broken_seq},
        )
    return check
