"""Reads for the staff dashboard: the incident tiles.

The counts are named in ``tile_counts`` and fetched by the console in its one
statement of capped counts; the soonest authority deadline costs one more small
query, and only while a clock is running.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from incidents_app import clocks
from incidents_app.models import Incident
from privacyportal import counts
from privacyportal.widgets import Tile, Viewer

SECTION = "Incidents and breaches"
S = Incident.Status
NOT_CLOSED = (S.OPEN, S.ASSESSED, S.NOTIFIED, S.NOT_NOTIFIABLE)


def register_url(**params: str) -> str:
    url = reverse("admin:incidents_app_incident_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def tile_counts(viewer: Viewer) -> dict[str, QuerySet]:
    incidents, now = Incident.objects, viewer.now
    return {
        "incidents.open": incidents.not_closed(),
        "incidents.running": incidents.clock_running(now),
        "incidents.overdue": incidents.notification_overdue(now),
        "incidents.sending": incidents.notices_sending(),
    }


def soonest_words(viewer: Viewer) -> str:
    """'Soonest: INC-2026-0003 by 5 Dec 14:00 (31 hours left)'."""
    soonest = (
        Incident.objects.clock_running(viewer.now)
        .order_by("became_aware_at")
        .only("reference", "became_aware_at")
        .first()
    )
    if soonest is None:  # notified or decided since the count
        return ""
    due = soonest.authority_due_at
    left = clocks.time_left_words(due, viewer.now)
    when = f"{timezone.localtime(due):%-d %b %H:%M}"
    return f"Soonest: {soonest.reference} by {when} ({left})"


def tiles(viewer: Viewer) -> list[Tile]:
    n = counts.counted(viewer.counts, tile_counts(viewer))
    running = n["incidents.running"]
    return [
        Tile(
            "Open incidents",
            n["incidents.open"],
            register_url(status__in=",".join(NOT_CLOSED)),
            note="Not closed yet",
            section=SECTION,
        ),
        Tile(
            "Authority notice clocks running",
            running,
            register_url(clock="running"),
            note=soonest_words(viewer) if running else "",
            tone="warn",
            section=SECTION,
        ),
        Tile(
            "Authority not notified in time",
            n["incidents.overdue"],
            register_url(clock="overdue"),
            note="Notify now, with the reason for the delay",
            tone="alert",
            section=SECTION,
        ),
        Tile(
            "Notices being sent",
            n["incidents.sending"],
            register_url(notice="sending"),
            note="Telling the people affected, in batches",
            section=SECTION,
        ),
    ]
