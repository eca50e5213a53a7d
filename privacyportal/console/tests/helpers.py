"""Requests in every state the tiles count, made through request_submit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from requests_app.models import PrivacyRequest
from requests_app.tests.factories import submit

S = PrivacyRequest.Status


def shaped(**fields: Any) -> PrivacyRequest:
    """A submitted request moved straight to a state (the clock set directly)."""
    request = submit()
    PrivacyRequest.objects.filter(pk=request.pk).update(**fields)
    request.refresh_from_db()
    return request


def queue(officer: Any) -> dict[str, list[PrivacyRequest]]:
    """One or more requests behind each tile, and some behind none."""
    now = timezone.now()
    return {
        "overdue": [
            shaped(
                status=S.IN_PROGRESS, due_at=now - timedelta(days=d), assignee=officer
            )
            for d in (1, 3)
        ],
        "due_7": [shaped(status=S.VERIFIED, due_at=now + timedelta(days=2))],
        "waiting_paused": [
            shaped(status=S.NEEDS_INFO, paused_at=now, due_at=now - timedelta(days=1))
        ],
        "waiting_running": [
            shaped(status=S.NEEDS_INFO, due_at=now + timedelta(days=20))
        ],
        "unverified": [submit(), submit()],
        "attention": [
            shaped(status=S.IN_PROGRESS, needs_attention=True, assignee=officer)
        ],
        "closed": [shaped(status=S.COMPLETED, closed_at=now, due_at=now)],
    }
