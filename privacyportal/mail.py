"""Templated e-mail through an outbox: queued in a transaction, sent after commit.

Templates live in ``templates/emails/``: ``<name>.subject.txt`` (one line),
``<name>.txt`` (required) and ``<name>.html`` (optional alternative).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone

from privacyportal.models import OutboundEmail

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


def queue_email(
    *, key: str, to: str, template: str, context: dict, headers: dict | None = None
) -> OutboundEmail | None:
    """Record an e-mail to send after commit; None if ``key`` was queued before."""
    render(template, context)  # fail now, inside the caller's transaction, if broken
    try:
        with transaction.atomic():
            email = OutboundEmail.objects.create(
                key=key,
                to=to,
                template=template,
                context=context,
                headers=headers or {},
            )
    except IntegrityError:
        return None
    from privacyportal.tasks import enqueue, send_email_task

    enqueue(send_email_task, email.pk)
    return email


def render(template: str, context: dict) -> tuple[str, str, str | None]:
    full = {"SITE_URL": settings.SITE_URL, **context}
    subject = render_to_string(f"emails/{template}.subject.txt", full).strip()
    text = render_to_string(f"emails/{template}.txt", full)
    try:
        html = render_to_string(f"emails/{template}.html", full)
    except TemplateDoesNotExist:
        html = None
    return " ".join(subject.split()), text, html


def send_one(email_id: int) -> bool:
    """Send one queued e-mail; claims it first, so a duplicate task sends nothing."""
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, status=OutboundEmail.Status.PENDING)
            .first()
        )
        if email is None:
            return False
        subject, text, html = render(email.template, email.context)
        message = EmailMultiAlternatives(
            subject,
            text,
            settings.DEFAULT_FROM_EMAIL,
            [email.to],
            headers=email.headers,
        )
        if html:
            message.attach_alternative(html, "text/html")
        try:
            message.send()
        except Exception as exc:  # SMTP errors of every kind: record, retry later
            _record_failure(email, exc)
            return False
        # Sent while holding the row lock: a concurrent task cannot send it again.
        OutboundEmail.objects.filter(pk=email.pk).update(
            status=OutboundEmail.Status.SENT,
            sent_at=timezone.now(),
            attempts=email.attempts + 1,
            last_error="",
        )
    return True


def _record_failure(email: OutboundEmail, exc: Exception) -> None:
    attempts = email.attempts + 1
    status = (
        OutboundEmail.Status.FAILED
        if attempts >= MAX_ATTEMPTS
        else OutboundEmail.Status.PENDING
    )
    OutboundEmail.objects.filter(pk=email.pk).update(
        attempts=attempts,
        status=status,
        last_error=f"{type(exc).__name__}: {exc}"[:500],
    )
    log.warning("e-mail %s failed (attempt %s): %s", email.pk, attempts, exc)


def send_pending(*, older_than: timedelta | None = None, limit: int = 1000) -> int:
    """Send unsent e-mails synchronously (tests, and the re-dispatch fallback)."""
    pending = OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING)
    if older_than is not None:
        pending = pending.filter(created_at__lte=timezone.now() - older_than)
    ids = list(pending.order_by("created_at").values_list("pk", flat=True)[:limit])
    return sum(send_one(pk) for pk in ids)


def redispatch_pending(
    *, older_than: timedelta = timedelta(minutes=5), limit: int = 1000
) -> int:
    """Re-enqueue e-mails recorded but never sent (the broker was down)."""
    from privacyportal.tasks import send_email_task

    cutoff = timezone.now() - older_than
    ids = list(
        OutboundEmail.objects.filter(
            status=OutboundEmail.Status.PENDING, created_at__lte=cutoff
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        send_email_task.delay(pk)
    return len(ids)
