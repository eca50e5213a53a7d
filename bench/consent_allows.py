"""consent_allows against a raw SQL primary-key lookup, 1,000,000 subjects x 6 purposes.

Goal: ``consent_allows`` is one indexed query and its throughput is at least
half that of ``SELECT id FROM subjects_datasubject WHERE id = %s`` measured in
the same run. The naive ORM way (two ORM queries) is reported beside it.
"""

from __future__ import annotations

import os
import random
import time

from bench.common import Result, require_postgres, timed

SUBJECTS = int(os.environ.get("BENCH_CONSENT_SUBJECTS", "1000000"))
LOOKUPS = int(os.environ.get("BENCH_CONSENT_LOOKUPS", "20000"))
PURPOSES = (
    "product-announcements",
    "special-offers",
    "partner-offers",
    "market-research",
    "targeted-advertising",
    "cross-border-transfer",
)
DOMAIN = "bench.invalid"


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def ensure_population(subjects: int = SUBJECTS) -> list[int]:
    """Bench subjects and a state for each of six purposes, made in SQL; idempotent.

    Returns the bench subject ids' range as [first, last].
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), min(id), max(id) FROM subjects_datasubject "
            "WHERE email LIKE %s",
            [f"%@{DOMAIN}"],
        )
        have, first, last = cursor.fetchone()
        if have < subjects:
            started = time.perf_counter()
            _generate(cursor, have, subjects)
            print(
                f"    generated {subjects - have} subjects and their states "
                f"in {time.perf_counter() - started:.0f}s"
            )
            cursor.execute(
                "SELECT min(id), max(id) FROM subjects_datasubject WHERE email LIKE %s",
                [f"%@{DOMAIN}"],
            )
            first, last = cursor.fetchone()
            cursor.execute("ANALYZE subjects_datasubject")
            cursor.execute("ANALYZE consent_app_consentstate")
    return [first, last]


def _generate(cursor, have: int, subjects: int) -> None:
    cursor.execute(
        f"""
        INSERT INTO subjects_datasubject (name, email, phone, postal_address, title,
            company, account_username, ip_addresses, domain, demographics,
            is_under_13, requester_only, created_at, updated_at)
        SELECT '', 'person' || n || '@{DOMAIN}', '', '', '', '', '', '[]', '', '{{}}',
            false, false, now(), now()
        FROM generate_series(%s, %s) AS n
        """,
        [have + 1, subjects],
    )
    cursor.execute(
        """
        INSERT INTO consent_app_consentstate
            (subject_id, purpose_id, granted, since, source)
        SELECT s.id, p.id, (s.id + p.id) %% 3 <> 0, now(), 'import'
        FROM subjects_datasubject s CROSS JOIN consent_app_purpose p
        WHERE s.email LIKE %s AND p.code = ANY(%s)
        ON CONFLICT (subject_id, purpose_id) DO NOTHING
        """,
        [f"%@{DOMAIN}", list(PURPOSES)],
    )


def _plan(subject_id: int) -> str:
    from django.db import connection

    from consent_app.services import _ALLOWS_SQL

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + _ALLOWS_SQL, [subject_id, PURPOSES[1]])
        return "\n".join(row[0] for row in cursor.fetchall())


def run() -> Result:
    require_postgres()
    migrate()
    from django.db import connection, reset_queries

    from consent_app.models import ConsentState, Purpose
    from consent_app.services import consent_allows
    from privacyportal.subjects.models import DataSubject

    first, last = ensure_population()
    rng = random.Random(8058)
    ids = [rng.randint(first, last) for _ in range(LOOKUPS)]
    codes = [PURPOSES[i % len(PURPOSES)] for i in range(LOOKUPS)]
    subjects = [DataSubject(pk=pk) for pk in ids]

    def raw() -> None:
        with connection.cursor() as cursor:
            for pk in ids:
                cursor.execute(
                    "SELECT id FROM subjects_datasubject WHERE id = %s", [pk]
                )
                cursor.fetchone()

    def ours() -> None:
        for subject, code in zip(subjects, codes, strict=True):
            consent_allows(subject, code)

    def naive() -> None:
        for pk, code in zip(ids[: LOOKUPS // 4], codes, strict=False):
            purpose = Purpose.objects.get(code=code)
            state = ConsentState.objects.filter(subject_id=pk, purpose=purpose).first()
            _ = purpose.default_granted if state is None else state.granted

    reset_queries()
    ours()  # warm the cache and the connection
    raw_s, ours_s = timed(raw, repeat=3), timed(ours, repeat=3)
    naive_s = timed(naive, repeat=1) * 4
    plan = _plan(ids[0])
    figures = {
        "raw_pk_lookups_per_s": LOOKUPS / raw_s,
        "consent_allows_per_s": LOOKUPS / ours_s,
        "naive_orm_per_s": LOOKUPS / naive_s,
        "subjects": float(last - first + 1),
        "purposes": float(len(PURPOSES)),
        "uses_index": float("Seq Scan" not in plan),
    }
    ratio = raw_s / ours_s
    return Result(
        name="consent_allows",
        params={"subjects": SUBJECTS, "lookups": LOOKUPS, "purposes": len(PURPOSES)},
        figures=figures,
        ratio=ratio,
        goal=">= 0.5 (consent_allows throughput / raw PK lookup), index scan only",
        met=ratio >= 0.5 and "Seq Scan" not in plan,
        notes=[plan],
    )
