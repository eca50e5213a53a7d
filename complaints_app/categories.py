"""complaints_app's retention category (see privacyportal/retention.py).

Decided complaints are anonymised 24 months after the decision, as closed
privacy requests are: the reference, status, law and dates stay for the
yearly figures; what the complainant and staff wrote goes.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models

from complaints_app.models import OPEN_STATUSES, Complaint, ComplaintNote
from privacyportal.retention import Action, Disposed, Holds, Terms
from requests_app.fulfilment.categories import QueryCategory, cutoff_at, unheld


class DecidedComplaintCategory(QueryCategory):
    """Decided (or taken further) complaints: personal fields cleared."""

    key = "complaints.decided_complaints"
    label = "Decided complaints"
    model = Complaint
    action = Action.ANONYMISE
    default_days: int | None = 730
    legal_basis = (
        "Legal obligation and legal claims: evidence that complaints were "
        "handled (GDPR Art. 5(2))"
    )

    def rows(self, now: datetime, terms: Terms, holds: Holds) -> models.QuerySet:
        cutoff = cutoff_at(now, terms)
        if cutoff is None:
            return Complaint.objects.none()
        rows = Complaint.objects.exclude(status__in=OPEN_STATUSES).filter(
            decided_at__lte=cutoff, anonymised_at__isnull=True
        )
        return unheld(rows, holds, "subject_id")

    def dispose(self, rows: models.QuerySet, now: datetime) -> list[Disposed]:
        ids = list(rows.values_list("pk", flat=True))
        anonymise_complaints(ids, now)
        return [Disposed(str(pk)) for pk in ids]


def anonymise_complaints(ids: list[int], now: datetime) -> None:
    """Keep reference, status, law and dates; clear what identifies the person."""
    Complaint.objects.filter(pk__in=ids).update(
        name="",
        email="",
        region="",
        text="",
        outcome="",
        anonymised_at=now,
    )
    # Notes are never edited by staff; the sweep redacts them, as ledgers are.
    ComplaintNote.objects.filter(complaint_id__in=ids).update(text="")


ALL = (DecidedComplaintCategory(),)
