"""Secret links: preference-centre links and one-click unsubscribe tokens.

A token is ``secrets.token_urlsafe(32)``; only its SHA-256 is stored, each link
serves one purpose (its ``kind``), and it expires.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from consent_app.models import ConsentEvent, ConsentLink, Purpose, Source
from consent_app.services import ConsentError, consent_withdraw, purpose_get
from privacyportal import audit, fastcache
from privacyportal.audit.services import Actor
from privacyportal.subjects.models import DataSubject


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_row(
    *, kind: str, subject: DataSubject, days: int, purpose: Purpose | None = None
) -> ConsentLink:
    """A link row whose token does not exist yet: it is minted when e-mailed."""
    now = timezone.now()
    return ConsentLink.objects.create(
        kind=kind,
        # A hash of a token nobody holds, until mint() replaces it.
        token_hash=token_hash(secrets.token_urlsafe(32)),
        subject=subject,
        purpose=purpose,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )


_VIEW = {
    ConsentLink.Kind.PREFERENCES: "consent:manage",
    ConsentLink.Kind.UNSUBSCRIBE: "consent:unsubscribe",
}


def mint(link_id: int) -> str:
    """Give a link row a fresh token (only its hash is kept); returns the URL."""
    from privacyportal.mail import LinkGone

    link = ConsentLink.objects.filter(pk=link_id, expires_at__gt=timezone.now()).first()
    if link is None:
        raise LinkGone(f"consent link #{link_id} expired or was deleted")
    token = secrets.token_urlsafe(32)
    ConsentLink.objects.filter(pk=link_id).update(token_hash=token_hash(token))
    return settings.SITE_URL + reverse(_VIEW[link.kind], args=[token])


def _create(
    *, kind: str, subject: DataSubject, days: int, purpose: Purpose | None = None
) -> str:
    """Create and mint at once (staff tools and tests); returns the raw token."""
    row = _new_row(kind=kind, subject=subject, days=days, purpose=purpose)
    return mint(row.pk).rstrip("/").rsplit("/", 1)[1]


def link_resolve(token: str, kind: str) -> ConsentLink | None:
    """The live link for a token, or None (unknown, altered, expired, wrong kind)."""
    if not token or len(token) > 100:
        return None
    return (
        ConsentLink.objects.select_related("subject", "purpose")
        .filter(token_hash=token_hash(token), kind=kind, expires_at__gt=timezone.now())
        .first()
    )


# --- preference centre ----------------------------------------------------------


def _rate_limited(email: str) -> bool:
    """At most N links an hour per address, so the form cannot flood a mailbox."""
    limit = settings.CONSENT_PREFERENCE_LINKS_PER_HOUR
    # fastcache counts atomically on every backend and survives a cache outage.
    return not fastcache.hits("consent", [("link-email", email, limit)])


def preference_link_request(*, email: str, language: str = "") -> bool:
    """Send a preference-centre link if the address is known.

    Runs in a task (see ``preference_link_request_async``), so the public page
    does the same work, in the same time, for known and unknown addresses.
    Returns whether an e-mail was queued. ``language`` is the page's, so the
    e-mail reads like the page that asked for it.
    """
    from privacyportal.mail import queue_email, secret_link

    subject = DataSubject.objects.by_email(email).first()
    if subject is None or subject.anonymised_at or _rate_limited(subject.email):
        return False
    with transaction.atomic():
        row = _new_row(
            kind=ConsentLink.Kind.PREFERENCES,
            subject=subject,
            days=settings.CONSENT_PREFERENCE_LINK_DAYS,
        )
        queue_email(
            key=f"consent-preflink-{row.pk}",
            to=subject.email,
            template="consent_preferences_link",
            context={
                "url": secret_link("consent.link", row.pk),
                "days": settings.CONSENT_PREFERENCE_LINK_DAYS,
            },
            language=language or subject.language or None,
        )
        audit.record(
            "consent.preference_link.sent",
            actor=Actor.subject(subject.pk),
            target=("subjects.datasubject", subject.pk),
            subject_id=subject.pk,
        )
    return True


def preference_link_request_async(*, email: str, language: str = "") -> None:
    """What the public view calls: one enqueue, whoever the address belongs to."""
    from consent_app.tasks import preference_link_task
    from privacyportal.tasks import enqueue

    # Kept if the broker is down: the address exists nowhere else yet.
    enqueue(preference_link_task, email, language, keep=True)


# --- one-click unsubscribe (RFC 8058) ---------------------------------------------


def unsubscribe_headers(subject: DataSubject, purpose_code: str) -> dict[str, Any]:
    """Headers for a marketing e-mail: an opaque https URL and one-click POST.

    The URL's token is minted when the e-mail is sent (``privacyportal.mail``)
    and stays valid CONSENT_UNSUBSCRIBE_TOKEN_DAYS (at least 60) days; call this
    inside the transaction that queues the e-mail and pass it as ``headers``.
    """
    from privacyportal.mail import secret_link

    purpose = purpose_get(purpose_code)
    if not purpose.is_marketing:
        raise ConsentError(f"{purpose_code!r} is not a marketing purpose")
    row = _new_row(
        kind=ConsentLink.Kind.UNSUBSCRIBE,
        subject=subject,
        purpose=purpose,
        days=settings.CONSENT_UNSUBSCRIBE_TOKEN_DAYS,
    )
    return {
        "List-Unsubscribe": secret_link("consent.link", row.pk, "<{url}>"),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def unsubscribe(
    *, link: ConsentLink, ip: str | None = None, user_agent: str = ""
) -> ConsentEvent | None:
    """Withdraw the marketing purpose the link was made for (None: it already was)."""
    link_id = link.pk
    with transaction.atomic():
        event = consent_withdraw(
            actor=Actor.subject(link.subject_id),
            subject=link.subject,
            purpose=link.purpose.code,
            source=Source.UNSUBSCRIBE,
            evidence=f"one-click unsubscribe link #{link_id}",
            ip=ip,
            user_agent=user_agent,
        )
        ConsentLink.objects.filter(pk=link_id, used_at__isnull=True).update(
            used_at=timezone.now()
        )
    return event


def links_purge_expired() -> int:
    """Delete expired links: they can no longer be used and point at a person."""
    deleted, _ = ConsentLink.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


def subject_links_delete(*, subject: Any) -> int:
    deleted, _ = ConsentLink.objects.filter(subject_id=subject.pk).delete()
    return deleted
