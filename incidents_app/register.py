"""The register as a regulator reads it: one CSV row per incident."""

from __future__ import annotations

import io
from collections.abc import Iterator

from django.utils import timezone

from incidents_app.models import Incident
from privacyportal.csvsafe import SafeWriter
from requests_app.jurisdictions import jurisdiction_name

COLUMNS = [
    "Reference",
    "Title",
    "Became aware",
    "Occurred from",
    "Occurred to",
    "Categories of data",
    "Categories of people",
    "Approx. people",
    "Approx. records",
    "Likely consequences",
    "Measures",
    "Where the people live",
    "Risk",
    "Notify authority",
    "Reasons",
    "Authority notified at",
    "Authority reference",
    "Reason for late notification",
    "Tell the people affected",
    "Reason (people)",
    "Status",
    "Closed at",
]


def _when(value) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M %Z}" if value else ""


def _yes_no(value: bool | None) -> str:
    return {True: "Yes", False: "No"}.get(value, "Not decided")


def row(incident: Incident) -> list:
    categories = [*incident.data_categories]
    if incident.other_data_categories:
        categories.append(incident.other_data_categories)
    return [
        incident.reference,
        incident.title,
        _when(incident.became_aware_at),
        _when(incident.occurred_from),
        _when(incident.occurred_to),
        "; ".join(categories),
        incident.subject_categories,
        incident.approx_subjects if incident.approx_subjects is not None else "",
        incident.approx_records if incident.approx_records is not None else "",
        incident.consequences,
        incident.measures,
        "; ".join(jurisdiction_name(c) for c in incident.jurisdictions),
        incident.get_risk_display(),
        _yes_no(incident.notify_authority),
        incident.decision_reasons,
        _when(incident.authority_notified_at),
        incident.authority_reference,
        incident.late_reason,
        _yes_no(incident.notify_people),
        incident.people_reason,
        incident.get_status_display(),
        _when(incident.closed_at),
    ]


def register_csv(incidents=None) -> Iterator[str]:
    """Stream the register, oldest first, through the formula-safe writer."""
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    writer.writerow(COLUMNS)
    queryset = incidents if incidents is not None else Incident.objects.all()
    for incident in queryset.order_by("became_aware_at").iterator(chunk_size=500):
        writer.writerow(row(incident))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
