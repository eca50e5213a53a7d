"""incidents_app's retention category (see privacyportal/retention.py).

Unconfirmed reports are deleted after a week by their own job
(services.compromise_reports_purge). A confirmed report is kept while it is
looked into; 24 months after its incident closed (or after it was confirmed,
when no incident was opened) the reporter's details and text are cleared. The
incident register keeps its own account of what happened (Art. 33(5)).

A person chosen for a breach notice but never told is on a working list, not
evidence of anything: 90 days after the incident closed with them still
untold, their row (and address) is deleted. Rows of people told stay, as the
proof that they were (their address is removed on erasure).
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Trim

from incidents_app.models import AffectedPerson, CompromiseReport, Incident, NoticeRun
from incidents_app.sources import anonymise_reports
from privacyportal.audit.services import Actor
from privacyportal.retention import Action, Disposed, Holds, Terms
from privacyportal.subjects.models import DataSubject
from requests_app.fulfilment.categories import QueryCategory, cutoff_at, unheld

CR = CompromiseReport.Status


class CompromiseReportCategory(QueryCategory):
    key = "incidents.compromise_reports"
    label = "Compromised-account reports (confirmed)"
    model = CompromiseReport
    action = Action.ANONYMISE
    default_days: int | None = 730
    legal_basis = (
        "Legal obligation: documenting possible breaches (GDPR Art. 33(5)); "
        "the incident register keeps its own record"
    )

    def rows(self, now: datetime, terms: Terms, holds: Holds) -> models.QuerySet:
        cutoff = cutoff_at(now, terms)
        if cutoff is None:
            return CompromiseReport.objects.none()
        no_incident = Q(status=CR.RECEIVED, verified_at__lte=cutoff)
        incident_closed = Q(
            status=CR.INCIDENT_OPENED,
            incident__status=Incident.Status.CLOSED,
            incident__closed_at__lte=cutoff,
        )
        rows = CompromiseReport.objects.filter(
            no_incident | incident_closed, anonymised_at__isnull=True
        )
        return _unheld_addresses(rows, holds)

    def dispose(self, rows: models.QuerySet, now: datetime) -> list[Disposed]:
        ids = list(rows.values_list("pk", flat=True))
        anonymise_reports(ids, now, actor=Actor.system("retention sweep"))
        return [Disposed(str(pk)) for pk in ids]


class UnsentNoticeCategory(QueryCategory):
    key = "incidents.unsent_notices"
    label = "People listed for a breach notice but never told"
    model = AffectedPerson
    action = Action.DELETE
    default_days: int | None = 90
    legal_basis = (
        "No longer needed (GDPR Art. 5(1)(e)): the incident is closed and no "
        "notice was sent to them"
    )

    def rows(self, now: datetime, terms: Terms, holds: Holds) -> models.QuerySet:
        cutoff = cutoff_at(now, terms)
        if cutoff is None:
            return AffectedPerson.objects.none()
        rows = AffectedPerson.objects.filter(
            notified_at__isnull=True,
            incident__status=Incident.Status.CLOSED,
            incident__closed_at__lte=cutoff,
        ).exclude(
            # A notice still sending after the close may yet tell them.
            incident__notice_runs__status=NoticeRun.Status.RUNNING
        )
        return _unheld_addresses(unheld(rows, holds, "subject_id"), holds)

    def dispose(self, rows: models.QuerySet, now: datetime) -> list[Disposed]:
        # The incidents locked first, as notice_run_start locks them: a notice
        # started after the rows were chosen is seen here (the rows are then
        # no longer due), one started after this commit finds them gone.
        incidents = set(rows.values_list("incident_id", flat=True))
        list(Incident.objects.select_for_update().filter(pk__in=incidents))
        ids = list(rows.values_list("pk", flat=True))  # evaluated again, locked
        # Nothing points at these rows: one DELETE, no cascade to collect.
        AffectedPerson.objects.filter(pk__in=ids, notified_at__isnull=True).delete()
        return [Disposed(str(pk)) for pk in ids]


def _unheld_addresses(rows: models.QuerySet, holds: Holds) -> models.QuerySet:
    """A report names no subject: a hold on a person covers their address."""
    if not holds.subject_ids:
        return rows
    held = (
        DataSubject.objects.filter(pk__in=holds.subject_ids, email__isnull=False)
        .annotate(address=Lower(Trim("email")))
        .values("address")
    )
    return rows.alias(address=Lower(Trim("email"))).exclude(address__in=held)


ALL = (CompromiseReportCategory(), UnsentNoticeCategory())
