"""The staff dashboard (the admin home) at 10,000 and 1,000,000 requests.

Large scale: 1,000,000 requests over two years (the last five weeks' still
open), 6,000,000 consent events over a year and 1,000,000 deletion records;
small scale: one hundredth of each. Both get their nightly daily counts
(``figures_rollup``, timed apart: it is the nightly job's work, not a page's).

Goal: the page renders with <= 15 SQL queries, and the server time at the
large scale is within 2x of the small scale. The yearly reports (CCPA § 7102
over every requester, the worst case, and the accountability report by
jurisdiction) for last year take <= 3 s each at the large scale.
"""

from __future__ import annotations

import os

from bench.common import Result, require_postgres, timed

SMALL = 10_000
LARGE = int(os.environ.get("BENCH_REQUESTS", "1000000"))
EVENTS_PER_REQUEST, RECORDS_PER_REQUEST = 6, 1
URL = "/admin/"
DOMAIN = "dashboard.bench.invalid"
SPAN_DAYS = 730
OPEN_DAYS = 35
JURISDICTIONS = ["EU", "UK", "US-CA", "US-VA", "US", "BR", "CA", "AU", "JP", "CH"]
TYPES = [
    "access",
    "erasure",
    "rectification",
    "objection",
    "restriction",
    "marketing_opt_out",
    "complaint",
]

# Row g of n is received (g/n) of the span ago: the same shape at any scale.
# Older than five weeks: closed (mostly completed, some late, some denied);
# newer: open in every state the tiles count.
REQUESTS = """
INSERT INTO requests_app_privacyrequest (
    reference, type, status, channel, email, name, country, region,
    jurisdiction, relationship, details, is_agent, agent_name, agent_email, language,
    received_at, due_at, policy_due_at, paused_days, alert_stage,
    extension_reason, outcome_summary, denial_reason, denial_legal_basis,
    staff_notes, verified_at, needs_attention, closed_at, completed_at, paused_at
)
SELECT
    'PR-D-' || lpad(g::text, 8, '0'), (%(types)s::text[])[1 + g %% 7],
    CASE WHEN age > %(open_days)s
         THEN (%(closed)s::text[])[1 + g %% 10]
         ELSE (%(open)s::text[])[1 + g %% 5] END,
    'web', 'r' || g || '@' || %(domain)s, 'Bench Person', 'DE', '',
    (%(places)s::text[])[1 + g %% 10], 'customer', '', false, '', '', 'en-gb',
    received, received + interval '30 days', received + interval '30 days', 0, 0,
    '', '', '', '', '',
    CASE WHEN age > %(open_days)s OR g %% 5 > 0 THEN received + interval '2 hours' END,
    g %% 5000 = 0,
    CASE WHEN age > %(open_days)s
         THEN received + make_interval(days => 2 + g %% 37) END,
    CASE WHEN age > %(open_days)s
         THEN received + make_interval(days => 2 + g %% 37) END,
    CASE WHEN age <= %(open_days)s AND g %% 10 = 4 THEN now() END
FROM (
    SELECT g,
           now() - make_interval(secs => %(span_s)s::bigint * g / %(total)s)
               AS received,
           %(span_days)s::bigint * g / %(total)s AS age
    FROM generate_series(%(start)s, %(stop)s) AS g
) AS rows
"""

SUBJECTS = f"""
INSERT INTO subjects_datasubject (name, email, phone, postal_address, title,
    company, account_username, ip_addresses, domain, demographics,
    is_under_13, requester_only, created_at, updated_at)
SELECT '', 'p' || n || '@{DOMAIN}', '', '', '', '', '', '[]', '', '{{}}',
    false, false, now(), now()
FROM generate_series(%(start)s, %(stop)s) AS n
"""

# Sixty events per subject, over the last year; purposes in turn; two in
# three are opt-ins.
EVENTS = """
INSERT INTO consent_app_consentevent (subject_id, purpose_id, action, source,
    reason, actor_label, user_agent, evidence, occurred_at, redacted)
SELECT %(first_subject)s + g %% %(subjects)s, p.ids[1 + g %% array_length(p.ids, 1)],
    CASE WHEN g %% 3 = 0 THEN 'withdrawn' ELSE 'granted' END, 'import', '', '', '',
    '', now() - make_interval(secs => 31536000::bigint * g / %(total)s), false
FROM generate_series(%(start)s, %(stop)s) AS g
CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM consent_app_purpose) AS p
"""

RECORDS = """
INSERT INTO retention_app_deletionrecord (category, item_id, action, reason,
    policy_key, deleted_at, bytes)
SELECT (ARRAY['retention.recordings','retention.transcripts',
              'retention.call_records','retention.applicants'])[1 + g %% 4],
    'b' || g, 'delete', 'retention', '',
    now() - make_interval(secs => 34560000::bigint * g / %(total)s), 0
FROM generate_series(%(start)s, %(stop)s) AS g
"""

TABLES = (
    "requests_app_privacyrequest",
    "subjects_datasubject",
    "consent_app_consentevent",
    "retention_app_deletionrecord",
)


def _count(cursor, sql: str) -> int:
    cursor.execute(sql)
    return cursor.fetchone()[0]


def fill(total: int, *, vacuum: bool = True) -> None:
    """Grow the data set to ``total`` requests (and its events and records)."""
    from django.db import connection

    with connection.cursor() as cursor:
        have = _count(
            cursor,
            "SELECT count(*) FROM requests_app_privacyrequest "
            f"WHERE email LIKE '%%@{DOMAIN}'",
        )
        if have >= total:
            return
        _requests(cursor, have, total)
        subjects = max(total // 10, 1)
        cursor.execute(SUBJECTS, {"start": have // 10 + 1, "stop": subjects})
        _events(cursor, have, total, subjects)
        cursor.execute(
            RECORDS,
            {"start": have + 1, "stop": total * RECORDS_PER_REQUEST, "total": total},
        )
        if vacuum:
            for table in TABLES:
                cursor.execute(f"VACUUM ANALYZE {table}")


def _requests(cursor, have: int, total: int) -> None:
    cursor.execute(
        REQUESTS,
        {
            "types": TYPES,
            "places": JURISDICTIONS,
            "domain": DOMAIN,
            "open_days": OPEN_DAYS,
            "closed": ["completed"] * 8 + ["denied", "withdrawn"],
            "open": [
                "received",
                "verified",
                "in_progress",
                "in_progress",
                "needs_info",
            ],
            "span_s": SPAN_DAYS * 86400,
            "span_days": SPAN_DAYS,
            "total": total,
            "start": have + 1,
            "stop": total,
        },
    )


def _first_subject(cursor, subjects: int) -> int:
    cursor.execute(
        "SELECT min(id), max(id), count(*) FROM subjects_datasubject "
        f"WHERE email LIKE '%%@{DOMAIN}'"
    )
    low, high, count = cursor.fetchone()
    # One generate_series INSERT per scale takes consecutive ids: events name
    # subjects by id arithmetic instead of 6,000,000 look-ups by address.
    assert count == subjects and high - low + 1 == count, "subject ids not contiguous"
    return low


def _events(cursor, have: int, total: int, subjects: int) -> None:
    events, start = total * EVENTS_PER_REQUEST, have * EVENTS_PER_REQUEST + 1
    first_subject = _first_subject(cursor, subjects)
    step = 500_000  # in slices: one six-million-row statement holds a lot of memory
    for first in range(start, events + 1, step):
        cursor.execute(
            EVENTS,
            {
                "start": first,
                "stop": min(first + step - 1, events),
                "total": events,
                "subjects": subjects,
                "first_subject": first_subject,
            },
        )


def clear() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE requests_app_requestevent, requests_app_requestlink, "
            "requests_app_privacyrequest, consent_app_consentstate, "
            "consent_app_consentevent, retention_app_deletionrecord, "
            "portal_dailycount, portal_outboundemail CASCADE"
        )
        cursor.execute(
            f"DELETE FROM subjects_datasubject WHERE email LIKE '%%@{DOMAIN}'"
        )


def _prepare_user():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from privacyportal import roles

    User = get_user_model()
    user = User.objects.filter(username="bench-officer").first()
    if user is None:
        user = User.objects.create_user(
            "bench-officer", "o@example.org", "x", is_staff=True
        )
        user.groups.add(Group.objects.get(name=roles.PRIVACY_OFFICER))
    return user


def _prepare():
    from django.core.management import call_command
    from django.test import Client

    from privacyportal import roles

    call_command("migrate", verbosity=0)
    roles.sync_roles()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(_prepare_user())
    return client


def _rollup() -> float:
    from privacyportal.models import DailyCount
    from privacyportal.stats import figures_rollup

    DailyCount.objects.all().delete()
    return timed(figures_rollup)


def _measure(client) -> dict[str, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(URL)  # warm caches and plans
    figures = {"page_s": timed(lambda: client.get(URL), repeat=7)}
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    figures["queries"] = len(queries)
    return figures


REPORT_GOAL_S = 3.0


def _reports() -> dict[str, float]:
    """Server time of each yearly report for last year (about half the rows)."""
    from django.utils import timezone

    from requests_app import reports

    year = timezone.localdate().year - 1
    ccpa, yearly = reports.ccpa_7102, reports.accountability
    return {
        "report_7102_s": timed(lambda: ccpa(year, ""), repeat=3),
        "report_accountability_s": timed(lambda: yearly(year), repeat=3),
        "report_year_requests": reports.requests_of(year).count(),
    }


def run() -> Result:
    require_postgres()
    client = _prepare()
    clear()
    fill(SMALL)
    small = {"rollup_s": _rollup(), **_measure(client)}
    fill(LARGE)
    large = {"rollup_s": _rollup(), **_measure(client), **_reports()}
    figures = {f"small_{k}": v for k, v in small.items()}
    figures.update({f"large_{k}": v for k, v in large.items()})
    ratio = large["page_s"] / small["page_s"]
    queries = max(small["queries"], large["queries"])
    return Result(
        name="admin_dashboard",
        params={
            "small_requests": SMALL,
            "large_requests": LARGE,
            "consent_events": LARGE * EVENTS_PER_REQUEST,
            "deletion_records": LARGE * RECORDS_PER_REQUEST,
        },
        figures=figures,
        ratio=ratio,
        goal="time(large)/time(small) <= 2 and <= 15 queries; reports <= 3 s",
        met=ratio <= 2
        and queries <= 15
        and large["report_7102_s"] <= REPORT_GOAL_S
        and large["report_accountability_s"] <= REPORT_GOAL_S,
        notes=[
            "Server time of GET /admin/ through the Django test client, best of 7.",
            "rollup_s: the nightly figures_rollup from nothing (400 days), untimed "
            "in the page figures.",
        ],
    )
