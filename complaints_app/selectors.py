"""Reads for the staff dashboard: the complaint tiles.

The counts are named in ``tile_counts`` and fetched by the console in its one
statement of capped counts (``privacyportal.counts``); ``tiles`` only words them.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.db.models import QuerySet
from django.urls import reverse

from complaints_app.models import OPEN_STATUSES, Complaint
from privacyportal import counts
from privacyportal.widgets import Tile, Viewer

SECTION = "Complaints"


def queue_url(**params: str) -> str:
    url = reverse("admin:complaints_app_complaint_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def tile_counts(viewer: Viewer) -> dict[str, QuerySet]:
    complaints, now = Complaint.objects, viewer.now
    return {
        "complaints.open": complaints.open(),
        "complaints.due_7": complaints.due_within(now, 7),
        "complaints.overdue_ack": complaints.overdue_to_acknowledge(now),
        "complaints.overdue_decision": complaints.overdue_to_decide(now),
    }


def tiles(viewer: Viewer) -> list[Tile]:
    n = counts.counted(viewer.counts, tile_counts(viewer))
    late_ack, late_decision = (
        n["complaints.overdue_ack"],
        n["complaints.overdue_decision"],
    )
    return [
        Tile(
            "Open complaints",
            n["complaints.open"],
            queue_url(status__in=",".join(OPEN_STATUSES)),
            note="Received, acknowledged or under investigation",
            section=SECTION,
        ),
        Tile(
            "Due in the next 7 days",
            n["complaints.due_7"],
            queue_url(due="7"),
            note="To acknowledge or to decide",
            tone="warn",
            section=SECTION,
        ),
        Tile(
            "Overdue",
            late_ack + late_decision,
            queue_url(due="overdue"),
            note=f"{late_ack} to acknowledge, {late_decision} to decide",
            tone="alert",
            section=SECTION,
        ),
    ]
