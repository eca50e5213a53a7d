"""Demo privacy requests in every type, status, jurisdiction and due window.

Each request is filed through ``request_submit`` (audited, with its deadline
computed by the real rules) with ``received_at`` in the past. Moving it to its
demo state is then a direct UPDATE of status and dates: the workflow services
act at "now" and would refuse to complete a request months ago, so replaying
them cannot give the dashboard a year of history. The timeline says so.

Idempotent: a request's identity is its demo e-mail address (demo-request-NN).
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from requests_app import services
from requests_app.models import PrivacyRequest, RequestEvent
from requests_app.services import Submission

COUNT = 60
T, S = PrivacyRequest.Type, PrivacyRequest.Status
TYPES = list(T)
# (country, region) -> EU, UK, US-CA, US-VA, US, Brazil, Canada, Japan ...
PLACES = [
    ("DE", ""),
    ("FR", ""),
    ("GB", ""),
    ("US", "CA"),
    ("US", "VA"),
    ("US", ""),
    ("BR", ""),
    ("CA", ""),
    ("IE", ""),
    ("AU", ""),
]
# name -> (days since received, status, extra shaping); open ones are recent.
SHAPES = [
    ("awaiting verification", 1, S.RECEIVED),
    ("due soon", 26, S.VERIFIED),
    ("overdue", 40, S.IN_PROGRESS),
    ("in progress", 10, S.IN_PROGRESS),
    ("paused", 20, S.NEEDS_INFO),
    ("extended", 45, S.IN_PROGRESS),
    ("completed on time", None, S.COMPLETED),
    ("completed late", None, S.COMPLETED),
    ("partially completed", None, S.PARTIALLY_COMPLETED),
    ("denied", None, S.DENIED),
    ("withdrawn", None, S.WITHDRAWN),
    ("never verified", None, S.CLOSED_UNVERIFIED),
    ("duplicate", 2, S.DUPLICATE),
]


def _email(i: int) -> str:
    return f"demo-request-{i:02d}@example.org"


def seed(*, rng: random.Random, actor: Any) -> dict[str, int]:
    have = set(
        PrivacyRequest.objects.filter(email__startswith="demo-request-").values_list(
            "email", flat=True
        )
    )
    staff = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    made = 0
    for i in range(COUNT):
        if _email(i) not in have:
            _one(i, rng, actor, staff)
            made += 1
    return {"privacy requests": made}


def _one(i: int, rng: random.Random, actor: Any, staff: Any) -> None:
    name, age, status = SHAPES[i % len(SHAPES)]
    country, region = PLACES[i % len(PLACES)]
    closed = age is None
    # Closed requests spread over the last year, a few days apart.
    age = age if not closed else 30 + (i * 331 // COUNT) + rng.randint(0, 4)
    received = timezone.now() - timedelta(days=age, hours=rng.randint(0, 20))
    request = services.request_submit(
        actor=actor,
        received_at=received,
        submission=Submission(
            type=TYPES[i % len(TYPES)],
            email=_email(i),
            name=f"Demo Requester {i:02d}",
            country=country,
            region=region,
            relationship=PrivacyRequest.Relationship.CUSTOMER,
            details="Demo request (seed_demo).",
        ),
    )
    fields = _shape(name, status, request, rng, staff)
    PrivacyRequest.objects.filter(pk=request.pk).update(**fields)
    RequestEvent.objects.create(
        request=request,
        kind=RequestEvent.Kind.NOTE,
        actor_label="seed_demo",
        message=f"Demo data: set to \u201c{name}\u201d directly, with past dates.",
    )


def _shape(
    name: str, status: str, request: PrivacyRequest, rng: random.Random, staff: Any
) -> dict[str, Any]:
    received, due = request.received_at, request.due_at
    fields: dict[str, Any] = {"status": status}
    if status != S.RECEIVED and name != "never verified":
        fields["verified_at"] = received + timedelta(hours=rng.randint(1, 30))
    if status in (S.VERIFIED, S.IN_PROGRESS, S.NEEDS_INFO):
        fields["assignee"] = staff if request.pk % 2 else None
    if name == "paused":
        fields["paused_at"] = timezone.now() - timedelta(days=3)
    if name == "overdue":
        fields["needs_attention"] = request.pk % 3 == 0
    if name == "extended":
        fields["extended_at"] = received + timedelta(days=25)
        fields["extension_reason"] = "Many systems to search (demo)."
        fields["due_at"] = due + timedelta(days=60)
    if status in (S.COMPLETED, S.PARTIALLY_COMPLETED, S.DENIED, S.WITHDRAWN):
        taken = rng.randint(3, 25) if name != "completed late" else rng.randint(33, 45)
        fields["closed_at"] = received + timedelta(days=taken)
        fields["completed_at"] = fields["closed_at"]
        fields["outcome_summary"] = "Demo outcome."
    if status == S.DENIED:
        fields["denial_reason"] = "Identity could not be confirmed (demo)."
        fields["denial_legal_basis"] = "GDPR Art. 12(6)"
    if status == S.DUPLICATE:
        fields["duplicate_of"] = (
            PrivacyRequest.objects.filter(email__startswith="demo-request-")
            .exclude(pk=request.pk)
            .order_by("pk")
            .first()
        )
        fields["closed_at"] = received
    if status == S.CLOSED_UNVERIFIED:
        fields["closed_at"] = received + timedelta(days=14)
    return fields
