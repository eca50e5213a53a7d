"""One outbox campaign runner: e-mailing many people in batches, each once.

The policy-change campaign (``consent_app.policy``) and breach notices
(``incidents_app.notices``) both e-mail up to millions of people. Each keeps a
*run row* (status, cursor, sent, batches, last_batch_at, finished_at,
started_at) and describes itself with a :class:`Campaign`; this module keeps
the invariants for both:

- a batch claims the run row (``select_for_update(skip_locked)``, of its own
  table only), queues its e-mails in the outbox and advances the cursor in one
  transaction: a task delivered twice finds the row locked or the cursor moved
  and sends nothing twice, and a batch killed half-way leaves nothing behind;
- each e-mail's outbox key is ``<prefix><recipient id>``, queued once ever, so
  even a lost cursor cannot mail anyone twice;
- the next batch is enqueued after commit; a periodic resume job re-enqueues a
  run whose last batch is old (worker killed, broker lost);
- a run ends when a batch finds no one left, and the owner audits that once.

It imports no app: the apps pass their models, querysets and hooks in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

# (recipient id, address, language) as a batch reads them.
Row = tuple[int, str, str]


@dataclass(frozen=True)
class Campaign:
    """What one kind of campaign supplies; the runner does the rest.

    ``recipients(run)`` is every recipient still to mail, as a queryset whose
    ``pk`` is the cursor's order. ``after_batch(run, rows, now)`` records in
    the batch's transaction whatever the owner keeps per person;
    ``finished(run)`` audits the end.
    """

    name: str
    model: type[models.Model]
    task: str
    template: str
    key_prefix: Callable[[Any], str]
    recipients: Callable[[Any], models.QuerySet]
    context: Callable[[Any], dict[str, Any]]
    finished: Callable[[Any], None]
    related: tuple[str, ...] = ()
    after_batch: Callable[[Any, list[Row], Any], None] | None = None
    # The settings that set its pace, read at each batch (tests override them).
    size_setting: str = "CONSENT_CAMPAIGN_BATCH_SIZE"
    interval_setting: str = "CONSENT_CAMPAIGN_BATCH_INTERVAL"

    @property
    def batch_size(self) -> int:
        return getattr(settings, self.size_setting)

    @property
    def interval(self) -> int:
        return getattr(settings, self.interval_setting)


RUNNING = "running"
DONE = "done"


def schedule(campaign: Campaign, run_id: int, *, countdown: int) -> None:
    """Enqueue the next batch after commit; the resume job covers a lost message."""

    def send() -> None:
        try:
            import_string(campaign.task).apply_async(args=[run_id], countdown=countdown)
        except Exception:
            log.warning(
                "could not enqueue %s %s batch", campaign.name, run_id, exc_info=True
            )

    transaction.on_commit(send)


def run_batch(campaign: Campaign, *, run_id: int, batch_size: int | None = None) -> int:
    """Queue the next batch of e-mails; returns how many recipients were handled.

    A call that finds the run locked by another worker, or finished, does nothing.
    """
    size = batch_size or campaign.batch_size
    with transaction.atomic():
        run = _claim(campaign, run_id)
        if run is None:
            return 0
        rows = list(
            campaign.recipients(run)
            .filter(pk__gt=run.cursor)
            .order_by("pk")
            .values_list("pk", "email", "language")[:size]
        )
        if not rows:
            _finish(campaign, run)
            return 0
        queued = _queue(campaign, run, rows)
        _advance(campaign, run, rows, queued)
    return len(rows)


def _claim(campaign: Campaign, run_id: int) -> Any:
    # OF self: the joined rows (version, incident) stay unlocked for others.
    return (
        campaign.model.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related(*campaign.related)
        .filter(pk=run_id, status=RUNNING)
        .first()
    )


def _queue(campaign: Campaign, run: Any, rows: list[Row]) -> int:
    from privacyportal.mail import queue_many

    prefix = campaign.key_prefix(run)
    return len(
        queue_many(
            template=campaign.template,
            context=campaign.context(run),
            # A job has no page language: the person's own, else the default.
            recipients=[
                (f"{prefix}{pk}", email, language or settings.LANGUAGE_CODE)
                for pk, email, language in rows
            ],
        )
    )


def _advance(campaign: Campaign, run: Any, rows: list[Row], queued: int) -> None:
    now = timezone.now()
    if campaign.after_batch is not None:
        campaign.after_batch(run, rows, now)
    campaign.model.objects.filter(pk=run.pk).update(
        cursor=rows[-1][0],
        sent=run.sent + queued,
        batches=run.batches + 1,
        last_batch_at=now,
    )
    schedule(campaign, run.pk, countdown=campaign.interval)


def _finish(campaign: Campaign, run: Any) -> None:
    now = timezone.now()
    campaign.model.objects.filter(pk=run.pk).update(
        status=DONE, finished_at=now, last_batch_at=now
    )
    campaign.finished(run)


def resume(campaign: Campaign, *, stalled_after: timedelta | None = None) -> int:
    """Re-enqueue running runs whose last batch is old (worker or broker lost)."""
    margin = stalled_after or timedelta(seconds=campaign.interval + 600)
    cutoff = timezone.now() - margin
    stalled = campaign.model.objects.filter(status=RUNNING).exclude(
        last_batch_at__gt=cutoff
    )
    stalled = stalled.exclude(last_batch_at__isnull=True, started_at__gt=cutoff)
    ids = list(stalled.values_list("pk", flat=True))
    for pk in ids:
        with transaction.atomic():
            schedule(campaign, pk, countdown=0)
    return len(ids)
