"""Art. 19: telling every recipient of a person's data about an erasure,
rectification or restriction, and telling the person who was told.

Invariants kept here:
- the fan-out of one completed request writes all its notices in the request's
  own completion transaction, and each recipient gets one notice per request
  (a unique constraint), however often the hook or the dispatch job runs;
- a notice is claimed (attempt counted, lease set) in one transaction and the
  HTTPS call is made outside any transaction; only a 2xx answer from the
  address itself counts as sent: a timeout, a 5xx or a redirect is retried
  with backoff, then marked failed with the reason, never silently "sent";
- an e-mail notice goes through the outbox in the claiming transaction;
- a recipient with no address for notices gets an "impossible" notice that
  says so, so staff can see and act on it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from disclosures_app import conf
from disclosures_app.models import Disclosure, Notice, Recipient
from privacyportal import audit, mail
from privacyportal.audit.services import Actor
from privacyportal.registry import Outcome, registry

SYSTEM = Actor.system("recipient notices")
MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=10)  # longer than one HTTPS call may take
CHANGES = {c.value for c in Notice.Change}
ERASED = {Outcome.DELETED, Outcome.ANONYMISED}


# --- the fan-out ------------------------------------------------------------------


def _source_categories(key: str) -> set[str]:
    try:
        return set(registry.get(key).info.categories)
    except KeyError:
        return set()


def affected_categories(request: Any) -> set[str] | None:
    """What the request changed; None means everything the person has."""
    if request.type == Notice.Change.ERASURE:
        keys = request.outcomes.filter(outcome__in=ERASED)
        return set().union(
            *(_source_categories(k) for k in keys.values_list("source_key", flat=True))
        )
    if request.type == Notice.Change.RECTIFICATION:
        fields = request.corrections.filter(status="applied").values_list(
            "field", flat=True
        )
        owners = [registry.field_owner(f) for f in fields]
        return set().union(
            *(set(o.info.categories) for o in owners if getattr(o, "info", None))
        )
    return None


def _recipients_told(
    subject_id: int, categories: set[str] | None
) -> dict[int, set[str]]:
    """Recipient id -> the categories it received, for those it must be told."""
    got: dict[int, set[str]] = {}
    rows = Disclosure.objects.for_subject(subject_id).values_list(
        "recipient_id", "categories"
    )
    for recipient_id, received in rows.order_by("disclosed_at").iterator():
        if categories is None or categories & set(received):
            got.setdefault(recipient_id, set()).update(received)
    return got


def corrections_by_category(request: Any) -> list[tuple[set[str], dict[str, str]]]:
    """A rectification's applied corrections, each with the categories it touches."""
    if request.type != Notice.Change.RECTIFICATION:
        return []
    out = []
    for item in request.corrections.filter(status="applied").order_by("pk"):
        owner = registry.field_owner(item.field)
        touched = set(owner.info.categories) if getattr(owner, "info", None) else set()
        out.append((touched, {"what": item.label or item.field, "now": item.new_value}))
    return out


def notices_fan_out(*, request: Any, actor: Any) -> int:
    """COMPLETION_HOOKS entry: queue a notice to each recipient of affected data.

    Runs inside the completion transaction; returns how many notices are new.
    """
    if request.type not in CHANGES or not request.subject_id:
        return 0
    categories = affected_categories(request)
    received = _recipients_told(request.subject_id, categories)
    if not received:
        return 0
    told = Notice.objects.filter(request_reference=request.reference)
    ids = set(received) - set(told.values_list("recipient_id", flat=True))
    if not ids:
        return 0
    recipients = Recipient.objects.filter(pk__in=ids)
    fixes = corrections_by_category(request)
    notices = [
        _notice(request, r, categories, _their(fixes, received[r.pk]))
        for r in recipients
    ]
    # ignore_conflicts: a concurrent run of the same hook loses quietly
    Notice.objects.bulk_create(notices, ignore_conflicts=True)
    new = list(
        told.filter(recipient_id__in=ids, status=Notice.Status.PENDING).values_list(
            "pk", flat=True
        )
    )
    audit.record(
        "disclosures.notice.queued",
        actor=actor,
        target=("requests_app.privacyrequest", request.pk),
        subject_id=request.subject_id,
        data={"request": request.reference, "recipients": len(notices)},
    )
    _tell_requester(request, notices)
    from disclosures_app.tasks import notice_send_task
    from privacyportal.tasks import enqueue

    for pk in new:
        enqueue(notice_send_task, pk)
    return len(new)


def _tell_requester(request: Any, notices: list[Notice]) -> None:
    """Art. 19, second sentence: the person learns who received their data."""
    from requests_app.services.common import email_requester

    told = sorted(
        n.recipient.name for n in notices if n.status == Notice.Status.PENDING
    )
    unreachable = sorted(n.recipient.name for n in notices if n.status != "pending")
    email_requester(
        request,
        "disclosures_recipients_told",
        "recipients_told",
        change=request.type,  # a code: the template names it in the e-mail's language
        told=told,
        unreachable=unreachable,
    )


def _their(
    fixes: list[tuple[set[str], dict[str, str]]], received: set[str]
) -> list[dict[str, str]]:
    """Only the corrected values of data this recipient actually received."""
    return [fix for touched, fix in fixes if touched & received]


def _notice(
    request: Any,
    recipient: Recipient,
    categories: set[str] | None,
    corrections: list[dict[str, str]],
) -> Notice:
    held = sorted(categories) if categories is not None else ["all of it"]
    notice = Notice(
        recipient=recipient,
        subject_id=request.subject_id,
        request_reference=request.reference,
        change=request.type,
        categories=held,
        corrections=corrections,
    )
    if not (recipient.notice_url or recipient.notice_email):
        notice.status = Notice.Status.IMPOSSIBLE
        notice.corrections = []  # never sent: keep no personal data for it
        notice.reason = "the register has no e-mail address or web address for notices"
    return notice


# --- sending ------------------------------------------------------------------------


@dataclass(frozen=True)
class SendResult:
    status: str
    retry_in: float | None = None


def notice_send(*, notice_id: int) -> SendResult:
    """Send one notice once; a duplicate call while it is out does nothing."""
    claimed = _claim(notice_id)
    if claimed is None:
        status = Notice.objects.filter(pk=notice_id).values_list("status", flat=True)
        return SendResult(status.first() or "missing")
    if not claimed.recipient.notice_url:
        return SendResult(claimed.status)
    try:
        acknowledged = post_notice(claimed)
    except NoticeError as exc:
        return _failed(claimed, str(exc))
    return _delivered(claimed, acknowledged)


def _claim(notice_id: int) -> Notice | None:
    now = timezone.now()
    with transaction.atomic():
        notice = (
            Notice.objects.select_for_update(skip_locked=True)
            .select_related("recipient")
            .filter(pk=notice_id, status=Notice.Status.PENDING)
            .first()
        )
        if notice is None or (notice.next_attempt_at and notice.next_attempt_at > now):
            return None
        notice.attempts += 1
        notice.next_attempt_at = now + LEASE
        notice.save(update_fields=["attempts", "next_attempt_at"])
        if not notice.recipient.notice_url:
            _email(notice)
    return notice


def _email(notice: Notice) -> None:
    mail.queue_email(
        key=f"disclosures.notice.{notice.pk}",
        to=notice.recipient.notice_email,
        template="disclosures_recipient_notice",
        context=notice_body(notice),
        # To an organisation, in the portal's language, not a requester's.
        language=settings.LANGUAGE_CODE,
    )
    _finish(notice, Notice.Status.SENT, "e-mailed through the outbox")


def _finish(notice: Notice, status: str, reason: str) -> None:
    now = timezone.now()
    # Settled: the corrected values (personal data) are no longer needed here;
    # the outbox keeps its own copy until the e-mail is sent, then scrubs it.
    fields = {
        "status": status,
        "reason": reason,
        "next_attempt_at": None,
        "corrections": [],
    }
    if status in (Notice.Status.SENT, Notice.Status.ACKNOWLEDGED):
        fields["sent_at"] = now
    if status == Notice.Status.ACKNOWLEDGED:
        fields["acknowledged_at"] = now
    Notice.objects.filter(pk=notice.pk).update(**fields)
    for name, value in fields.items():
        setattr(notice, name, value)
    audit.record(
        f"disclosures.notice.{status}",
        actor=SYSTEM,
        target=notice,
        subject_id=notice.subject_id,
        data={"recipient": notice.recipient.name, "attempts": notice.attempts},
    )


def _delivered(notice: Notice, acknowledged: bool) -> SendResult:
    status = Notice.Status.ACKNOWLEDGED if acknowledged else Notice.Status.SENT
    with transaction.atomic():
        _finish(notice, status, "")
    return SendResult(status)


def backoff(attempts: int) -> float:
    return float(conf.backoff_seconds() * 2 ** (attempts - 1))


def _failed(notice: Notice, reason: str) -> SendResult:
    with transaction.atomic():
        if notice.attempts >= MAX_ATTEMPTS:
            _finish(notice, Notice.Status.FAILED, f"{reason} ({notice.attempts} tries)")
            return SendResult(Notice.Status.FAILED)
        delay = backoff(notice.attempts)
        Notice.objects.filter(pk=notice.pk).update(
            reason=f"try {notice.attempts} failed: {reason}",
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
        )
    return SendResult(Notice.Status.PENDING, retry_in=delay)


# --- the signed HTTPS call ------------------------------------------------------------


class NoticeError(Exception):
    """Why one attempt did not deliver, in words."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A notice answered by a redirect did not reach the address on the register.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def notice_body(notice: Notice) -> dict[str, Any]:
    """What the recipient is told: no name or address, only our references."""
    refs = Disclosure.objects.filter(
        subject_id=notice.subject_id, recipient_id=notice.recipient_id
    ).values_list("pk", "disclosed_at")
    return {
        "notice": "privacy-portal/recipient-notice/v1",
        "id": notice.pk,
        "request": notice.request_reference,
        "change": notice.get_change_display(),
        "categories": notice.categories,
        "corrections": notice.corrections,
        "disclosures": [
            {"reference": f"D-{pk}", "date": at.date().isoformat()}
            for pk, at in refs.order_by("disclosed_at")[:1000]
        ],
        "recipient": notice.recipient.name,
    }


def signing_key() -> bytes:
    key = conf.notice_key()
    if key:
        return key.encode()
    return salted_hmac("disclosures.notice", "signing-key").hexdigest().encode()


def signature(body: bytes, at: int) -> str:
    digest = hmac.new(signing_key(), f"{at}.".encode() + body, hashlib.sha256)
    return f"t={at},v1={digest.hexdigest()}"


def _check_address(url: str) -> None:
    parts = urlsplit(url)
    # Plain HTTP only to this machine (development and the test server).
    if parts.scheme != "https" and parts.hostname not in ("127.0.0.1", "localhost"):
        raise NoticeError("the notice address is not HTTPS")


def post_notice(notice: Notice) -> bool:
    """POST the signed notice; True when the answer says it was acknowledged."""
    url = notice.recipient.notice_url
    _check_address(url)
    body = json.dumps(notice_body(notice)).encode()
    # The scheme was checked above: https, or http to this machine only.
    request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310
    request.add_header("Content-Type", "application/json")
    request.add_header("X-Portal-Signature", signature(body, int(time.time())))
    timeout = conf.timeout_seconds()
    try:
        with _opener.open(request, timeout=timeout) as response:
            answer = response.read(65_536)
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:
            reason = f"answered with a redirect ({exc.code}), not followed"
            raise NoticeError(reason) from None
        raise NoticeError(f"answered with an error ({exc.code})") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise NoticeError(f"could not be reached: {reason}") from None
    return _acknowledged(answer)


def _acknowledged(answer: bytes) -> bool:
    try:
        return json.loads(answer or b"{}").get("acknowledged") is True
    except (ValueError, AttributeError):
        return False


# --- staff and the periodic job ------------------------------------------------------


def notice_acknowledge(*, actor: Any, notice: Notice) -> bool:
    """Staff record that a recipient confirmed a notice (e.g. by e-mail)."""
    with transaction.atomic():
        updated = Notice.objects.filter(pk=notice.pk, status=Notice.Status.SENT).update(
            status=Notice.Status.ACKNOWLEDGED, acknowledged_at=timezone.now()
        )
        if updated:
            audit.record(
                "disclosures.notice.acknowledged",
                actor=actor,
                target=notice,
                subject_id=notice.subject_id,
                data={"recipient": notice.recipient.name},
            )
    return bool(updated)


def notices_dispatch(now: Any = None) -> int:
    """Re-enqueue pending notices that are due (their task was lost or delayed)."""
    from disclosures_app.tasks import notice_send_task
    from privacyportal.tasks import enqueue

    now = now or timezone.now()
    due = Notice.objects.filter(status=Notice.Status.PENDING).exclude(
        next_attempt_at__gt=now
    )
    ids = list(due.values_list("pk", flat=True)[:1000])
    with transaction.atomic():
        for pk in ids:
            enqueue(notice_send_task, pk)
    return len(ids)


def recipients_told(request: Any) -> list[dict[str, Any]]:
    """RECEIPT_SECTIONS entry: who was told of this request, and how it went."""
    rows = Notice.objects.filter(request_reference=request.reference).select_related(
        "recipient"
    )
    return [
        {
            "recipient": n.recipient.name,
            "status": n.get_status_display(),
            "sent_at": n.sent_at.isoformat() if n.sent_at else None,
            "reason": n.reason,
        }
        for n in rows.order_by("recipient__name")
    ]
