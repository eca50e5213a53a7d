"""The hourly deadline job at 10,000 and at 1,000,000 open requests.

The same work is due in both (100 reminders, 10 escalations, one digest), so an
index-driven job takes about the same time; a scan would take 100x longer.
Each measured run is rolled back, so every repeat does the same work.
Goal: time(1M) within 2x of time(10k).
"""

from __future__ import annotations

import os

from bench.common import Result, require_postgres, timed

SMALL = 10_000
LARGE = int(os.environ.get("BENCH_REQUESTS", "1000000"))
DUE = 100
OVERDUE = 10


def _officer() -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from privacyportal import roles

    User = get_user_model()
    user, _ = User.objects.get_or_create(
        username="bench-officer", defaults={"email": "officer@example.org"}
    )
    user.groups.add(Group.objects.get_or_create(name=roles.PRIVACY_OFFICER)[0])


def _fill(total: int) -> None:
    from requests_app import benchdata

    have = benchdata.count()
    if have == 0:
        benchdata.insert(DUE, tag="d", due_days=5, alert_days=-2)
        benchdata.insert(
            OVERDUE, tag="x", start=DUE + 1, due_days=-1, alert_days=-1, stage=2
        )
        have = DUE + OVERDUE
    if total > have:
        # Open and on the clock, their next alert weeks away: not due now.
        benchdata.insert(total - have, tag="w", start=have + 1)


def _one_run() -> dict:
    from django.db import transaction

    from requests_app.services import deadlines_run

    with transaction.atomic():
        summary = deadlines_run()
        transaction.set_rollback(True)
    return summary.as_dict()


def run() -> Result:
    require_postgres()
    from django.core.management import call_command

    from requests_app import benchdata

    call_command("migrate", verbosity=0)
    benchdata.clear()
    _officer()
    _fill(SMALL)
    work = _one_run()
    small = timed(_one_run, repeat=5)
    _fill(LARGE)
    large_work = _one_run()
    large = timed(_one_run, repeat=5)
    ratio = large / small
    return Result(
        name="deadline_scan",
        params={"small": SMALL, "large": LARGE, "due": DUE, "overdue": OVERDUE},
        figures={
            "small_s": small,
            "large_s": large,
            **{f"work_{k}": v for k, v in large_work.items()},
        },
        ratio=ratio,
        goal="time(1M)/time(10k) <= 2",
        met=ratio <= 2 and work == large_work,
    )
