"""retention_app's own retention categories (see privacyportal/retention.py).

Rows carry their ``purge_after`` and a ``held`` flag, so one statement claims
due rows with ``FOR UPDATE SKIP LOCKED`` and deletes them while re-checking
both; a trigger refuses the deletion of a held row on any other path.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
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
from retention_app.receipted import (
    Batch,
    Dependants,
    ItemSql,
    Receipt,
    delete_due_recorded,
    dependant_ctes,
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
    dependants: Dependants = (),
) -> list[tuple]:
    """Delete due rows (``now``, ``limit``) or listed rows (``ids``), never held ones.

    Returns ``columns`` of each deleted row. On PostgreSQL one statement claims
    due rows (SKIP LOCKED, so concurrent sweeps split the work), deletes them
    re-checking hold and expiry on the row version it deletes (a hold committed
    meanwhile wins), and clears their ``dependants`` (many-to-many rows,
    nullable links) in the same statement: no id list travels back and forth.
    SQLite serialises writers (IMMEDIATE transactions), so there a read then a
    delete in one transaction is as safe.
    """
    if connection.vendor == "postgresql":
        return _pg_delete(model._meta.db_table, columns, now, limit, ids, dependants)
    if ids is None:
        rows = model.objects.due(now).order_by("purge_after")[:limit]
    else:
        rows = model.objects.filter(pk__in=ids, held=False)
    found = list(rows.values_list(*columns))
    model.objects.filter(pk__in=[r[0] for r in found])._raw_delete(model.objects.db)
    return found


def _pg_delete(
    table: str,
    columns: list[str],
    now: datetime | None,
    limit: int,
    ids: list | None,
    dependants: Dependants,
) -> list[tuple]:
    # Table and column names come from our models, never from input.
    cols = ", ".join(f"t.{c}" for c in columns)
    if ids is None:
        # The partial index "<model>_due" holds only unheld rows with a date,
        # so this scan stops at the first row not yet due.
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
        f"WITH picked AS ({picked}), gone AS (DELETE FROM {table} t "  # noqa: S608
        f"USING picked WHERE t.id = picked.id AND NOT t.held {recheck} "
        f"RETURNING {cols}){dependant_ctes(dependants)} SELECT * FROM gone"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _delete_where_any(model: type[models.Model], column: str, ids: list) -> None:
    """SQLite path only: PostgreSQL clears dependants in the deleting statement."""
    model.objects.filter(**{f"{column}__in": ids})._raw_delete(model.objects.db)


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
    return expiry.Rule(terms.days, terms.not_before, "", terms.previous_days)


class _ContentCategory:
    """Recordings and transcripts: the customer's setting beats the default."""

    model: type[models.Model]
    kind: str
    action = Action.DELETE
    default_days: int | None = 365
    # See privacyportal.retention: the sweep audits each batch's ids.
    announces = False
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

    def dispose_batch_recorded(
        self, *, now: datetime, terms: Terms, holds: Holds, limit: int, receipt: Receipt
    ) -> Batch:
        """PostgreSQL: ``dispose_batch`` and its receipts in one statement."""
        explicit = RecordingSettings.objects.filter(
            Q(**{f"{self.kind}_until_deleted": True})
            | Q(**{f"{self.kind}_days__gt": 0})
        ).values_list("organization_id", flat=True)
        return delete_due_recorded(
            self.model._meta.db_table,
            now=now,
            limit=limit,
            item=self.item_sql,
            dependants=self.dependants,
            receipt=replace(receipt, rule_orgs=tuple(explicit), rule=CUSTOMER_RULE),
            with_ids=self.announces,
        )


class RecordingCategory(_ContentCategory):
    key = RECORDINGS
    label = "Conference recordings"
    model = Recording
    kind = "recording"
    # Customers' systems mirror recordings: they must hear of each one that goes.
    announces = True
    columns = ["id", "organization_id", "size_bytes", "media"]
    item_sql = ItemSql("t.organization_id", "t.size_bytes", "t.media")
    # Participants go with the recording; its transcripts lose the link and
    # follow their own retention.
    dependants: Dependants = (
        (Recording.participants.through._meta.db_table, "recording_id", "delete"),
        (ChatTranscript._meta.db_table, "recording_id", "null"),
    )

    def dispose_batch(
        self, *, now: datetime, terms: Terms, holds: Holds, limit: int
    ) -> list[Disposed]:
        return self._finish(self._delete(now=now, limit=limit))

    def delete_ids(self, ids: list[int]) -> list[Disposed]:
        """Delete these recordings now (customer or erasure); held ones stay."""
        return self._finish(self._delete(ids=ids))

    def _delete(self, **which) -> list[tuple]:
        rows = claim_and_delete(
            Recording, columns=self.columns, dependants=self.dependants, **which
        )
        if rows and connection.vendor != "postgresql":
            # Django's FKs are checked at commit: dependants may go after.
            ids = [r[0] for r in rows]
            _delete_where_any(Recording.participants.through, "recording_id", ids)
            ChatTranscript.objects.filter(recording_id__in=ids).update(recording=None)
        return rows

    def _finish(self, rows: list[tuple]) -> list[Disposed]:
        if not rows:
            return []
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
    item_sql = ItemSql("t.organization_id", "t.size_bytes")
    dependants: Dependants = (
        (
            ChatTranscript.participants.through._meta.db_table,
            "chattranscript_id",
            "delete",
        ),
    )

    def dispose_batch(
        self, *, now: datetime, terms: Terms, holds: Holds, limit: int
    ) -> list[Disposed]:
        return self._finish(self._delete(now=now, limit=limit))

    def delete_ids(self, ids: list[int]) -> list[Disposed]:
        return self._finish(self._delete(ids=ids))

    def _delete(self, **which) -> list[tuple]:
        rows = claim_and_delete(
            ChatTranscript, columns=self.columns, dependants=self.dependants, **which
        )
        if rows and connection.vendor != "postgresql":
            through = ChatTranscript.participants.through
            _delete_where_any(through, "chattranscript_id", [r[0] for r in rows])
        return rows

    def _finish(self, rows: list[tuple]) -> list[Disposed]:
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

    def dispose_batch_recorded(
        self, *, now: datetime, terms: Terms, holds: Holds, limit: int, receipt: Receipt
    ) -> Batch:
        """PostgreSQL: ``dispose_batch`` and its receipts in one statement."""
        return delete_due_recorded(
            CallRecord._meta.db_table,
            now=now,
            limit=limit,
            item=ItemSql("t.organization_id"),
            receipt=receipt,
        )


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
    columns = ["id", "position", "applied_at", "outcome"]

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
            JobApplicant, columns=self.columns, now=now, limit=limit
        )
        return self._to_statistics(rows)

    def anonymise_ids(self, ids: list[int]) -> list[Disposed]:
        """Reduce these applicants to statistics now (erasure); held ones stay."""
        rows = claim_and_delete(JobApplicant, columns=self.columns, ids=ids)
        return self._to_statistics(rows)

    def _to_statistics(self, rows: list[tuple]) -> list[Disposed]:
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
