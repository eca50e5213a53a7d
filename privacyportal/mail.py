"""Templated e-mail through an outbox: queued in a transaction, sent after commit.

Templates live in ``templates/emails/``: ``<name>.subject.txt`` (one line),
``<name>.txt`` (required) and ``<name>.html`` (optional alternative).

Secret links never sit in the outbox. A context or header value made by
:func:`secret_link` names a *minter* and a row id; the minter, registered by the
app that owns the link, puts a fresh token's hash on its row and returns the URL
when the e-mail is sent, inside the sending transaction. Once sent, the row's
context and headers are cleared: the outbox keeps who, what template and when.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, connection, transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation

from privacyportal import languages
from privacyportal.models import OutboundEmail

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
LINK = "$link"
_MINTERS: dict[str, Callable[[int], str]] = {}
_SEND_HERE: ContextVar[bool] = ContextVar("send_here", default=False)


class LinkGone(Exception):
    """The row a secret link was to be minted for no longer allows a link."""


def register_minter(name: str, mint: Callable[[int], str]) -> None:
    """``mint(row_id) -> absolute URL`` stores a new token's hash on the row."""
    _MINTERS[name] = mint


def secret_link(minter: str, row_id: int, template: str = "{url}") -> dict:
    """A stand-in for a secret URL, minted only when the e-mail is sent."""
    return {LINK: minter, "id": row_id, "template": template}


def resolve(value: Any, *, mint: bool = True) -> Any:
    """Replace secret-link stand-ins; with ``mint=False`` only check them."""
    if isinstance(value, dict) and LINK in value:
        minter = _MINTERS.get(value[LINK])
        if minter is None:
            raise LookupError(f"no link minter registered as {value[LINK]!r}")
        url = minter(value["id"]) if mint else f"{settings.SITE_URL}/link-not-minted/"
        return value.get("template", "{url}").format(url=url)
    if isinstance(value, dict):
        return {key: resolve(item, mint=mint) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, mint=mint) for item in value]
    return value


def queue_email(
    *,
    key: str,
    to: str,
    template: str,
    context: dict,
    headers: dict | None = None,
    language: str | None = None,
) -> OutboundEmail | None:
    """Record an e-mail to send after commit; None if ``key`` was queued before.

    ``language`` is the one it is written in when sent; by default the active
    one (the page's language in a web request, LANGUAGE_CODE in a job).
    """
    language = languages.supported(language or translation.get_language())
    # Fail now, inside the caller's transaction, if a template or minter is wrong.
    render(template, resolve(context, mint=False), language)
    resolve(headers or {}, mint=False)
    try:
        with transaction.atomic():
            email = OutboundEmail.objects.create(
                key=key,
                to=to,
                template=template,
                language=language,
                context=context,
                headers=headers or {},
            )
    except IntegrityError:
        return None
    if _SEND_HERE.get():
        # robust: a failure is logged and the row stays pending for the
        # re-dispatch job; it must not undo the caller's committed work.
        transaction.on_commit(lambda: send_one(email.pk), robust=True)
        return email
    from privacyportal.tasks import enqueue, send_email_task

    enqueue(send_email_task, email.pk)
    return email


# Send tasks per campaign batch carry this many ids: a few messages per batch
# instead of one per e-mail, small enough for several workers to share a batch.
SEND_CHUNK = 100


def queue_many(
    *, template: str, context: dict, recipients: Sequence[tuple[str, str, str]]
) -> list[int]:
    """Record one e-mail per (key, address, language), all with one text.

    What ``queue_email`` does for each, in bulk: the template is checked once
    per language, rows go in by multi-row INSERTs, a key queued before adds
    nothing (ON CONFLICT DO NOTHING). Returns the ids added; they are sent
    after commit, ``SEND_CHUNK`` per task.
    """
    if not recipients:
        return []
    rows = [
        (key, to, languages.supported(lang or translation.get_language()))
        for key, to, lang in recipients
    ]
    checked = resolve(context, mint=False)
    for language in {language for *_, language in rows}:
        render(template, checked, language)
    ids = _insert_many(template, context, rows)
    _send_after_commit(ids)
    return ids


_COLUMNS = ("key", "to", "language", "template", "context", "headers", "status")
_COLUMNS += ("attempts", "last_error", "created_at")


def _insert_many(
    template: str, context: dict, rows: list[tuple[str, str, str]]
) -> list[int]:
    fields = [OutboundEmail._meta.get_field(name) for name in _COLUMNS]
    same = (template, context, {}, OutboundEmail.Status.PENDING, 0, "", timezone.now())
    values = [
        [
            field.get_db_prep_save(value, connection)
            for field, value in zip(fields, (*row, *same), strict=True)
        ]
        for row in rows
    ]
    quote = connection.ops.quote_name
    table = quote(OutboundEmail._meta.db_table)
    columns = ", ".join(quote(c) for c in _COLUMNS)
    one_row = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    size = connection.ops.bulk_batch_size(fields, values) or len(values)
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(values), size):
            chunk = values[start : start + size]
            cursor.execute(
                # Identifiers are the model's own; every value is a parameter.
                f"INSERT INTO {table} ({columns}) "  # noqa: S608
                f"VALUES {', '.join([one_row] * len(chunk))} "
                f"ON CONFLICT ({quote('key')}) DO NOTHING RETURNING id",
                [value for row in chunk for value in row],
            )
            ids.extend(row[0] for row in cursor.fetchall())
    return ids


def _send_after_commit(ids: list[int]) -> None:
    chunks = [ids[i : i + SEND_CHUNK] for i in range(0, len(ids), SEND_CHUNK)]
    if _SEND_HERE.get():
        for chunk in chunks:
            transaction.on_commit(lambda chunk=chunk: send_many(chunk), robust=True)
        return
    from privacyportal.tasks import enqueue, send_emails_task

    for chunk in chunks:
        enqueue(send_emails_task, chunk)


@contextmanager
def sending_here() -> Iterator[None]:
    """E-mails queued inside are sent by this process after commit, not published.

    For operators' commands run while the broker is down: publishing each
    e-mail first waits for the broker (seconds per message) and then fails.
    """
    token = _SEND_HERE.set(True)
    try:
        yield
    finally:
        _SEND_HERE.reset(token)


def render(
    template: str, context: dict, language: str | None = None
) -> tuple[str, str, str | None]:
    full = {
        "SITE_URL": settings.SITE_URL,
        "PRIVACY_CONTACT": settings.PRIVACY_CONTACT_EMAIL,
        **context,
    }
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"emails/{template}.subject.txt", full).strip()
        text = render_to_string(f"emails/{template}.txt", full)
        try:
            html = render_to_string(f"emails/{template}.html", full)
        except TemplateDoesNotExist:
            html = None
    return " ".join(subject.split()), text, html


def send_one(
    email_id: int, *, mailer: Any = None, rendered: dict | None = None
) -> bool:
    """Send one queued e-mail; claims it first, so a duplicate task sends nothing.

    ``mailer`` is an open mail-server connection to reuse; ``rendered`` a cache
    of texts already rendered by this caller (see :func:`send_many`).
    """
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=email_id, status=OutboundEmail.Status.PENDING)
            .order_by("pk")
            .first()
        )
        if email is None:
            return False
        try:
            context, headers = resolve(email.context), resolve(email.headers)
        except LinkGone as exc:
            _record_failure(email, exc, final=True)
            return False
        subject, text, html = _render_cached(
            rendered, email.template, context, email.language
        )
        message = EmailMultiAlternatives(
            subject,
            text,
            settings.DEFAULT_FROM_EMAIL,
            [email.to],
            headers=headers,
            connection=mailer,
        )
        if html:
            message.attach_alternative(html, "text/html")
        try:
            message.send()
        except Exception as exc:  # SMTP errors of every kind: record, retry later
            _record_failure(email, exc)
            return False
        # Sent while holding the row lock: a concurrent task cannot send it again.
        # The context held personal data for the template: not needed any more.
        OutboundEmail.objects.filter(pk=email.pk).update(
            status=OutboundEmail.Status.SENT,
            sent_at=timezone.now(),
            attempts=email.attempts + 1,
            last_error="",
            context={},
            headers={},
        )
    return True


def _render_cached(
    rendered: dict | None, template: str, context: dict, language: str
) -> tuple[str, str, str | None]:
    if rendered is None:
        return render(template, context, language)
    key = (template, language, json.dumps(context, sort_keys=True, default=str))
    if key not in rendered:
        rendered[key] = render(template, context, language)
    return rendered[key]


def send_many(email_ids: Sequence[int]) -> int:
    """Send queued e-mails as ``send_one`` does, each claimed and recorded alone.

    Shared between them: one connection to the mail server, and each distinct
    text rendered once (a campaign batch has one text per language). Returns
    how many were sent.
    """
    rendered: dict = {}
    mailer = get_connection()
    try:
        mailer.open()
    except Exception:  # each send opens its own, and records its own failure
        log.warning("mail server connection failed; sending one by one", exc_info=True)
        mailer = None
    try:
        with _commits_not_awaited():
            return sum(
                send_one(pk, mailer=mailer, rendered=rendered) for pk in email_ids
            )
    finally:
        if mailer is not None:
            mailer.close()


@contextmanager
def _commits_not_awaited() -> Iterator[None]:
    """PostgreSQL's ``synchronous_commit = off`` for this connection, meanwhile.

    Each e-mail's "sent" mark still commits on its own, right after its send
    (a killed worker re-sends at most the one in flight), but without waiting
    for the disk: that wait was most of an e-mail's time. Only a crash of the
    database server itself can lose the last marks (its WAL writer flushes
    within ~3 x ``wal_writer_delay``, 600 ms by default); those e-mails are
    then sent again by the re-dispatch job. Nothing is ever lost unsent.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _record_failure(email: OutboundEmail, exc: Exception, final: bool = False) -> None:
    attempts = email.attempts + 1
    retry = not final and attempts < MAX_ATTEMPTS
    status = OutboundEmail.Status.PENDING if retry else OutboundEmail.Status.FAILED
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


# Sent rows are kept this long as a record of what was sent when (no content:
# that was cleared on sending), then deleted in batches.
KEEP_SENT = timedelta(days=90)


def purge_sent(*, older_than: timedelta = KEEP_SENT, batch: int = 5000) -> int:
    """Delete sent and failed rows older than ``older_than``; returns the count."""
    cutoff = timezone.now() - older_than
    done = OutboundEmail.objects.exclude(status=OutboundEmail.Status.PENDING).filter(
        created_at__lt=cutoff
    )
    total = 0
    while ids := list(done.values_list("pk", flat=True)[:batch]):
        # No relations or signals: Django issues one plain DELETE per batch.
        total += OutboundEmail.objects.filter(pk__in=ids).delete()[0]
    return total
