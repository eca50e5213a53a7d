"""Every claim locks its own table's rows only (``FOR UPDATE OF <table>``).

A claim whose query joins another table, through the model's default ordering
or ``select_related``, locks the joined rows too unless it names its table:
the erasure step claim locked its request, so the request's other steps were
skipped and waited minutes for the dispatch job. The SQL each claim sends is
the same whether or not a row matches, so missing ids are enough here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consent_app.models import PolicyCampaign
from consent_app.policy import campaign_run_batch
from privacyportal.mail import send_one
from privacyportal.models import OutboundEmail
from privacyportal.registry import ErasureResult, Outcome
from privacyportal.retention import Holds, Terms
from requests_app.fulfilment import erasure
from requests_app.fulfilment.categories import ExportPackageCategory
from requests_app.models import (
    ExportPackage,
    PrivacyRequest,
    RequestSubmission,
    SourceOutcome,
)
from requests_app.services.submissions import submission_process

MISSING = 2_000_000_000
LOCK = re.compile(
    r'FOR UPDATE OF (?P<tables>"\w+"(?:, "\w+")*)(?P<skip> SKIP LOCKED)?$'
)


def _step_claim() -> None:
    erasure.erasure_step_run(outcome_id=MISSING)


def _step_failure_claim() -> None:
    erasure._step_failed(MISSING, RuntimeError("source down"))


def _external_step_record(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        erasure, "_erase_one", lambda *a: ErasureResult(Outcome.NOTHING)
    )
    step = SourceOutcome(pk=MISSING, external_started_at=timezone.now())
    erasure._run_external(step, PrivacyRequest(pk=MISSING), object(), interrupted=False)


def _export_retention_claim() -> None:
    # A hold on a subject makes the category exclude by request__subject_id,
    # a join to the request table.
    ExportPackageCategory().dispose_batch(
        now=timezone.now(),
        terms=Terms(key="requests.export_packages", days=7, action="delete", version=1),
        holds=Holds(subjects={MISSING: "litigation"}),
        limit=10,
    )


CLAIMS: list[tuple[str, Callable[..., Any], Any, bool]] = [
    ("erasure step", _step_claim, SourceOutcome, True),
    ("erasure step failure", _step_failure_claim, SourceOutcome, False),
    ("external erasure step record", _external_step_record, SourceOutcome, False),
    ("e-mail outbox", lambda: send_one(MISSING), OutboundEmail, True),
    (
        "form submission",
        lambda: submission_process(submission_id=MISSING),
        RequestSubmission,
        True,
    ),
    (
        "policy campaign batch",
        lambda: campaign_run_batch(campaign_id=MISSING),
        PolicyCampaign,
        True,
    ),
    ("export package retention", _export_retention_claim, ExportPackage, True),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("claim", "model", "skip_locked"),
    [(fn, model, skip) for _, fn, model, skip in CLAIMS],
    ids=[name for name, *_ in CLAIMS],
)
def test_claim_locks_only_its_own_table(claim, model, skip_locked, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("FOR UPDATE OF is PostgreSQL's")
    with CaptureQueriesContext(connection) as queries:
        if claim is _external_step_record:
            claim(monkeypatch)
        else:
            claim()
    locking = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"]]
    assert len(locking) == 1, locking
    match = LOCK.search(locking[0])
    assert match, locking[0]
    assert match["tables"] == f'"{model._meta.db_table}"'
    assert bool(match["skip"]) == skip_locked


PICKED = re.compile(r"picked AS \(SELECT id FROM (\w+) WHERE [^()]*FOR UPDATE")


@pytest.mark.django_db
def test_every_lock_a_whole_sweep_takes_is_on_one_table(django_user_model):
    if connection.vendor != "postgresql":
        pytest.skip("FOR UPDATE OF is PostgreSQL's")
    from privacyportal.audit.services import Actor
    from privacyportal.subjects.tests.factories import DataSubjectFactory
    from retention_app.services import hold_place, retention_sweep

    officer = django_user_model.objects.create_superuser("o", "o@example.org", "pw")
    # A subject hold makes categories exclude held subjects through joins.
    hold_place(
        actor=officer, scope="subject", subject_id=DataSubjectFactory().pk, reason="y"
    )
    with CaptureQueriesContext(connection) as queries:
        retention_sweep(actor=Actor.system("test"))

    locking = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"]]
    assert locking
    for sql in locking:
        match = LOCK.search(sql)
        if match:
            assert ", " not in match["tables"], sql  # OF names one table
        else:  # the raw batch statements: the claim reads one table only
            assert PICKED.search(sql), sql
