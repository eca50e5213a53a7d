"""requests_app's retention categories (see privacyportal/retention.py).

Expiry is computed in the query (no stored date), so ``recompute`` is a no-op.
Each batch claims rows with ``FOR UPDATE SKIP LOCKED`` and the statement that
disposes of them re-applies the due filter, so concurrent sweeps never dispose
of a row twice and a hold committed first always wins.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime, timedelta

from django.db import models
from django.db.models import F, Q

from privacyportal.retention import Action, Disposed, Due, Holds, Terms
from requests_app.models import (
    Appeal,
    ExportPackage,
    PrivacyRequest,
    RectificationItem,
    RequestEvent,
    RequestLink,
)

S = PrivacyRequest.Status
CLOSED = [S.COMPLETED, S.PARTIALLY_COMPLETED, S.DENIED, S.WITHDRAWN, S.DUPLICATE]


def cutoff_at(now: datetime, terms: Terms) -> datetime | None:
    """Rows older than this are due; None when nothing is (keep, or in grace)."""
    if terms.days is None:
        return None
    if terms.not_before and now < terms.not_before:
        # A shortening change in its grace period: nothing becomes due because
        # of it yet, but what the replaced duration made due still goes.
        if terms.previous_days is None:
            return None
        return now - timedelta(days=terms.previous_days)
    return now - timedelta(days=terms.days)


class QueryCategory(ABC):
    """Shared sweep logic; each category says which rows are due and how to go.

    Other apps' categories whose expiry is computed in the query use it too.
    """

    model: type[models.Model]
    action = Action.DELETE

    @abstractmethod
    def rows(self, now: datetime, terms: Terms, holds: Holds) -> models.QuerySet:
        """The rows due for disposal at ``now``, holds excluded."""

    def due(self, *, now: datetime, terms: Terms, holds: Holds) -> Due:
        return Due(self.rows(now, terms, holds).count())

    def due_under(self, *, at: datetime, terms: Terms) -> Due:
        return Due(self.rows(at, terms, Holds()).count())

    def recompute(self, *, terms: Terms, batch_size: int) -> int:
        return 0

    def dispose_batch(
        self, *, now: datetime, terms: Terms, holds: Holds, limit: int
    ) -> list[Disposed]:
        due = self.rows(now, terms, holds)
        ids = list(
            due.order_by("pk")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return []
        return self.dispose(due.filter(pk__in=ids), now)

    @abstractmethod
    def dispose(self, rows: models.QuerySet, now: datetime) -> list[Disposed]:
        """Delete or anonymise the claimed rows; returns their receipts."""


def unheld(rows: models.QuerySet, holds: Holds, field: str) -> models.QuerySet:
    if not holds.subject_ids:
        return rows
    return rows.exclude(**{f"{field}__in": holds.subject_ids})


class ClosedRequestCategory(QueryCategory):
    """Closed requests: personal fields cleared 24 months after closing."""

    key = "requests.closed_requests"
    label = "Closed privacy requests"
    model = PrivacyRequest
    action = Action.ANONYMISE
    default_days: int | None = 730
    legal_basis = (
        "Legal obligation and legal claims: evidence that requests were handled "
        "(GDPR Art. 5(2))"
    )

    def rows(self, now: datetime, terms: Terms, holds: Holds) -> models.QuerySet:
        cutoff = cutoff_at(now, terms)
        if cutoff is None:
            return PrivacyRequest.objects.none()
        rows = PrivacyRequest.objects.filter(
            status__in=CLOSED, closed_at__lte=cutoff, anonymised_at__isnull=True
        )
        return unheld(rows, holds, "subject_id")

    def dispose(self, rows: models.QuerySet, now: datetime) -> list[Disposed]:
        ids = list(rows.values_list("pk", flat=True))
        anonymise_requests(ids, now)
        return [Disposed(str(pk)) for pk in ids]


def anonymise_requests(ids: list[int], now: datetime) -> None:
    """Keep reference, type, status and dates (statistics); clear the rest."""
    PrivacyRequest.objects.filter(pk__in=ids).update(
        name="",
        email="",
        region="",
        details="",
        agent_name="",
        agent_email="",
        staff_notes="",
        extension_reason="",
        outcome_summary="",
        denial_reason="",
        anonymised_at=now,
    )
    RequestEvent.objects.filter(request_id__in=ids).update(message="", actor_label="")
    RectificationItem.objects.filter(request_id__in=ids).update(
        new_value="", old_value="", reason=""
    )
    # An appeal's text and the reasons given are the requester's words and ours
    # about them: they go with the request's own text.
    Appeal.objects.filter(request_id__in=ids).update(text="", reasons="")
    RequestLink.objects.filter(request_id__in=ids).delete()


class UnverifiedRequestCategory(QueryCategory):
    """Requests never verified: deleted, nothing was ever done with them."""

    key = "requests.unverified"
    label = "Unverified privacy requests"
    model = PrivacyRequest
    default_days: int | None = 30
    legal_basis = "Not needed: the requester never confirmed the request"

    def rows(self, now: datetime, terms: Terms, holds: Holds) -> models.QuerySet:
        cutoff = cutoff_at(now, terms)
        if cutoff is None:
            return PrivacyRequest.objects.none()
        rows = PrivacyRequest.objects.filter(
            status=S.CLOSED_UNVERIFIED, closed_at__lte=cutoff
        )
        return unheld(rows, holds, "subject_id")

    def dispose(self, rows: models.QuerySet, now: datetime) -> list[Disposed]:
        ids = list(rows.values_list("pk", flat=True))
        PrivacyRequest.objects.filter(pk__in=ids).delete()
        return [Disposed(str(pk)) for pk in ids]


class ExportPackageCategory(QueryCategory):
    """Export files: deleted when the link expired or was used up."""

    key = "requests.export_packages"
    label = "Access-export packages"
    model = ExportPackage
    default_days: int | None = 7
    legal_basis = "A copy made for the requester; the link has expired"

    def rows(self, now: datetime, terms: Terms, holds: Holds) -> models.QuerySet:
        gone = Q(expires_at__lte=now) | Q(download_count__gte=F("max_downloads"))
        cutoff = cutoff_at(now, terms)
        if cutoff is not None:
            gone |= Q(ready_at__lte=cutoff)
        rows = ExportPackage.objects.filter(gone, status=ExportPackage.Status.READY)
        return unheld(rows, holds, "request__subject_id")

    def dispose(self, rows: models.QuerySet, now: datetime) -> list[Disposed]:
        found = list(rows.values_list("pk", "file", "size"))
        ExportPackage.objects.filter(pk__in=[r[0] for r in found]).update(
            status=ExportPackage.Status.EXPIRED, deleted_at=now, file=""
        )
        return [
            Disposed(str(pk), bytes=size, files=(name,) if name else ())
            for pk, name, size in found
        ]


class StaleLinkCategory(QueryCategory):
    """Used or expired links (hashes only) a month after they stopped working."""

    key = "requests.stale_links"
    label = "Expired request links"
    model = RequestLink
    default_days: int | None = 30
    legal_basis = "Not needed once the link no longer works"

    def rows(self, now: datetime, terms: Terms, holds: Holds) -> models.QuerySet:
        cutoff = cutoff_at(now, terms)
        if cutoff is None:
            return RequestLink.objects.none()
        return RequestLink.objects.filter(
            Q(expires_at__lte=cutoff) | Q(used_at__lte=cutoff)
        )

    def dispose(self, rows: models.QuerySet, now: datetime) -> list[Disposed]:
        ids = list(rows.values_list("pk", flat=True))
        RequestLink.objects.filter(pk__in=ids).delete()
        return [Disposed(str(pk)) for pk in ids]


ALL = (
    ClosedRequestCategory(),
    UnverifiedRequestCategory(),
    ExportPackageCategory(),
    StaleLinkCategory(),
)
