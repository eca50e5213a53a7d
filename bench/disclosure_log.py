"""The disclosure log at scale (issue 15).

Three measures, one run:
- bulk recording: BENCH_DISCLOSURE_BULK_ROWS (100,000) disclosures to a listed
  recipient through ``disclosures_record_bulk`` (the policy check on every
  row, one AuditEvent per batch, the applicant check) against a raw batched
  multi-row ``INSERT`` of the same rows; best of two each. Goal >= 0.3x raw.
- access export: one subject with BENCH_DISCLOSURE_SUBJECT_ROWS (10,000)
  disclosures to 50 recipients among BENCH_DISCLOSURE_TOTAL (10,000,000) rows,
  generated once with ``generate_series``; the package is built through the
  registry source as a real request does, with this process's RSS sampled.
  Goal: RSS growth < 100 MB and every row exported.
- Art. 19 fan-out: that subject's erasure completes; one notice per
  recipient (50) is written, audited and enqueued inside one transaction.

The log is append-only (a trigger refuses DELETE), so the rows the bulk
measure adds stay; they belong to their own subject and do not touch the
export's. TRUNCATE (which row triggers do not see) resets a bench database.
"""

from __future__ import annotations

import os
import tempfile
import time
import zipfile
from pathlib import Path

from bench.common import Result, require_postgres, timed
from bench.export_stream import PeakRss

TOTAL = int(os.environ.get("BENCH_DISCLOSURE_TOTAL", "10000000"))
SUBJECT_ROWS = int(os.environ.get("BENCH_DISCLOSURE_SUBJECT_ROWS", "10000"))
BULK_ROWS = int(os.environ.get("BENCH_DISCLOSURE_BULK_ROWS", "100000"))
RECIPIENTS = 50
FILLERS = 1000
EMAIL = "disclosure-bench@bench.invalid"
COLUMNS = (
    "subject_id, recipient_id, categories, purpose, legal_basis, disclosed_at,"
    " recorded_at, recorded_by, channel, legal_reference, withheld_from_subject,"
    " withheld_ground, consent_relied_on, sale_or_sharing"
)

GENERATE = f"""
INSERT INTO disclosures_app_disclosure ({COLUMNS})
SELECT CASE WHEN n %% %(stride)s = 0 THEN %(target)s
            ELSE (%(fillers)s::bigint[])[1 + n %% %(nfill)s] END,
       -- the subject's own rows go round all the recipients in turn
       (%(recipients)s::bigint[])[1 + (n / %(stride)s) %% %(nrec)s],
       '["contact details"]'::jsonb, 'selling and supporting our products',
       'contract', now() - n * interval '1 second', now(), 'bench', 'import',
       '', false, '', false, false
FROM generate_series(%(start)s, %(stop)s) AS n
"""


def _subject(cur, email: str) -> int:
    cur.execute("SELECT id FROM subjects_datasubject WHERE email = %s", [email])
    row = cur.fetchone()
    if row:
        return row[0]
    cur.execute(
        "INSERT INTO subjects_datasubject (name, email, phone, postal_address,"
        " title, company, account_username, ip_addresses, domain, demographics,"
        " is_under_13, requester_only, created_at, updated_at) VALUES"
        " ('Bench', %s, '', '', '', '', '', '[]', '', '{}', false, false,"
        " now(), now()) RETURNING id",
        [email],
    )
    return cur.fetchone()[0]


def _recipients() -> list[int]:
    from disclosures_app.models import Recipient

    ids = []
    for n in range(1, RECIPIENTS + 1):
        recipient, _ = Recipient.objects.get_or_create(
            name=f"Bench reseller {n:02d}",
            defaults={
                "kind": Recipient.Kind.CHANNEL_PARTNER,
                "purposes": ["selling and supporting our products"],
                "data_categories": ["contact details"],
                "listed_in_policy": True,
                "contract_reference": "bench",
                "notice_email": f"privacy@reseller{n}.bench.invalid",
            },
        )
        ids.append(recipient.pk)
    return ids


def generate(total: int = TOTAL, subject_rows: int = SUBJECT_ROWS) -> int:
    """The target subject and its log among ``total`` rows; idempotent."""
    from django.db import connection

    recipients = _recipients()
    with connection.cursor() as cur:
        target = _subject(cur, EMAIL)
        fillers = [
            _subject(cur, f"dl-filler-{n}@bench.invalid") for n in range(FILLERS)
        ]
        cur.execute(
            "SELECT count(*) FROM disclosures_app_disclosure WHERE subject_id = %s",
            [target],
        )
        if cur.fetchone()[0] >= subject_rows:
            return target
        step = 1_000_000  # one statement per million rows: a bounded transaction
        for start in range(1, total + 1, step):
            cur.execute(
                GENERATE,
                {
                    "stride": total // subject_rows,
                    "target": target,
                    "fillers": fillers,
                    "nfill": FILLERS,
                    "recipients": recipients,
                    "nrec": RECIPIENTS,
                    "start": start,
                    "stop": min(start + step - 1, total),
                },
            )
        cur.execute("ANALYZE disclosures_app_disclosure")
    return target


# --- bulk recording ------------------------------------------------------------------


def _items(subject, recipient, rows: int) -> list:
    from disclosures_app.models import LegalBasis
    from disclosures_app.services import DisclosureInput

    return [
        DisclosureInput(
            subject=subject,
            recipient=recipient,
            categories=["contact details"],
            purpose="selling and supporting our products",
            legal_basis=LegalBasis.CONTRACT,
        )
        for _ in range(rows)
    ]


def _ours(items: list) -> None:
    from django.db import transaction

    from disclosures_app.models import Disclosure
    from disclosures_app.services import disclosures_record_bulk
    from privacyportal.audit.services import Actor

    with transaction.atomic():
        disclosures_record_bulk(
            actor=Actor.system("bench"), items=items, channel=Disclosure.Channel.IMPORT
        )


def _raw(subject_id: int, recipient_id: int, rows: int, batch: int = 2000) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    now = timezone.now()
    row = (
        subject_id, recipient_id, '["contact details"]',
        "selling and supporting our products", "contract", now, now, "bench",
        "import", "", False, "", False, False,
    )  # fmt: skip
    one = "(" + ", ".join(["%s"] * len(row)) + ")"
    with transaction.atomic(), connection.cursor() as cur:
        for start in range(0, rows, batch):
            n = min(batch, rows - start)
            sql = f"INSERT INTO disclosures_app_disclosure ({COLUMNS}) VALUES "
            cur.execute(sql + ", ".join([one] * n), list(row) * n)


def measure_bulk() -> tuple[float, float]:
    from django.db import connection

    from disclosures_app.models import Recipient
    from privacyportal.subjects.models import DataSubject

    _recipients()
    with connection.cursor() as cur:
        subject = DataSubject.objects.get(pk=_subject(cur, "dl-bulk@bench.invalid"))
    recipient = Recipient.objects.get(name="Bench reseller 01")
    items = _items(subject, recipient, BULK_ROWS)
    raw_s = timed(lambda: _raw(subject.pk, recipient.pk, BULK_ROWS), repeat=2)
    ours_s = timed(lambda: _ours(items), repeat=2)
    return raw_s, ours_s


# --- export and fan-out -------------------------------------------------------------


def measure_export(subject) -> tuple[float, float, int]:
    import json

    from privacyportal.registry import registry
    from requests_app.fulfilment.export import build_export

    source = registry.get("disclosures.log")
    with tempfile.TemporaryDirectory() as tmp, PeakRss() as rss:
        path = Path(tmp) / "p.zip"
        seconds = timed(
            lambda: build_export(
                subject=subject, path=path, reference="BENCH", sources=[source]
            )
        )
        with zipfile.ZipFile(path) as zf:
            data = json.loads(zf.read("data.json"))
    rows = len(data["sources"]["disclosures.log"]["data"]["disclosures"])
    return seconds, (rss.peak - rss.baseline) / 2**20, rows


def _erasure(subject) -> object:
    from django.utils import timezone

    from requests_app.models import PrivacyRequest, SourceOutcome

    now = timezone.now()
    request = PrivacyRequest.objects.create(
        reference=f"PR-DLB-{time.time_ns() % 10**12}",
        type=PrivacyRequest.Type.ERASURE,
        status=PrivacyRequest.Status.COMPLETED,
        email=EMAIL,
        subject=subject,
        received_at=now,
        due_at=now,
        policy_due_at=now,
        legal_due_at=now,
    )
    SourceOutcome.objects.create(
        request=request, source_key="subjects.profile", outcome="anonymised",
        status=SourceOutcome.Status.DONE,
    )  # fmt: skip
    return request


def measure_fan_out(subject) -> dict:
    from django.db import connection, transaction

    from disclosures_app.models import Notice
    from disclosures_app.notices import notices_fan_out
    from privacyportal.audit.models import AuditEvent

    request = _erasure(subject)
    before = AuditEvent.objects.filter(action="disclosures.notice.queued").count()
    start = time.perf_counter()
    with transaction.atomic():
        created = notices_fan_out(request=request, actor=None)
        inside = Notice.objects.filter(request_reference=request.reference).count()
        callbacks = len(connection.run_on_commit)
    seconds = time.perf_counter() - start
    after = AuditEvent.objects.filter(action="disclosures.notice.queued").count()
    return {
        "fan_out_s": seconds,
        "notices_created": created,
        "notices_in_the_transaction": inside,
        "enqueued_on_commit": callbacks,
        "audit_events": after - before,
    }


def run() -> Result:
    require_postgres()
    from django.core.management import call_command

    from privacyportal.subjects.models import DataSubject

    call_command("migrate", verbosity=0, interactive=False)
    t0 = time.perf_counter()
    subject = DataSubject.objects.get(pk=generate())
    generate_s = time.perf_counter() - t0
    raw_s, ours_s = measure_bulk()
    export_s, growth_mb, exported = measure_export(subject)
    fan = measure_fan_out(subject)
    ratio = raw_s / ours_s
    one_transaction = (
        fan["notices_created"] == fan["notices_in_the_transaction"] == RECIPIENTS
        and fan["enqueued_on_commit"] >= RECIPIENTS
        and fan["audit_events"] == 1
    )
    return Result(
        name="disclosure_log",
        params={
            "log_rows": TOTAL,
            "subject_rows": SUBJECT_ROWS,
            "bulk_rows": BULK_ROWS,
            "recipients": RECIPIENTS,
        },
        figures={
            "generate_or_reuse_s": generate_s,
            "raw_insert_s": raw_s,
            "service_bulk_s": ours_s,
            "service_rows_per_s": BULK_ROWS / ours_s,
            "export_s": export_s,
            "export_rows": exported,
            "export_rss_growth_mb": growth_mb,
            **fan,
        },
        ratio=ratio,
        goal="bulk >= 0.3x raw INSERT; export streamed (RSS growth < 100 MB, all "
        "rows); fan-out to 50 recipients in one transaction",
        met=ratio >= 0.3
        and growth_mb < 100
        and exported == SUBJECT_ROWS
        and one_transaction,
    )
