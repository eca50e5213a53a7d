"""Telling N people affected by a breach, against the policy campaign's e-mail path.

Both run on the same generated subjects (``bench.consent_allows``), in-process
as the worker does it: each batch task queues e-mails in the outbox, then each
send task (``send_one``) sends one through an e-mail backend that writes
nothing. The campaign is timed over a window; the notice is sent to all N
people. Half-way through, a worker is "killed": an exception in the middle of
a batch rolls it back; the resume job re-enqueues the run and the batches go
on. At the end every person must have exactly one notice in the outbox.

Goals: notice e-mails per second >= 0.5 x the campaign's, measured in the same
run; resident memory grows by less than 100 MiB from the end of the warm-up to
the end of the run; N notices, N distinct outbox keys, after the kill.
"""

from __future__ import annotations

import contextlib
import gc
import os
import time
from unittest import mock

from bench.common import Result, require_postgres
from bench.consent_allows import DOMAIN, ensure_population, migrate

SUBJECTS = int(os.environ.get("BENCH_NOTICE_SUBJECTS", "1000000"))
WINDOW_SECONDS = float(os.environ.get("BENCH_CAMPAIGN_WINDOW_SECONDS", "30"))
BATCH = int(os.environ.get("BENCH_CAMPAIGN_BATCH", "500"))
RATIO_GOAL = 0.5
LIMIT_MIB = 100.0
TITLE = "bench-notice"


def _rss_mib() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _clean() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM portal_outboundemail WHERE key LIKE 'consent-policy-%%' "
            "OR key LIKE 'breach-notice-%%'"
        )
        cursor.execute(
            "DELETE FROM consent_app_policycampaign WHERE version_id IN "
            "(SELECT id FROM consent_app_policyversion WHERE label LIKE 'bench-%%')"
        )
        cursor.execute(
            "DELETE FROM consent_app_policyversion WHERE label LIKE 'bench-%%'"
        )
        for table in ("incidents_app_noticerun", "incidents_app_affectedperson"):
            cursor.execute(
                f"DELETE FROM {table} WHERE incident_id IN "
                "(SELECT id FROM incidents_app_incident WHERE title = %s)",
                [TITLE],
            )
        cursor.execute("DELETE FROM incidents_app_incident WHERE title = %s", [TITLE])


def _send(queued: list[int]) -> int:
    from privacyportal.mail import send_one

    sent = sum(send_one(pk) for pk in queued)
    queued.clear()
    return sent


def _campaign_rate(first: int, queued: list[int]) -> float:
    """E-mails per second of the policy campaign over the same subjects."""
    from consent_app.models import PolicyCampaign, PolicyVersion
    from consent_app.policy import campaign_run_batch, policy_version_publish
    from privacyportal.audit.services import Actor

    version = PolicyVersion.objects.create(
        label=f"bench-{int(time.time())}",
        effective_on="2026-01-01",
        text="bench",
        summary_of_changes="A material change, for the benchmark.",
        material=True,
    )
    campaign = policy_version_publish(actor=Actor.system("bench"), version=version)
    PolicyCampaign.objects.filter(pk=campaign.pk).update(cursor=first - 1)
    sent, start = 0, time.perf_counter()
    while time.perf_counter() - start < WINDOW_SECONDS:
        if not campaign_run_batch(campaign_id=campaign.pk, batch_size=BATCH):
            break
        sent += _send(queued)
    return sent / (time.perf_counter() - start)


def _incident(first: int, last: int):
    from django.utils import timezone

    from incidents_app import notices
    from incidents_app.models import AffectedPerson, Incident
    from incidents_app.services import incident_save
    from privacyportal.subjects.models import DataSubject

    incident = incident_save(
        actor=None,
        incident=Incident(
            title=TITLE, description="bench", became_aware_at=timezone.now()
        ),
        fields=[],
    )
    Incident.objects.filter(pk=incident.pk).update(notify_people=True)
    incident.refresh_from_db()
    # The "everyone" criterion's INSERT ... SELECT, limited to the bench people.
    chosen = DataSubject.objects.filter(pk__range=(first, last)).values("pk")
    started = time.perf_counter()
    added = notices._insert_subjects(incident, AffectedPerson.Source.EVERYONE, chosen)
    return incident, added, time.perf_counter() - started


class Killed(Exception):
    pass


def _kill_one_batch(run_id: int) -> None:
    """A worker dying in the middle of a batch: the batch's transaction rolls back."""
    from incidents_app import notices
    from privacyportal import mail

    real, calls = mail.queue_email, []

    def dies(**kwargs):
        calls.append(1)
        if len(calls) > BATCH // 2:
            raise Killed
        return real(**kwargs)

    patched = mock.patch("privacyportal.mail.queue_email", dies)
    with patched, contextlib.suppress(Killed):
        notices.notice_run_batch(run_id=run_id, batch_size=BATCH)


def _notice(incident, queued: list[int], samples: list[float]) -> dict:
    from datetime import timedelta

    from incidents_app import notices
    from incidents_app.models import NoticeRun
    from privacyportal.audit.services import Actor

    text = notices.NoticeText(
        "A backup was copied.", "Phishing.", "Keys changed.", "Be careful."
    )
    run = notices.notice_run_start(
        actor=Actor.system("bench"), incident=incident, text=text
    )
    sent, batches, killed_at, start = 0, 0, None, time.perf_counter()
    while True:
        if killed_at is None and batches * BATCH >= run.total // 2:
            _kill_one_batch(run.pk)  # queues nothing: rolled back
            killed_at = batches
            assert not queued
            resumed = notices.notice_runs_resume(stalled_after=timedelta(seconds=-1))
            assert resumed == 1, resumed
        if not notices.notice_run_batch(run_id=run.pk, batch_size=BATCH):
            break
        batches += 1
        sent += _send(queued)
        gc.collect()
        samples.append(_rss_mib())
    seconds = time.perf_counter() - start
    run = NoticeRun.objects.get(pk=run.pk)
    return {
        "sent": sent,
        "seconds": seconds,
        "run_sent": run.sent,
        "status": run.status,
        "killed_after_batches": killed_at,
    }


def _check(incident) -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT count(*), count(DISTINCT key), count(DISTINCT "to"), '
            "count(*) FILTER (WHERE status = 'sent') FROM portal_outboundemail "
            "WHERE key LIKE %s",
            [f"breach-notice-{incident.pk}-%"],
        )
        rows, keys, addresses, sent = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM incidents_app_affectedperson "
            "WHERE incident_id = %s AND notified_at IS NOT NULL",
            [incident.pk],
        )
        (notified,) = cursor.fetchone()
    return {
        "rows": rows,
        "keys": keys,
        "addresses": addresses,
        "sent": sent,
        "notified": notified,
    }


def run() -> Result:
    require_postgres()
    migrate()
    from django.db import connection
    from django.test import override_settings

    first, _ = ensure_population(SUBJECTS)
    last = first + SUBJECTS - 1
    _clean()
    queued: list[int] = []
    # Stand-ins for the broker: batch and send tasks run here, in order.
    send_task = mock.patch(
        "privacyportal.tasks.send_email_task.apply_async",
        lambda args=(), kwargs=None, **kw: queued.append(args[0]),
    )
    batch_tasks = (
        mock.patch("consent_app.tasks.policy_campaign_batch_task.apply_async"),
        mock.patch("incidents_app.tasks.notice_batch_task.apply_async"),
    )
    backend = override_settings(
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"
    )
    samples: list[float] = []
    with send_task, batch_tasks[0], batch_tasks[1], backend:
        campaign_rate = _campaign_rate(first, queued)
        incident, added, select_s = _incident(first, last)
        notice = _notice(incident, queued, samples)
    counts = _check(incident)
    warm = samples[min(len(samples) - 1, 3)]
    growth = max(samples) - warm
    rate = notice["sent"] / notice["seconds"]
    ratio = rate / campaign_rate
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('portal_outboundemail'))"
        )
        outbox_size = cursor.fetchone()[0]
    _clean()
    exact = (
        added
        == SUBJECTS
        == notice["sent"]
        == notice["run_sent"]
        == counts["rows"]
        == counts["keys"]
        == counts["addresses"]
        == counts["sent"]
        == counts["notified"]
    )
    figures = {
        "people_affected": float(added),
        "choose_people_seconds": select_s,
        "notice_emails_per_s": rate,
        "campaign_emails_per_s": campaign_rate,
        "notice_seconds": notice["seconds"],
        "killed_after_batches": float(notice["killed_after_batches"]),
        "notices_in_outbox": float(counts["rows"]),
        "distinct_outbox_keys": float(counts["keys"]),
        "distinct_addresses": float(counts["addresses"]),
        "people_marked_told": float(counts["notified"]),
        "rss_mib_after_warmup": warm,
        "rss_mib_max": max(samples),
        "rss_growth_mib": growth,
    }
    print(f"    notice / campaign e-mails per second: {ratio:.3f}")
    return Result(
        name="breach_notice",
        params={
            "subjects": SUBJECTS,
            "batch_size": BATCH,
            "campaign_window_seconds": WINDOW_SECONDS,
            "email_domain": DOMAIN,
        },
        figures=figures,
        ratio=ratio,
        goal=f"notice e-mails/s >= {RATIO_GOAL} x the policy campaign's; RSS growth "
        f"< {LIMIT_MIB:.0f} MiB; after a killed batch, N notices and N keys",
        met=ratio >= RATIO_GOAL and growth < LIMIT_MIB and exact,
        notes=[
            "campaign timed over a window from the first bench subject; the notice "
            "sent to all N people, one batch killed half-way and resumed",
            f"outbox table size before clean-up: {outbox_size}",
        ],
    )
