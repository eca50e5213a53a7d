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
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from consent_app.models import ConsentEvent, ConsentLink, Purpose, Source
from consent_app.services import ConsentError, consent_withdraw, purpose_get
from privacyportal import audit
from privacyportal.audit.services import Actor
from privacyportal.subjects.models import DataSubject


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _create(
    *, kind: str, subject: DataSubject, days: int, purpose: Purpose | None = None
) -> str:
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    ConsentLink.objects.create(
        kind=kind,
        token_hash=token_hash(token),
        subject=subject,
        purpose=purpose,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    return token


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
    key = f"consent:preflink:{token_hash(email)}"
    cache.add(key, 0, 3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, 3600)
        count = 1
    return count > settings.CONSENT_PREFERENCE_LINKS_PER_HOUR


def preference_link_request(*, email: str) -> bool:
    """Send a preference-centre link if the address is known; the caller shows
    the same page either way. Returns whether an e-mail was queued (for tests)."""
    from privacyportal.mail import queue_email

    subject = DataSubject.objects.by_email(email).first()
    if subject is None or subject.anonymised_at or _rate_limited(subject.email):
        return False
    with transaction.atomic():
        token = _create(
            kind=ConsentLink.Kind.PREFERENCES,
            subject=subject,
            days=settings.CONSENT_PREFERENCE_LINK_DAYS,
        )
        url = settings.SITE_URL + reverse("consent:manage", args=[token])
        queue_email(
            key=f"consent-preflink-{token_hash(token)[:32]}",
            to=subject.email,
            template="consent_preferences_link",
            context={"url": url, "days": settings.CONSENT_PREFERENCE_LINK_DAYS},
        )
        audit.record(
            "consent.preference_link.sent",
            actor=Actor.subject(subject.pk),
            target=("subjects.datasubject", subject.pk),
            subject_id=subject.pk,
        )
    return True


# --- one-click unsubscribe (RFC 8058) ---------------------------------------------


def unsubscribe_headers(subject: DataSubject, purpose_code: str) -> dict[str, str]:
    """Headers for a marketing e-mail: an opaque https URL and one-click POST.

    Creates a token valid CONSENT_UNSUBSCRIBE_TOKEN_DAYS (at least 60) days;
    call it inside the transaction that queues the e-mail.
    """
    purpose = purpose_get(purpose_code)
    if not purpose.is_marketing:
        raise ConsentError(f"{purpose_code!r} is not a marketing purpose")
    token = _create(
        kind=ConsentLink.Kind.UNSUBSCRIBE,
        subject=subject,
        purpose=purpose,
        days=settings.CONSENT_UNSUBSCRIBE_TOKEN_DAYS,
    )
    url = settings.SITE_URL + reverse("consent:unsubscribe", args=[token])
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def unsubscribe(
    *, link: ConsentLink, ip: str | None = None, user_agent: str = ""
) -> ConsentEvent:
    """Withdraw the marketing purpose the link was made for."""
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
