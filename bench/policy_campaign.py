"""Publishing a material policy change to 1,000,000 subjects.

The worker's work is done in-process, exactly as the tasks do it: each batch
task (``campaign_run_batch``) queues e-mails in the outbox, then the send tasks
(``send_many``, a chunk of ids each) send them through an e-mail backend that
writes nothing. Two windows are timed, one at the start of the subject table
and one near its end (the cursor is moved there), so a late batch is shown to
cost what an early one does. Resident memory is sampled after every batch.

Goal: worker memory stays constant (RSS grows by less than 16 MiB from the end
of the first window's warm-up to the end of the run); e-mails per second are
reported, with the time a full campaign would take at that rate.
"""

from __future__ import annotations

import os
import time
from unittest import mock

from bench.common import Result, require_postgres
from bench.consent_allows import ensure_population, migrate

WINDOW_SECONDS = float(os.environ.get("BENCH_CAMPAIGN_WINDOW_SECONDS", "45"))
BATCH = int(os.environ.get("BENCH_CAMPAIGN_BATCH", "500"))
LIMIT_MIB = 16.0


def _rss_mib() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _clean() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM portal_outboundemail WHERE key LIKE 'consent-policy-%%'"
        )
        cursor.execute(
            "DELETE FROM consent_app_policycampaign WHERE version_id IN "
            "(SELECT id FROM consent_app_policyversion WHERE label LIKE 'bench-%%')"
        )
        cursor.execute(
            "UPDATE consent_app_purpose SET reconsent_version_id = NULL "
            "WHERE reconsent_version_id IN "
            "(SELECT id FROM consent_app_policyversion WHERE label LIKE 'bench-%%')"
        )
        cursor.execute(
            "DELETE FROM consent_app_policyversion WHERE label LIKE 'bench-%%'"
        )


def _window(campaign_id: int, sent_ids: list[int], samples: list[float]) -> tuple:
    """Run batches and sends for WINDOW_SECONDS; returns (e-mails sent, seconds)."""
    import gc

    from consent_app.policy import campaign_run_batch
    from privacyportal.mail import send_many

    sent, start = 0, time.perf_counter()
    while time.perf_counter() - start < WINDOW_SECONDS:
        if not campaign_run_batch(campaign_id=campaign_id, batch_size=BATCH):
            break
        sent += send_many(sent_ids)
        sent_ids.clear()
        gc.collect()
        samples.append(_rss_mib())
    return sent, time.perf_counter() - start


def run() -> Result:
    require_postgres()
    migrate()
    from django.db import connection
    from django.test import override_settings

    from consent_app.models import PolicyCampaign, PolicyVersion
    from consent_app.policy import policy_version_publish
    from privacyportal.audit.services import Actor
    from privacyportal.models import OutboundEmail

    first, last = ensure_population()
    _clean()
    queued: list[int] = []
    # Stand-ins for the broker: the batch and send tasks run here, in order.
    send_task = mock.patch(
        "privacyportal.tasks.send_emails_task.apply_async",
        lambda args=(), kwargs=None, **kw: queued.extend(args[0]),
    )
    batch_task = mock.patch(
        "consent_app.tasks.policy_campaign_batch_task.apply_async",
        lambda *a, **kw: None,
    )
    backend = override_settings(
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"
    )
    samples: list[float] = []
    with send_task, batch_task, backend:
        version = PolicyVersion.objects.create(
            label=f"bench-{int(time.time())}",
            effective_on="2026-01-01",
            text="bench",
            summary_of_changes="A material change, for the benchmark.",
            material=True,
        )
        started = time.perf_counter()
        campaign = policy_version_publish(actor=Actor.system("bench"), version=version)
        publish_s = time.perf_counter() - started
        early_sent, early_s = _window(campaign.pk, queued, samples)
        warm = samples[min(len(samples) - 1, 3)]
        near_end = last - 10 * BATCH * 20
        PolicyCampaign.objects.filter(pk=campaign.pk).update(cursor=near_end)
        late_sent, late_s = _window(campaign.pk, queued, samples)
    growth = max(samples) - warm
    rate = (early_sent + late_sent) / (early_s + late_s)
    total = campaign.total
    sent_rows = OutboundEmail.objects.filter(
        key__startswith=f"consent-policy-{version.pk}-",
        status=OutboundEmail.Status.SENT,
    ).count()
    figures = {
        "subjects_with_address": float(total),
        "publish_seconds": publish_s,
        "emails_per_s_early": early_sent / early_s,
        "emails_per_s_late": late_sent / late_s,
        "emails_per_s": rate,
        "full_campaign_hours_at_this_rate": total / rate / 3600,
        "rss_mib_after_warmup": warm,
        "rss_mib_max": max(samples),
        "rss_growth_mib": growth,
        "emails_sent_and_recorded": float(sent_rows),
        "batches": float(len(samples)),
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('portal_outboundemail'))"
        )
        outbox_size = cursor.fetchone()[0]
    _clean()
    return Result(
        name="policy_campaign",
        params={
            "subjects": last - first + 1,
            "batch_size": BATCH,
            "window_seconds": WINDOW_SECONDS,
        },
        figures=figures,
        ratio=growth,
        goal=f"RSS growth < {LIMIT_MIB} MiB over the run (constant worker memory)",
        met=growth < LIMIT_MIB and sent_rows == early_sent + late_sent > 0,
        notes=[
            "two timed windows: the first batches, and batches near the last "
            "subject id (cursor moved there)",
            f"outbox table size before clean-up: {outbox_size}",
        ],
    )
