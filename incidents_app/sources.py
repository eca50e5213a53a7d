"""Registry sources: compromised-account reports and breach notices.

A report carries no link to a DataSubject (the public form asks for none), so
it is found by the reporter's address. A breach notice row is found by its
subject or its address. Neither source exports an incident's own record (its
assessment, decision and reasons): that is the company's register, not data
the person gave or was sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext_noop

from incidents_app.models import AffectedPerson, CompromiseReport, Incident, NoticeRun
from privacyportal import audit
from privacyportal.registry import ErasureResult, Outcome, SourceInfo
from privacyportal.subjects.models import normalize_email

CR = CompromiseReport.Status
# What a notice row's address becomes: unique per row, as the table requires,
# and not an address anyone could be e-mailed at.
ERASED_PREFIX = "erased:"
REPORT_OPEN_BASIS = (
    "legal obligation: assessing and documenting a possible personal-data "
    "breach (GDPR Art. 33(5)), GDPR Art. 17(3)(b)"
)
NOTICE_BASIS = (
    "legal obligation: evidence that the people affected by a breach were told "
    "(GDPR Art. 5(2), Art. 33(5) and 34)"
)
NOTICE_PENDING_BASIS = (
    "legal obligation: telling you of a breach that affects you (GDPR Art. 34 "
    "and US state breach-notice laws)"
)


def _day(value: Any) -> str:
    return value.date().isoformat() if value else ""


def anonymise_reports(ids: list[int], now: Any, *, actor: Any) -> int:
    """Clear the reporter's contact details and text; keep reference and dates.

    An incident opened from a report began with a copy of the reporter's words
    (services.incident_description_from): that block, if still there as
    written, goes too, so the register does not keep what the report no
    longer holds.
    """
    reports = CompromiseReport.objects.filter(pk__in=ids, anonymised_at__isnull=True)
    opened = (
        reports.filter(incident__isnull=False)
        .select_related("incident")
        # The incident too: a staff edit saved meanwhile would put the words back.
        .select_for_update(of=("self", "incident"))
    )
    for report in opened:
        _remove_report_words(report, now, actor=actor)
    return reports.update(
        what_happened="", email="", phone="", account_name="", anonymised_at=now
    )


def _remove_report_words(report: CompromiseReport, now: Any, *, actor: Any) -> None:
    from incidents_app.services import incident_description_from

    incident = report.incident
    copied = incident_description_from(report)
    if copied not in incident.description:
        return  # staff rewrote it: their words are the register's
    removed = (
        f"Reported by the public ({report.reference}): the reporter's words were "
        f"removed with the report on {now.day} {now:%b %Y}."
    )
    text = incident.description.replace(copied, removed, 1)
    Incident.objects.filter(pk=incident.pk).update(description=text)
    audit.record(
        "incidents.incident.report_words_removed",
        actor=actor,
        target=incident,
        data={"reference": incident.reference, "report": report.reference},
    )


class CompromiseReportSource:
    key = "incidents.compromise_reports"
    # Words marked with gettext_noop: see privacyportal.registry.
    label = gettext_noop("Your reports of a compromised account")
    info = SourceInfo(
        categories=(
            gettext_noop("what you reported"),
            gettext_noop("contact details given in the report"),
        ),
        purposes=(gettext_noop("looking into a possible breach of your data"),),
        retention=gettext_noop(
            "unconfirmed reports: 7 days; others: while looked into, then "
            "24 months after, then anonymised"
        ),
        origin=gettext_noop("provided by you on our report form"),
    )

    def _reports(self, subject: Any):
        email = normalize_email(subject.email)
        if not email:
            return CompromiseReport.objects.none()
        return CompromiseReport.objects.filter(
            email__iexact=email, anonymised_at__isnull=True
        )

    def export(self, subject: Any) -> dict[str, Any]:
        return {"reports": self._rows(subject)}

    def _rows(self, subject: Any) -> Iterator[dict]:
        reports = self._reports(subject).select_related("incident")
        for report in reports.order_by("created_at", "pk").iterator():
            yield {
                "reference": report.reference or "",
                "status": str(CR(report.status).label),
                "filed": report.created_at,
                "confirmed": report.verified_at,
                "what happened": report.what_happened,
                "when it happened": report.happened_on,
                "e-mail address": report.email,
                "phone": report.phone,
                "account name": report.account_name,
                "incident opened": report.incident.reference if report.incident else "",
            }

    def erase(self, subject: Any, *, actor: Any) -> ErasureResult:
        with transaction.atomic():
            reports = list(
                self._reports(subject)
                .select_for_update(of=("self",))
                .select_related("incident")
            )
            if not reports:
                return ErasureResult(Outcome.NOTHING)
            kept = [r for r in reports if _being_looked_into(r)]
            unconfirmed = [r.pk for r in reports if r.status == CR.UNCONFIRMED]
            finished = [
                r.pk for r in reports if r not in kept and r.pk not in unconfirmed
            ]
            CompromiseReport.objects.filter(pk__in=unconfirmed).delete()
            anonymise_reports(finished, timezone.now(), actor=actor)
            if unconfirmed or finished:
                audit.record(
                    "incidents.compromise.erased",
                    actor=actor,
                    subject_id=subject.pk,
                    data={
                        "deleted": len(unconfirmed),
                        "anonymised": len(finished),
                        "kept": [r.reference for r in kept],
                    },
                )
        return _report_result(len(unconfirmed), len(finished), kept)


def _being_looked_into(report: CompromiseReport) -> bool:
    """Confirmed and not finished with: no incident yet, or one not closed."""
    if report.status == CR.RECEIVED:
        return True
    return report.status == CR.INCIDENT_OPENED and (
        report.incident is None or report.incident.status != Incident.Status.CLOSED
    )


def _report_result(
    deleted: int, anonymised: int, kept: list[CompromiseReport]
) -> ErasureResult:
    detail = f"{deleted} unconfirmed report(s) deleted, {anonymised} anonymised"
    if kept:
        references = ", ".join(r.reference or "" for r in kept)
        return ErasureResult(
            Outcome.RETAINED,
            deleted + anonymised,
            f"{detail}; {len(kept)} kept ({references})",
            reason=f"we are still looking into what you reported ({references}): "
            "we keep it until we have finished",
            legal_basis=REPORT_OPEN_BASIS,
        )
    if anonymised:
        return ErasureResult(
            Outcome.ANONYMISED,
            deleted + anonymised,
            f"{detail}; the reference and dates stay in our breach register",
        )
    return ErasureResult(Outcome.DELETED, deleted, detail)


class BreachNoticeSource:
    key = "incidents.breach_notices"
    label = gettext_noop("Breach notices sent to you")
    info = SourceInfo(
        categories=(gettext_noop("notices of a data breach sent to you"),),
        purposes=(gettext_noop("telling you of a breach that affects you"),),
        retention=gettext_noop(
            "kept as evidence that you were told; your address is removed on erasure"
        ),
        origin=gettext_noop("our breach register"),
        # Evidence of notification (Art. 33(5), 34): kept by design.
        record_of_handling=True,
    )

    def _rows_of(self, subject: Any):
        mine = Q(subject_id=subject.pk)
        email = normalize_email(subject.email)
        if email:
            # Rows linked to a subject are found by the link (the address may
            # have changed since); the address finds the rows of no known person.
            mine |= Q(subject__isnull=True, email=email)
        return AffectedPerson.objects.filter(mine)

    def export(self, subject: Any) -> dict[str, Any]:
        return {"notices": self._notices(subject)}

    def _notices(self, subject: Any) -> Iterator[dict]:
        # Only notices sent: a list being drawn up is the incident's working
        # record, not something the person was sent.
        sent = (
            self._rows_of(subject)
            .filter(notified_at__isnull=False)
            .select_related("incident")
            .order_by("notified_at", "pk")
        )
        for row in sent.iterator():
            yield {
                "incident": row.incident.reference,
                "sent": _day(row.notified_at),
                "language": row.language,
                "sent to": "" if row.email.startswith(ERASED_PREFIX) else row.email,
            }

    def erase(self, subject: Any, *, actor: Any) -> ErasureResult:
        with transaction.atomic():
            rows = list(
                self._rows_of(subject)
                .select_for_update(of=("self",))
                .select_related("incident")
            )
            if not rows:
                return ErasureResult(Outcome.NOTHING)
            pending = [r for r in rows if r.notified_at is None]
            unused = _never_to_be_sent(pending)
            pending = [r for r in pending if r.pk not in unused]
            AffectedPerson.objects.filter(
                pk__in=unused, notified_at__isnull=True
            ).delete()
            cleared = _clear_addresses([r.pk for r in rows])
            if cleared or unused:
                audit.record(
                    "incidents.notice.erased",
                    actor=actor,
                    subject_id=subject.pk,
                    data={
                        "addresses_removed": cleared,
                        "unsent_deleted": len(unused),
                        "not_yet_sent": len(pending),
                    },
                )
        sent = len(rows) - len(pending) - len(unused)
        return _notice_result(sent, pending, len(unused))


def _clear_addresses(ids: list[int]) -> int:
    """The address of each notice sent goes; the row stays as the proof."""
    return (
        AffectedPerson.objects.filter(pk__in=ids, notified_at__isnull=False)
        .exclude(email__startswith=ERASED_PREFIX)
        .update(email=Concat(Value(ERASED_PREFIX), Cast("pk", CharField())))
    )


def _never_to_be_sent(pending: list[AffectedPerson]) -> set[int]:
    """Rows not yet told whose incident is closed with no notice sending.

    Nothing will e-mail them, so keeping the address would serve no purpose.
    """
    closed = {
        r.incident_id for r in pending if r.incident.status == Incident.Status.CLOSED
    }
    # Locked as notice_run_start locks them: no notice can start between this
    # check and the delete.
    closed = set(
        Incident.objects.select_for_update()
        .filter(pk__in=closed, status=Incident.Status.CLOSED)
        .values_list("pk", flat=True)
    )
    sending = set(
        NoticeRun.objects.filter(
            incident_id__in=closed, status=NoticeRun.Status.RUNNING
        ).values_list("incident_id", flat=True)
    )
    return {r.pk for r in pending if r.incident_id in closed - sending}


def _notice_result(
    sent: int, pending: list[AffectedPerson], unused: int = 0
) -> ErasureResult:
    if unused and not sent and not pending:
        return ErasureResult(
            Outcome.DELETED,
            unused,
            f"{unused} place(s) on a breach-notice list never sent deleted",
        )
    detail = f"{sent} record(s) of a notice sent to you kept without your address"
    if unused:
        detail += f"; {unused} place(s) on a list never sent deleted"
    if pending:
        references = ", ".join(sorted({p.incident.reference for p in pending}))
        basis = NOTICE_PENDING_BASIS
        if sent:
            basis += f"; for the notices sent, {NOTICE_BASIS}"
        return ErasureResult(
            Outcome.RETAINED,
            sent + len(pending) + unused,
            f"{detail}; {len(pending)} notice(s) not yet sent keep your address",
            reason=f"we still have to tell you of a data breach that affects you "
            f"({references}): we need your address to do so",
            legal_basis=basis,
        )
    return ErasureResult(
        Outcome.RETAINED,
        sent + unused,
        detail,
        reason="record that we told you of a data breach, kept without your address",
        legal_basis=NOTICE_BASIS,
    )
