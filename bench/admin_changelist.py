"""Admin changelist of privacy requests at 1,000 and 1,000,000 rows.

Goal: the default view and the "overdue" filter each render with <= 10 SQL
queries, and the server time at 1,000,000 rows is within 2x of 1,000 rows.
"""

from __future__ import annotations

import os

from bench.common import Result, require_postgres, timed

SMALL = 1_000
LARGE = int(os.environ.get("BENCH_REQUESTS", "1000000"))
VIEWS = {"default": "", "overdue": "?due=overdue"}
URL = "/admin/requests_app/privacyrequest/"


def _prepare() -> object:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    User = get_user_model()
    user = User.objects.filter(username="bench-admin").first()
    if user is None:
        user = User.objects.create_superuser("bench-admin", "bench@example.org", "x")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client


def _fill(total: int) -> None:
    from requests_app import benchdata

    have = benchdata.count()
    if have >= total:
        return
    missing = total - have
    overdue = max(missing // 50, 1)  # 2% overdue, the rest due later or closed
    closed = missing * 7 // 10
    benchdata.insert(
        overdue, tag="o", start=have + 1, due_days=-3, alert_days=None, stage=3
    )
    benchdata.insert(
        closed, tag="c", start=have + 1, status="completed", alert_days=None
    )
    benchdata.insert(missing - overdue - closed, tag="w", start=have + 1)


def _measure(client) -> dict[str, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    figures = {}
    for name, query in VIEWS.items():
        client.get(URL + query)  # warm caches and plans
        figures[f"{name}_s"] = timed(lambda q=query: client.get(URL + q), repeat=5)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL + query).status_code == 200
        figures[f"{name}_queries"] = len(queries)
    return figures


def run() -> Result:
    require_postgres()
    from requests_app import benchdata

    client = _prepare()
    benchdata.clear()
    _fill(SMALL)
    small = _measure(client)
    _fill(LARGE)
    large = _measure(client)
    figures = {f"small_{k}": v for k, v in small.items()}
    figures.update({f"large_{k}": v for k, v in large.items()})
    ratio = max(large[f"{v}_s"] / small[f"{v}_s"] for v in VIEWS)
    queries = max(large[f"{v}_queries"] for v in VIEWS)
    return Result(
        name="admin_changelist",
        params={"small": SMALL, "large": LARGE, "views": list(VIEWS)},
        figures=figures,
        ratio=ratio,
        goal="time(1M)/time(1k) <= 2 and <= 10 queries",
        met=ratio <= 2 and queries <= 10,
        notes=["Server time through the Django test client (no network)."],
    )
