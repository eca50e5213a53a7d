"""Telling N people affected by a breach, on a real Celery worker that is SIGKILLed.

Everything the worker does runs in a real ``celery worker`` subprocess (solo
pool, production settings, DEBUG off) on its own Redis queue, with an e-mail
backend that writes nothing (``dummymail://``) and no pause between batches
(``CONSENT_CAMPAIGN_BATCH_INTERVAL=0`` and ``BREACH_NOTICE_BATCH_INTERVAL=0``; the
deployed default of 5 s throttles a campaign to 100 e-mails/s for the mail
relay's sake, not the portal's).

1. The policy campaign's e-mail path (the same runner and outbox) is timed over
   a window on the same subjects; then it is stopped and the queue drained.
2. The notice: N people are chosen (the "everyone" INSERT ... SELECT), the run
   starts, and when about half are told the worker is SIGKILLed while a batch's
   transaction is open. A new worker starts; the resume job and the outbox's
   re-dispatch job (the periodic jobs that follow a lost task) are run at once
   instead of minutes later; the run goes on to the end.
3. Checked: notices in the outbox == distinct keys == distinct addresses ==
   people marked told == N, every one sent.

Goals: notice e-mails/s >= 0.5 x the campaign's (measured here, same worker
setup); each worker's resident memory grows by less than 100 MiB after its
warm-up; N notices and N keys after the kill.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

from bench.common import PRODUCTION_ENV, ROOT, Result, require_postgres
from bench.consent_allows import DOMAIN, ensure_population, migrate

SUBJECTS = int(os.environ.get("BENCH_NOTICE_SUBJECTS", "1000000"))
WINDOW_SECONDS = float(os.environ.get("BENCH_CAMPAIGN_WINDOW_SECONDS", "60"))
BATCH = int(os.environ.get("BENCH_CAMPAIGN_BATCH", "500"))
QUEUE = "bench-breach-notice"
RATIO_GOAL = 0.5
LIMIT_MIB = 100.0
WARMUP_SECONDS = 20.0
TITLE = "bench-notice"
LOG = ROOT / "var" / "bench" / "breach_notice-worker.log"


def _redis():
    import redis

    return redis.Redis.from_url(os.environ["REDIS_URL"])


def _database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return (
        f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    )


class Worker:
    """A `celery worker` subprocess on the bench queue; RSS sampled by the bench."""

    def __init__(self) -> None:
        env = {
            **os.environ,
            **PRODUCTION_ENV,
            "DATABASE_URL": _database_url(),
            "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
            "CONSENT_CAMPAIGN_BATCH_SIZE": str(BATCH),
            "CONSENT_CAMPAIGN_BATCH_INTERVAL": "0",
            "BREACH_NOTICE_BATCH_SIZE": str(BATCH),
            "BREACH_NOTICE_BATCH_INTERVAL": "0",
            "EMAIL_URL": "dummymail://",
            "LOG_LEVEL": "WARNING",
        }
        LOG.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "celery", "-A", "privacyportal", "worker"]
        cmd += ["--pool", "solo", "--loglevel", "WARNING", "-Q", QUEUE]
        cmd += ["--without-mingle", "--without-gossip", "--without-heartbeat"]
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=LOG.open("ab"), stderr=subprocess.STDOUT
        )
        self.started = time.monotonic()
        self.samples: list[tuple[float, float]] = []
        from privacyportal.tasks import ping_task

        ping_task.apply_async(args=["ready"], queue=QUEUE).get(timeout=120)

    def sample(self) -> None:
        import psutil

        rss = psutil.Process(self.proc.pid).memory_info().rss / 2**20
        self.samples.append((time.monotonic() - self.started, rss))

    def growth(self) -> tuple[float, float]:
        """(RSS after warm-up, growth since) in MiB."""
        warm = [rss for t, rss in self.samples if t >= WARMUP_SECONDS] or [
            rss for _, rss in self.samples[-1:]
        ]
        return warm[0], max(warm) - warm[0]

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


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
            "UPDATE consent_app_purpose SET reconsent_version_id = NULL "
            "WHERE reconsent_version_id IN "
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
        cursor.execute("VACUUM ANALYZE portal_outboundemail")
    _redis().delete(QUEUE, "unacked", "unacked_index")


def _sent(prefix: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM portal_outboundemail "
            "WHERE status = 'sent' AND key LIKE %s",
            [f"{prefix}%"],
        )
        return cursor.fetchone()[0]


def _drain(worker: Worker, timeout: float = 600) -> None:
    """Wait for the worker to take every task in the queue."""
    deadline = time.monotonic() + timeout
    while _redis().llen(QUEUE) and time.monotonic() < deadline:
        worker.sample()
        time.sleep(0.5)
    time.sleep(2)  # the task it took last


def _campaign_rate(worker: Worker) -> tuple[float, int]:
    """E-mails per second of the policy campaign on the same worker setup."""
    from consent_app.models import PolicyCampaign, PolicyVersion
    from consent_app.policy import policy_version_publish
    from privacyportal.audit.services import Actor

    version = PolicyVersion.objects.create(
        label=f"bench-{int(time.time())}",
        effective_on="2026-01-01",
        text="bench",
        summary_of_changes="A material change, for the benchmark.",
        material=True,
    )
    campaign = policy_version_publish(actor=Actor.system("bench"), version=version)
    prefix = f"consent-policy-{version.pk}-"
    time.sleep(5)  # the first batches: connections, template caches
    start_sent, start = _sent(prefix), time.perf_counter()
    while time.perf_counter() - start < WINDOW_SECONDS:
        worker.sample()
        time.sleep(1)
    sent, seconds = _sent(prefix) - start_sent, time.perf_counter() - start
    # Stopped here (bench only): its queued e-mails are sent, no new batch runs.
    PolicyCampaign.objects.filter(pk=campaign.pk).update(status="done")
    _drain(worker)
    return sent / seconds, sent


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


def _told(incident) -> int:
    from incidents_app.models import NoticeRun

    run = NoticeRun.objects.filter(incident=incident).order_by("-pk").first()
    return run.sent if run else 0


def _in_batch() -> str | None:
    """The query of a worker connection inside a notice batch's transaction."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT query FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL "
            "AND (query LIKE '%%incidents_app_affectedperson%%' "
            "OR query LIKE 'INSERT INTO \"portal_outboundemail\"%%')"
        )
        row = cursor.fetchone()
    return row[0][:70] if row else None


def _kill_mid_batch(worker: Worker, incident, half: int) -> dict:
    """SIGKILL the worker once half are told, while a batch's transaction is open."""
    while _told(incident) < half:
        worker.sample()
        time.sleep(0.5)
    deadline = time.monotonic() + 60
    while (query := _in_batch()) is None and time.monotonic() < deadline:
        time.sleep(0.005)
    told = _told(incident)
    worker.kill()
    return {"told_at_kill": told, "killed_in": query or "(no open batch seen)"}


def _pending(prefix: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        # The outbox's partial index on pending rows keeps this cheap.
        cursor.execute(
            "SELECT count(*) FROM portal_outboundemail "
            "WHERE status = 'pending' AND key LIKE %s",
            [f"{prefix}%"],
        )
        return cursor.fetchone()[0]


def _finish(run, worker: Worker) -> None:
    """Until the run is done and its e-mails sent.

    A send chunk the killed worker had taken is lost with it (acknowledged
    late, redelivered only after the broker's visibility timeout): its
    e-mails wait as pending rows, and the outbox's re-dispatch job, run here
    once nothing is left in the queue, sends them.
    """
    from incidents_app.models import NoticeRun
    from privacyportal.mail import redispatch_pending

    prefix, idle = f"breach-notice-{run.incident_id}-", 0
    while True:
        run.refresh_from_db()
        if run.status == NoticeRun.Status.DONE:
            if not (pending := _pending(prefix)):
                return
            idle = idle + 1 if not _redis().llen(QUEUE) else 0
            if idle >= 5:
                redispatch_pending(older_than=timedelta(0), limit=pending)
                idle = 0
        worker.sample()
        time.sleep(1)


def _notice(incident, workers: list[Worker]) -> dict:
    from incidents_app import notices
    from privacyportal.audit.services import Actor

    text = notices.NoticeText(
        "A backup was copied.", "Phishing.", "Keys changed.", "Be careful."
    )
    start = time.perf_counter()
    run = notices.notice_run_start(
        actor=Actor.system("bench"), incident=incident, text=text
    )
    kill = _kill_mid_batch(workers[0], incident, run.total // 2)
    killed_at = time.perf_counter()
    workers.append(Worker())
    restarted = time.perf_counter() - killed_at
    # What the beat job does minutes after a lost batch task, done at once.
    assert notices.notice_runs_resume(stalled_after=timedelta(seconds=-1)) == 1
    _finish(run, workers[-1])
    return {
        "seconds": time.perf_counter() - start,
        "restart_seconds": restarted,
        "run_sent": run.sent,
        "batches": run.batches,
        **kill,
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
            "SELECT count(*), count(DISTINCT outbox_key) "
            "FROM incidents_app_affectedperson "
            "WHERE incident_id = %s AND notified_at IS NOT NULL",
            [incident.pk],
        )
        notified, person_keys = cursor.fetchone()
    return {
        "rows": rows,
        "keys": keys,
        "addresses": addresses,
        "sent": sent,
        "notified": notified,
        "person_keys": person_keys,
    }


def run() -> Result:
    require_postgres()
    migrate()
    from privacyportal.celery import app

    app.conf.task_default_queue = QUEUE  # what the bench enqueues goes to its worker
    first, _ = ensure_population(SUBJECTS)
    last = first + SUBJECTS - 1
    _clean()
    workers = [Worker()]
    try:
        campaign_rate, campaign_sent = _campaign_rate(workers[0])
        incident, added, select_s = _incident(first, last)
        notice = _notice(incident, workers)
    finally:
        for worker in workers:
            worker.stop()
    counts = _check(incident)
    growths = [worker.growth() for worker in workers]
    growth = max(g for _, g in growths)
    rate = counts["sent"] / notice["seconds"]
    ratio = rate / campaign_rate
    _clean()
    exact = (
        added
        == SUBJECTS
        == notice["run_sent"]
        == counts["rows"]
        == counts["keys"]
        == counts["addresses"]
        == counts["sent"]
        == counts["notified"]
        == counts["person_keys"]
    )
    figures = {
        "people_affected": float(added),
        "choose_people_seconds": select_s,
        "notice_emails_per_s": rate,
        "campaign_emails_per_s": campaign_rate,
        "campaign_emails_in_window": float(campaign_sent),
        "notice_minutes": notice["seconds"] / 60,
        "notice_batches": float(notice["batches"]),
        "told_when_worker_killed": float(notice["told_at_kill"]),
        "new_worker_ready_seconds": notice["restart_seconds"],
        "notices_in_outbox": float(counts["rows"]),
        "distinct_outbox_keys": float(counts["keys"]),
        "distinct_addresses": float(counts["addresses"]),
        "notices_sent": float(counts["sent"]),
        "people_marked_told": float(counts["notified"]),
        "rss_mib_after_warmup": max(w for w, _ in growths),
        "rss_growth_mib": growth,
    }
    print(f"    worker killed in: {notice['killed_in']}")
    print(f"    notice / campaign e-mails per second: {ratio:.3f}")
    return Result(
        name="breach_notice",
        params={
            "subjects": SUBJECTS,
            "batch_size": BATCH,
            "campaign_window_seconds": WINDOW_SECONDS,
            "email_domain": DOMAIN,
            "worker": "celery worker --pool solo, DEBUG=0, dummymail://, "
            "CONSENT_CAMPAIGN_BATCH_INTERVAL=0, BREACH_NOTICE_BATCH_INTERVAL=0",
        },
        figures=figures,
        ratio=ratio,
        goal=f"notice e-mails/s >= {RATIO_GOAL} x the policy campaign's; worker RSS "
        f"growth < {LIMIT_MIB:.0f} MiB; after a SIGKILLed worker, N notices, N keys, "
        "no one twice",
        met=ratio >= RATIO_GOAL and growth < LIMIT_MIB and exact,
        notes=[
            "campaign timed over a window on a real worker; the notice sent to all "
            "N people by real workers, the first SIGKILLed mid-batch at about N/2",
            f"worker killed in: {notice['killed_in']}",
        ],
    )
