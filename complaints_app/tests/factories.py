"""Complaints made the way the portal makes them: through the services."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from complaints_app import services
from complaints_app.models import Complaint
from privacyportal.audit.services import Actor
from requests_app.jurisdictions import jurisdiction_for


def complaint(
    *,
    country: str = "DE",
    region: str = "",
    received_at: datetime | None = None,
    **overrides: Any,
) -> Complaint:
    values = {
        "name": "Ada Complainant",
        "email": "ada@example.org",
        "language": "en-gb",
        "text": "You kept e-mailing me after I unsubscribed.",
    }
    values.update(overrides)
    return services.complaint_file(
        actor=Actor.subject(None),
        country=country,
        region=region,
        jurisdiction=jurisdiction_for(country, region),
        received_at=received_at or timezone.now(),
        **values,
    )
