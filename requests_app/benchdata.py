"""Bulk rows for the request benchmarks, written by PostgreSQL itself.

``generate_series`` inserts a million rows in well under a minute; the ORM row
by row would take an hour. Used only by ``bench/`` against its own database.
"""

from __future__ import annotations

from django.db import connection

TABLE = "requests_app_privacyrequest"

INSERT = """
INSERT INTO requests_app_privacyrequest (
    reference, type, status, channel, email, name, country, region,
    jurisdiction, relationship, details, is_agent, agent_name, agent_email, language,
    received_at, due_at, policy_due_at, legal_due_at, paused_days,
    alert_stage, next_alert_at, extension_reason, outcome_summary,
    denial_reason, denial_legal_basis, staff_notes, verified_at, needs_attention,
    denial_category
)
SELECT
    'PR-B' || %(tag)s || '-' || lpad(g::text, 7, '0'),
    (ARRAY['access','erasure','rectification','objection'])[1 + g %% 4],
    %(status)s, 'web',
    'bench' || %(tag)s || '-' || g || '@example.org', 'Bench Person', 'DE', '',
    'EU', 'customer', '', false, '', '', 'en-gb',
    now() - make_interval(secs => %(age_s)s + (g %% 1000)),
    now() + make_interval(days => %(due_days)s) + make_interval(secs => g %% 997),
    now() + make_interval(days => %(due_days)s),
    now() + make_interval(days => %(due_days)s),
    0, %(stage)s,
    CASE WHEN %(alert_days)s::int IS NULL THEN NULL
         ELSE now() + make_interval(days => %(alert_days)s::int) END,
    '', '', '', '', '', now() - make_interval(secs => %(age_s)s), false, ''
FROM generate_series(%(start)s, %(stop)s) AS g
"""


def insert(
    count: int,
    *,
    tag: str,
    start: int = 1,
    status: str = "in_progress",
    due_days: int = 60,
    alert_days: int | None = 53,
    stage: int = 0,
    age_s: int = 86_400,
    vacuum: bool = True,
) -> None:
    """Insert ``count`` requests; ``alert_days`` places next_alert_at from now.

    ``vacuum=False`` inside a transaction (a test), where VACUUM cannot run.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            INSERT,
            {
                "tag": tag,
                "start": start,
                "stop": start + count - 1,
                "status": status,
                "due_days": due_days,
                "alert_days": alert_days,
                "stage": stage,
                "age_s": age_s,
            },
        )
        if vacuum:
            # What autovacuum does on a live system: statistics, visibility map.
            cursor.execute(f"VACUUM ANALYZE {TABLE}")


def clear() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE requests_app_requestevent, requests_app_requestlink, "
            f"{TABLE}, portal_outboundemail CASCADE"
        )


def count() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {TABLE}")  # noqa: S608 - constant
        return cursor.fetchone()[0]
