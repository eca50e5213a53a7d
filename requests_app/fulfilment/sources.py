"""requests_app's registry sources: the subject's own privacy requests, and
every external SQL table configured in the admin (one source per row).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from privacyportal import audit
from privacyportal.registry import ErasureResult, Outcome, SourceInfo
from requests_app.fulfilment import external_sql as ext
from requests_app.models import Appeal, ExternalSource, PrivacyRequest, RequestEvent

REQUEST_FIELDS = (
    "reference",
    "type",
    "status",
    "channel",
    "received_at",
    "verified_at",
    "completed_at",
    "closed_at",
    "name",
    "email",
    "country",
    "region",
    "details",
    "is_agent",
    "agent_name",
    "agent_email",
    "outcome_summary",
    "denial_reason",
    "denial_legal_basis",
)
KEEP_MONTHS = 24
HANDLING_BASIS = (
    "legal obligation and legal claims (GDPR Art. 5(2), Art. 17(3)(b) and (e))"
)


class PrivacyRequestSource:
    key = "requests.privacy_requests"
    # Words marked with gettext_noop: see privacyportal.registry. Staff-typed
    # words of external sources (below) are shown as typed.
    label = gettext_noop("Your privacy requests")
    info = SourceInfo(
        categories=(
            gettext_noop("privacy requests"),
            gettext_noop("contact details given in them"),
        ),
        purposes=(
            gettext_noop("handling your privacy requests"),
            gettext_noop("proving that we did"),
        ),
        recipients=(),
        # The number is in the msgid: an interpolated msgid is never found.
        retention=gettext_noop(
            "24 months after each request is closed, then anonymised"
        ),
        origin=gettext_noop(
            "provided by you (or your authorised agent) in the request"
        ),
        record_of_handling=True,
    )

    def _requests(self, subject: Any):
        return PrivacyRequest.objects.filter(subject=subject).order_by("received_at")

    def export(self, subject: Any) -> dict[str, Any]:
        return {
            "requests": self._requests(subject).values(*REQUEST_FIELDS).iterator(),
            "messages": self._messages(subject),
        }

    def _messages(self, subject: Any) -> Iterator[dict]:
        events = (
            RequestEvent.objects.filter(request__subject=subject, public=True)
            .select_related("request")
            .order_by("at", "pk")
        )
        for ev in events.iterator():
            yield {
                "request": ev.request.reference,
                "at": ev.at,
                "kind": ev.kind,
                "message": ev.message,
            }

    def erase(self, subject: Any, *, actor: Any) -> ErasureResult:
        count = self._requests(subject).count()
        if not count:
            return ErasureResult(Outcome.NOTHING)
        return ErasureResult(
            Outcome.RETAINED,
            count,
            f"{count} request record(s) kept, including this one",
            reason=f"record that your privacy requests were handled, kept "
            f"{KEEP_MONTHS} months after each is closed, then anonymised",
            legal_basis=HANDLING_BASIS,
        )


class AppealSource:
    """The appeals a person made against our refusal of one of their requests.

    An appeal is part of the record of how the request was handled: it is kept
    with the request and anonymised with it by the retention sweep
    (requests.closed_requests), never on its own.
    """

    key = "requests.appeals"
    label = gettext_noop("Your appeals of our decisions")
    info = SourceInfo(
        categories=(
            gettext_noop("appeals you made"),
            gettext_noop("our decisions on them"),
        ),
        purposes=(
            gettext_noop("deciding your appeals"),
            gettext_noop("proving that we did"),
        ),
        retention=gettext_noop(
            "kept with the request appealed: 24 months after it is closed, "
            "then anonymised"
        ),
        origin=gettext_noop("written by you on the request's status page"),
        record_of_handling=True,
    )

    def _appeals(self, subject: Any):
        return Appeal.objects.filter(request__subject=subject)

    def export(self, subject: Any) -> dict[str, Any]:
        return {"appeals": self._rows(subject)}

    def _rows(self, subject: Any) -> Iterator[dict]:
        appeals = (
            self._appeals(subject).select_related("request").order_by("filed_at", "pk")
        )
        for appeal in appeals.iterator():
            yield {
                "request": appeal.request.reference,
                "filed": appeal.filed_at,
                "appeal": appeal.text,
                "status": str(Appeal.Status(appeal.status).label),
                "decide by": appeal.due_at,
                "decided": appeal.decided_at,
                "reasons for the decision": appeal.reasons,
            }

    def erase(self, subject: Any, *, actor: Any) -> ErasureResult:
        appeals = self._appeals(subject)
        count = appeals.count()
        if not count:
            return ErasureResult(Outcome.NOTHING)
        undecided = appeals.filter(status=Appeal.Status.OPEN).count()
        reason = (
            f"record that your appeals were decided, kept with the request "
            f"appealed {KEEP_MONTHS} months after it is closed, then anonymised"
        )
        if undecided:
            reason = (
                f"{undecided} appeal(s) not yet decided: kept until we decide "
                f"them; then the {reason}"
            )
        return ErasureResult(
            Outcome.RETAINED,
            count,
            f"{count} appeal(s) kept",
            reason=reason,
            legal_basis=HANDLING_BASIS,
        )


# --- external SQL sources ----------------------------------------------------------


def _split(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(";") if p.strip())


def spec_of(row: ExternalSource, url: str | None = None) -> ext.TableSpec:
    return ext.TableSpec(
        url=url if url is not None else ext.decrypt_url(row.url_encrypted),
        table=row.table,
        identity_column=row.identity_column,
        identity_kind=row.identity_kind,
        export_columns=tuple(row.export_columns),
        erase_modes=dict(row.erase_modes),
        mask_value=row.mask_value,
    )


class ExternalSQLSource:
    """One configured table; errors surface as ExternalSourceError (retried)."""

    def __init__(self, row: ExternalSource) -> None:
        self.row = row
        self.key = row.key
        self.label = row.name
        self.info = SourceInfo(
            categories=_split(row.categories) or (row.name,),
            purposes=_split(row.purposes),
            recipients=_split(row.recipients),
            retention=row.retention,
            origin=row.origin,
        )

    def export(self, subject: Any) -> dict[str, Any]:
        return {"rows": ext.export_rows(spec_of(self.row), subject)}

    # Its erase commits in the other database, outside our transaction.
    commits_elsewhere = True

    def interrupted_result(self) -> ErasureResult:
        """What to record when an unrecorded earlier attempt did the work."""
        modes = set(self.row.erase_modes.values())
        if not modes - {"keep"}:
            return self.erase_kept()
        outcome = Outcome.DELETED if "delete_row" in modes else Outcome.ANONYMISED
        return ErasureResult(
            outcome,
            0,
            f"done in {self.row.name} by an earlier attempt that was interrupted "
            "before it was recorded; how many rows is not known",
        )

    def erase_kept(self) -> ErasureResult:
        return ErasureResult(
            Outcome.RETAINED,
            0,
            "this system is configured to keep the data",
            reason=f"kept in {self.row.name}",
            legal_basis=self.row.keep_legal_basis or "not stated",
        )

    def erase(self, subject: Any, *, actor: Any) -> ErasureResult:
        kind, count = ext.erase_rows(spec_of(self.row), subject)
        if kind == "kept":
            return self.erase_kept()
        if kind == "nothing" or count == 0:
            return ErasureResult(Outcome.NOTHING)
        outcome = Outcome.DELETED if kind == "deleted" else Outcome.ANONYMISED
        return ErasureResult(outcome, count, f"{count} row(s) in {self.row.name}")


def external_sources() -> list[ExternalSQLSource]:
    """Registry provider: every enabled external source, read at each use."""
    return [
        ExternalSQLSource(row) for row in ExternalSource.objects.filter(enabled=True)
    ]


def external_source_check(row: ExternalSource, url: str | None = None) -> list[str]:
    """Connect and check the table and columns; returns the problems found."""
    problems = []
    modes = set(row.erase_modes.values())
    if not row.export_columns:
        problems.append("name at least one column to export")
    if modes <= {"keep"} and not row.keep_legal_basis.strip():
        problems.append("nothing would be erased: state the legal basis for keeping")
    try:
        problems += ext.validate(spec_of(row, url))
    except ext.ExternalSourceError as exc:
        problems.append(str(exc))
    return problems


def external_source_save(
    *, actor: Any, row: ExternalSource, url: str | None, fields: list[str]
) -> ExternalSource:
    """Validate against the live database, then save (audited, URL encrypted)."""
    problems = external_source_check(row, url)
    if problems:
        raise ValueError("; ".join(problems))
    with transaction.atomic():
        if url:
            row.url_encrypted = ext.encrypt_url(url)
        row.validated_at = timezone.now()
        created = row.pk is None
        row.save()
        audit.record(
            "requests.external_source.created"
            if created
            else "requests.external_source.changed",
            actor=actor,
            target=row,
            data={"key": row.key, "fields": sorted(set(fields) - {"url"})},
        )
    return row
