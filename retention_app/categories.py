"""retention_app's own retention categories (see privacyportal/retention.py).

Rows carry their ``purge_after`` and a ``held`` flag, so one statement claims
due rows with ``FOR UPDATE SKIP LOCKED`` and deletes them while re-checking
both; a trigger refuses the deletion of a held row on any other path.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, models, transaction
from django.db.models import F, Q, Sum

from privacyportal.retention import Action, Disposed, Due, Holds, Terms
from retention_app import expiry
from retention_app.models import (
    ApplicantStatistic,
    CallRecord,
    ChatTranscript,
    JobApplicant,
    Recording,
    RecordingSettings,
)

RECORDINGS = "retention.recordings"
TRANSCRIPTS = "retention.transcripts"
CALL_RECORDS = "retention.call_records"
APPLICANTS = "retention.applicants"
CUSTOMER_RULE = "customer setting"


def claim_and_delete(
    model: type[models.Model],
    *,
    columns: list[str],
    now: datetime | None = None,
    limit: int = 0,
    ids: list[int] | None = None,
) -> list[tuple]:
    """Delete due rows (``now``, ``limit``) or listed rows (``ids``), never held ones.

    Returns ``columns`` of each deleted row. On PostgreSQL one statement claims
    due rows (SKIP LOCKED, so concurrent sweeps split the work) and deletes
    them, re-checking hold and expiry on the row version it deletes: a hold
    committed meanwhile wins. SQLite serialises writers (IMMEDIATE
    transactions), so there a read then a delete in one transaction is as safe.
    """
    if connection.vendor == "postgresql":
        return _pg_delete(model._meta.db_table, columns, now, limit, ids)
    if ids is None:
        rows = model.objects.due(now).order_by("purge_after")[:limit]
    else:
        rows = model.objects.filter(pk__in=ids, held=False)
    found = list(rows.values_list(*columns))
    model.objects.filter(pk__in=[r[0] for r in found])._raw_delete(model.objects.db)
    return found


def _pg_delete(
    table: str, columns: list[str], now: datetime | None, limit: int, ids: list | None
) -> list[tuple]:
    # Table and column names come from our models, never from input.
    cols = ", ".join(f"t.{c}" for c in columns)
    if ids is None:
        picked = (
            f"SELECT id FROM {table} WHERE NOT held AND purge_after <= %s "  # noqa: S608
            "ORDER BY purge_after LIMIT %s FOR UPDATE SKIP LOCKED"
        )
        params = [now, limit, now]
        recheck = "AND t.purge_after <= %s"
    else:
        picked = f"SELECT id FROM {table} WHERE id = ANY(%s) FOR UPDATE"  # noqa: S608
        params, recheck = [list(ids)], ""
    sql = (
        f"WITH picked AS ({picked}) DELETE FROM {table} t USING picked "  # noqa: S608
        f"WHERE t.id = picked.id AND NOT t.held {recheck} RETURNING {cols}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _delete_where_any(model: type[models.Model], column: str, ids: list) -> None:
    """DELETE by a list of ids: one array parameter on PostgreSQL, not thousands."""
    if connection.vendor != "postgresql":
        model.objects.filter(**{f"{column}__in": ids})._raw_delete(model.objects.db)
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE {column} = ANY(%s)",  # noqa: S608 - ours
            [ids],
        )


def _due(queryset: models.QuerySet, now: datetime, size_field: str | None) -> Due:
    due = queryset.due(now)
    if size_field is None:
        return Due(due.count())
    agg = due.aggregate(n=models.Count("pk"), b=Sum(size_field))
    return Due(agg["n"], agg["b"] or 0)


def _due_under(
    queryset: models.QuerySet,
    base_field: str,
    at: datetime,
    terms: Terms,
    size_field: str | None = None,
) -> Due:
    if terms.days is None:
        return Due(0)
    cutoff = at - timedelta(days=terms.days)
    rows = queryset.filter(held=False, **{f"{base_field}__lte": cutoff})
    if size_field is None:
        return Due(rows.count())
    agg = rows.aggregate(n=models.Count("pk"), b=Sum(size_field))
    return Due(agg["n"], agg["b"] or 0)


def _terms_rule(terms: Terms) -> expiry.Rule:
    return expiry.Rule(terms.days, terms.not_before, "")


class _ContentCategory:
    """Recordings and transcripts: the customer's setting beats the default."""

    model: type[models.Model]
    kind: str
    action = Action.DELETE
    default_days: int | None = 365
    legal_basis = "Customer instruction (the customer sets how long content is kept)"

    def due(self, *, now: datetime, terms: Terms, holds: Holds) -> Due:
        return _due(self.model.objects.all(), now, "size_bytes")

    def due_under(self, *, at: datetime, terms: Terms) -> Due:
        return _due_under(self._default_rows(), "started_at", at, terms, "size_bytes")

    def _default_rows(self) -> models.QuerySet:
        """Rows of organizations without an explicit setting: the policy's rows."""
        explicit = [
            s.organization_id
            for s in RecordingSettings.objects.all()
            if s.explicit(self.kind)
        ]
        return self.model.objects.exclude(organization_id__in=explicit)

    def recompute(self, *, terms: Terms, batch_size: int) -> int:
        default = self._default_rows()
        return expiry.recompute(
            default,
            base_field="started_at",
            rule=_terms_rule(terms),
            batch_size=batch_size,
        )

    def recompute_organization(
        self, *, organization_id: int, rule: expiry.Rule, batch_size: int
    ) -> int:
        rows = self.model.objects.filter(organization_id=organization_id)
        return expiry.recompute(
            rows, base_field="started_at", rule=rule, batch_size=batch_size
        )

    def _explicit_orgs(self, org_ids: set[int]) -> set[int]:
        found = RecordingSettings.objects.filter(organization_id__in=org_ids)
        return {s.organization_id for s in found if s.explicit(self.kind)}


class RecordingCategory(_ContentCategory):
    key = RECORDINGS
    label = "Conference recordings"
    model = Recording
    kind = "recording"
    columns = ["id", "organization_id", "size_bytes", "media"]

    def dispose_batch(
        self, *, now: datetime, terms: Terms, holds: Holds, limit: int
    ) -> list[Disposed]:
        rows = claim_and_delete(Recording, columns=self.columns, now=now, limit=limit)
        return self._finish(rows)

    def delete_ids(self, ids: list[int]) -> list[Disposed]:
        """Delete these recordings now (customer or erasure); held ones stay."""
        return self._finish(claim_and_delete(Recording, columns=self.columns, ids=ids))

    def _finish(self, rows: list[tuple]) -> list[Disposed]:
        if not rows:
            return []
        ids = [r[0] for r in rows]
        # Dependants go after the delete: Django's FKs are checked at commit.
        _delete_where_any(Recording.participants.through, "recording_id", ids)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE retention_app_chattranscript SET recording_id = NULL "
                    "WHERE recording_id = ANY(%s)",
                    [ids],
                )
        else:
            ChatTranscript.objects.filter(recording_id__in=ids).update(recording=None)
        explicit = self._explicit_orgs({r[1] for r in rows})
        return [
            Disposed(
                str(pk),
                org,
                size,
                (media,) if media else (),
                CUSTOMER_RULE if org in explicit else "",
            )
            for pk, org, size, media in rows
        ]


class TranscriptCategory(_ContentCategory):
    key = TRANSCRIPTS
    label = "Chat transcripts"
    model = ChatTranscript
    kind = "transcript"
    columns = ["id", "organization_id", "size_bytes"]

    def dispose_batch(
        self, *, now: datetime, terms: Terms, holds: Holds, limit: int
    ) -> list[Disposed]:
        rows = claim_and_delete(
            ChatTranscript, columns=self.columns, now=now, limit=limit
        )
        return self._finish(rows)

    def delete_ids(self, ids: list[int]) -> list[Disposed]:
        rows = claim_and_delete(ChatTranscript, columns=self.columns, ids=ids)
        return self._finish(rows)

    def _finish(self, rows: list[tuple]) -> list[Disposed]:
        ids = [r[0] for r in rows]
        if ids:
            through = ChatTranscript.participants.through
            _delete_where_any(through, "chattranscript_id", ids)
        explicit = self._explicit_orgs({r[1] for r in rows})
        return [
            Disposed(str(pk), org, size, (), CUSTOMER_RULE if org in explicit else "")
            for pk, org, size in rows
        ]


class CallRecordCategory:
    key = CALL_RECORDS
    label = "Call data records"
    action = Action.DELETE
    default_days: int | None = 730
    legal_basis = "Legitimate interest: billing, support and security of calls"

    def due(self, *, now: datetime, terms: Terms, holds: Holds) -> Due:
        return _due(CallRecord.objects.all(), now, None)

    def due_under(self, *, at: datetime, terms: Terms) -> Due:
        return _due_under(CallRecord.objects.all(), "started_at", at, terms)

    def recompute(self, *, terms: Terms, batch_size: int) -> int:
        return expiry.recompute(
            CallRecord.objects.all(),
            base_field="started_at",
            rule=_terms_rule(terms),
            batch_size=batch_size,
        )

    def dispose_batch(
        self, *, now: datetime, terms: Terms, holds: Holds, limit: int
    ) -> list[Disposed]:
        rows = claim_and_delete(
            CallRecord, columns=["id", "organization_id"], now=now, limit=limit
        )
        return [Disposed(str(pk), org) for pk, org in rows]

    def delete_ids(self, ids: list[int]) -> list[Disposed]:
        rows = claim_and_delete(CallRecord, columns=["id", "organization_id"], ids=ids)
        return [Disposed(str(pk), org) for pk, org in rows]


class ApplicantCategory:
    """Unsuccessful applicants become counts per position, month and outcome."""

    key = APPLICANTS
    label = "Unsuccessful job applicants"
    action = Action.ANONYMISE
    default_days: int | None = 180
    legal_basis = (
        "Legitimate interest: defending recruitment decisions, then statistics only"
    )
    UNSUCCESSFUL = (JobApplicant.Outcome.REJECTED, JobApplicant.Outcome.WITHDRAWN)

    def due(self, *, now: datetime, terms: Terms, holds: Holds) -> Due:
        return _due(JobApplicant.objects.all(), now, None)

    def due_under(self, *, at: datetime, terms: Terms) -> Due:
        return _due_under(self._unsuccessful(), "decided_at", at, terms)

    def _unsuccessful(self) -> models.QuerySet:
        return JobApplicant.objects.filter(
            outcome__in=self.UNSUCCESSFUL, decided_at__isnull=False
        )

    def recompute(self, *, terms: Terms, batch_size: int) -> int:
        rows = self._unsuccessful()
        return expiry.recompute(
            rows,
            base_field="decided_at",
            rule=_terms_rule(terms),
            batch_size=batch_size,
        )

    def dispose_batch(
        self, *, now: datetime, terms: Terms, holds: Holds, limit: int
    ) -> list[Disposed]:
        rows = claim_and_delete(
            JobApplicant,
            columns=["id", "position", "applied_at", "outcome"],
            now=now,
            limit=limit,
        )
        tally = Counter(
            (position, applied.date().replace(day=1), outcome)
            for _, position, applied, outcome in rows
        )
        for (position, month, outcome), count in tally.items():
            add_statistic(position=position, month=month, outcome=outcome, n=count)
        return [Disposed(str(r[0])) for r in rows]


def add_statistic(*, position: str, month, outcome: str, n: int) -> None:
    """Add ``n`` to a statistics row, creating it race-safely."""
    match = Q(position=position, month=month, outcome=outcome)
    if ApplicantStatistic.objects.filter(match).update(count=F("count") + n):
        return
    try:
        with transaction.atomic():
            ApplicantStatistic.objects.create(
                position=position, month=month, outcome=outcome, count=n
            )
    except IntegrityError:  # a concurrent sweep created it first
        ApplicantStatistic.objects.filter(match).update(count=F("count") + n)


recording_category = RecordingCategory()
transcript_category = TranscriptCategory()
call_record_category = CallRecordCategory()
applicant_category = ApplicantCategory()
ALL = (
    recording_category,
    transcript_category,
    call_record_category,
    applicant_category,
)
